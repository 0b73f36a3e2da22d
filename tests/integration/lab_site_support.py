"""The lab site as `colo lab up` leaves it for signing (its CA and the people's keys, made by the lab's own CA
code) with the CA's folder somewhere else: for tests that sign documents on the lab site without the lab."""

from __future__ import annotations

import shutil
from pathlib import Path

from provisioner.facility import load_facility
from provisioner.lab.ca import ca_dir, ensure_signing_keys
from provisioner.lab.layout import TSA_PORT

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "kunci-lab"


def lab_site_with_keys(folder: Path) -> Path:
    """A copy of the lab site in ``folder``/site whose CA folder is ``folder``/ca, with a key (password
    PASSWORD) for each of its people, naming no TSA: the site folder."""
    site = folder / "site"
    shutil.copytree(ROOT / "inventories" / "lab", site)
    text = (site / "facility.yml").read_text()
    lab_ca = f"{ca_dir(Path('/var/lib/colo-lab'))}/"  # as the lab site file names it
    assert lab_ca in text, f"the lab site names no {lab_ca}"
    tsa = f', tsa: "http://127.0.0.1:{TSA_PORT}/"'  # the lab's TSA runs with the lab only
    assert tsa in text, f"the lab site names no {tsa}"
    (site / "facility.yml").write_text(text.replace(lab_ca, f"{ca_dir(folder)}/").replace(tsa, ""))
    ensure_signing_keys(folder, load_facility(site).organisation.people, PASSWORD)
    return site
