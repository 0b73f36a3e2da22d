"""`colo capacity ID` as a user runs it: the report, the hold, exit code 3 and rejection when short."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from allocate_support import ROOT, submit

from provisioner.register.db import open_register

# The allocator's own tests run on PostgreSQL; these CLI runs there are twins.
POSTGRESQL_KEPT = frozenset()

pytestmark = pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)


def colo(
    args: list[str], db: str, cwd: Path, site: Path = ROOT / "inventories" / "example"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT), "COLO_TECHNICIAN": "Rina Teknisi"}
    cmd = [sys.executable, "-m", "provisioner.cli.main", "--site", str(site), *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_sufficient_capacity_is_held_and_reported(register_url: str, tmp_path: Path) -> None:
    rid = submit(open_register(register_url), "disdik", units=2)
    done = colo(["--output", str(tmp_path / "docs"), "capacity", rid, "--json"], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["id"], out["outcome"], out["repeated"], out["actor"]) == (rid, "ok", False, "Rina Teknisi")
    assert out["report"]["placement"]["rack"] == "R01" and out["report"]["placement"]["units"] == [3, 4]
    [document] = out["documents"]
    html = Path(document["html"]).read_text()
    assert "LAPORAN PENGECEKAN KAPASITAS" in html and "kapasitas TERSEDIA" in html and rid in html
    assert Path(document["pdf"]).read_bytes().startswith(b"%PDF")
    again = colo(["capacity", rid], register_url, tmp_path)
    assert again.returncode == 0 and "checked before" in again.stdout


def test_insufficient_capacity_exits_3_and_closes_the_request(register_url: str, tmp_path: Path) -> None:
    rid = submit(open_register(register_url), "disdik", mbps=900)  # ISP-TELKOM has 550 Mbps free
    done = colo(["--output", str(tmp_path / "docs"), "capacity", rid, "--json"], register_url, tmp_path)
    assert done.returncode == 3
    out = json.loads(done.stdout)
    assert out["outcome"] == "rejected" and out["report"]["sufficient"] is False
    assert "closed as rejected" in done.stderr
    assert "uplink ISP-TELKOM: needs 900 Mbps, 550 available" in done.stderr
    assert "TIDAK TERSEDIA" in Path(out["documents"][0]["html"]).read_text()
    shown = colo(["request", "show", rid, "--json"], register_url, tmp_path)
    assert "rejected" in shown.stdout


def test_unknown_request_and_bad_facility_exit_2(register_url: str, tmp_path: Path) -> None:
    assert colo(["capacity", "REQ-2026-0999"], register_url, tmp_path).returncode == 2
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "facility.yml").write_text("site: {code: x}\n")
    bad = colo(["capacity", "REQ-2026-0001"], register_url, tmp_path, site=tmp_path / "site")
    assert bad.returncode == 2 and "site.name" in bad.stderr


def recorded(shown: str) -> tuple[object, ...]:
    """A request's state and each step's outcome, actor and time, from `request show --json`."""
    out = json.loads(shown)
    return out["state"], [(s["outcome"], s["actor"], s["done_at"]) for s in out["steps"]]


def test_a_platform_never_run_against_a_device_is_refused_at_load(register_url: str, tmp_path: Path) -> None:
    rid = submit(open_register(register_url), "disdik", units=2)
    data = yaml.safe_load((ROOT / "inventories" / "example" / "facility.yml").read_text())
    data["switches"][2]["platform"] = "arista_eos"
    site = tmp_path / "site"
    site.mkdir()
    (site / "facility.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    before = recorded(colo(["request", "show", rid, "--json"], register_url, tmp_path).stdout)
    bad = colo(["capacity", rid, "--json"], register_url, tmp_path, site=site)
    assert bad.returncode == 2, bad.stderr
    name = data["switches"][2]["name"]
    assert (f"switches[2].platform: switch {name!r} names 'arista_eos', not a supported platform "
            "(supported: cisco_ios, mikrotik_routeros)") in bad.stderr
    assert bad.stdout == ""
    after = recorded(colo(["request", "show", rid, "--json"], register_url, tmp_path).stdout)
    assert after == before, "the refused load changed the request"


def renamed_site(tmp_path: Path, code: str) -> Path:
    """The example facility with another site code, as after an edit of facility.yml."""
    data = yaml.safe_load((ROOT / "inventories" / "example" / "facility.yml").read_text())
    data["site"]["code"] = code
    site = tmp_path / "renamed"
    site.mkdir()
    (site / "facility.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return site


def test_a_renamed_site_is_refused_until_the_register_is_renamed(register_url: str, tmp_path: Path) -> None:
    register = open_register(register_url)
    first, second = submit(register, "disdik"), submit(register, "dinkes")
    held = colo(["capacity", first, "--json"], register_url, tmp_path)
    assert held.returncode == 0, held.stderr
    before = json.loads(held.stdout)["report"]["placement"]
    site = renamed_site(tmp_path, "dc-ciamis-baru")
    refused = colo(["capacity", second, "--json"], register_url, tmp_path, site=site)
    assert refused.returncode == 2, refused.stderr
    assert "'dc-ciamis'" in refused.stderr and "'dc-ciamis-baru'" in refused.stderr
    assert "colo register rename-site dc-ciamis dc-ciamis-baru" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = json.loads(colo(["request", "show", second, "--json"], register_url, tmp_path).stdout)
    assert (shown["state"], shown["documents"]) == ("disposed", [])
    typo = colo(["register", "rename-site", "dc-ciamis", "dc-ciamis-bru"], register_url, tmp_path, site=site)
    assert typo.returncode == 2 and "dc-ciamis-baru" in typo.stderr
    rename = ["register", "rename-site", "dc-ciamis", "dc-ciamis-baru", "--json"]
    renamed = colo(rename, register_url, tmp_path, site=site)
    assert renamed.returncode == 0, renamed.stderr
    assert json.loads(renamed.stdout) == {"from": "dc-ciamis", "to": "dc-ciamis-baru", "claims": 1}
    checked = colo(["capacity", second, "--json"], register_url, tmp_path, site=site)
    assert checked.returncode == 0, checked.stderr
    after = json.loads(checked.stdout)["report"]["placement"]
    assert after["port"] != before["port"] and after["address"] != before["address"]
    assert not set(after["units"]) & set(before["units"]) or after["rack"] != before["rack"]
    assert after["vlan"] != before["vlan"]  # another agency: another VLAN, the first one still taken
    old_name = colo(["capacity", submit(register, "bappeda")], register_url, tmp_path)
    assert old_name.returncode == 2 and "rename-site dc-ciamis-baru dc-ciamis" in old_name.stderr
    register.close()


def test_rack_option_holds_there_and_shows_the_path_to_layer3(register_url: str, tmp_path: Path) -> None:
    register = open_register(register_url)
    rid = submit(register, "disdik")
    unknown = colo(["capacity", rid, "--rack", "R09"], register_url, tmp_path)
    assert unknown.returncode == 2 and "'R09' is not a rack of site" in unknown.stderr
    done = colo(["capacity", rid, "--rack", "R02"], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert ("path to layer 3: sw-access-02 → trunk sw-access-02:GigabitEthernet1/0/48 - "
            "sw-core-01:GigabitEthernet1/0/1 → sw-core-01") in " ".join(done.stdout.split())
    shown = json.loads(colo(["capacity", rid, "--json"], register_url, tmp_path).stdout)
    assert shown["report"]["placement"]["rack"] == "R02"
    assert shown["report"]["placement"]["path"][0] == "sw-access-02"
    assert colo(["capacity", submit(register, "bappeda", watts=3000), "--rack", "R02"], register_url,
                tmp_path).returncode == 0
    full = colo(["capacity", submit(register, "dinkes", watts=2000), "--rack", "R02"], register_url, tmp_path)
    assert full.returncode == 3 and "rack power R02: needs 2000 W, 1550 available" in full.stderr
