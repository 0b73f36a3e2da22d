"""`--by` on a site that lists its people: who may do which step, and four eyes between steps 5 and 6."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from test_cli_steps import EXAMPLE, ROOT, Colo

from provisioner.register.db import open_register
from provisioner.workflow import Step, get_request
from tests.integration.conftest import LabHandle

# The roles are read from the site file, not the register: their PostgreSQL runs are twins.
POSTGRESQL_KEPT = frozenset()

LAB = ROOT / "inventories" / "lab"
HEAD, SECTION = "Drs. Asep Hidayat", "Dede Kurniawan, S.Kom."
TECHNICIAN, OTHER_TECHNICIAN = "Rina Marlina, A.Md.", "Yusuf Maulana, S.T."
HEAD_NIP = "19671110 199703 1 008"


def lab_site(tmp: Path, **organisation: object) -> Path:
    """A copy of the lab's site files, its organisation changed by ``organisation``."""
    site = tmp / "lab-site"
    shutil.copytree(LAB, site)
    facility = yaml.safe_load((site / "facility.yml").read_text())
    facility["organisation"].update(organisation)
    (site / "facility.yml").write_text(yaml.safe_dump(facility, allow_unicode=True, sort_keys=False))
    return site


def on_site(colo: Colo, site: Path) -> Colo:
    colo.env = {**colo.env, "COLO_SITE": str(site)}
    del colo.env["COLO_TECHNICIAN"]
    return colo


@pytest.fixture
def colo(tmp_path: Path, register_url: str, lab: LabHandle) -> Colo:
    """The CLI on a register of its own; the lab is up, for its people's signing keys and credentials file."""
    return Colo(tmp_path, register_url)


def events(colo: Colo, request_id: str) -> list[tuple[int | None, str]]:
    register = open_register(colo.url)
    with register.session() as session:
        found = [(e.step, e.actor) for e in get_request(session, request_id).events]
    register.close()
    return found


def test_each_step_takes_a_person_of_the_site_with_its_role(colo: Colo) -> None:
    colo = on_site(colo, LAB)
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    before = events(colo, request_id)
    unknown = colo("dispose", request_id, "--by", "Kepala Bidang", "--to", SECTION, code=2)
    assert "'Kepala Bidang' is not a person of the site" in unknown.stderr
    wrong = colo("dispose", request_id, "--by", TECHNICIAN, "--to", SECTION, code=3)
    assert f"{TECHNICIAN} may not do step 2: it needs the role head_of_division" in wrong.stderr
    to_wrong = colo("dispose", request_id, "--by", HEAD, "--to", HEAD, code=3)
    assert f"--to: {HEAD} may not do receive the disposition (step 2): it needs the role section_head" \
        in to_wrong.stderr
    assert events(colo, request_id) == before
    assert not (colo.output / request_id).exists()

    disposed = colo.json("dispose", request_id, "--by", HEAD_NIP, "--to", SECTION)
    assert isinstance(disposed, dict) and disposed["actor"] == HEAD and disposed["details"] == {"to": SECTION}
    colo("capacity", request_id, "--by", HEAD, code=3)
    colo("capacity", request_id, "--by", "root", code=2)
    checked = colo.json("capacity", request_id, "--by", "199105222015032001")
    assert isinstance(checked, dict) and checked["actor"] == TECHNICIAN
    colo("apply", request_id, "--serial", "7XK2Q93", "--staging-address", "10.231.250.11")
    before = events(colo, request_id)
    assert "needs the role head_of_division" in colo("approve", request_id, "--by", TECHNICIAN, code=3).stderr
    assert events(colo, request_id) == before
    approved = colo.json("approve", request_id, "--by", HEAD)
    assert isinstance(approved, dict) and approved["actor"] == HEAD
    refused = colo("provision", request_id, "--by", HEAD, code=3)
    assert "needs the role technician" in refused.stderr
    assert [actor for step, actor in events(colo, request_id) if step is not None][1:] == [
        HEAD, TECHNICIAN, "Budi Santoso", HEAD]


def test_whoever_approved_may_not_provision(colo: Colo, tmp_path: Path) -> None:
    """One person holding both roles approves, then is refused step 6 before anything is touched."""
    facility = yaml.safe_load((LAB / "facility.yml").read_text())
    people = facility["organisation"]["people"]
    both = next(p for p in people if p["name"] == HEAD)
    both["roles"] = ["head_of_division", "technician"]
    colo = on_site(colo, lab_site(tmp_path, people=people))
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    colo("dispose", request_id, "--by", HEAD, "--to", SECTION)
    colo("capacity", request_id, "--by", OTHER_TECHNICIAN)
    colo("apply", request_id, "--serial", "7XK2Q93", "--staging-address", "10.231.250.11")
    colo("approve", request_id, "--by", HEAD)
    before = events(colo, request_id)
    refused = colo("provision", request_id, "--by", HEAD_NIP, "--yes", code=3)
    assert f"{HEAD} approved this request (step 5), so may not provision it (step 6)" in refused.stderr
    assert "organisation.four_eyes" in refused.stderr
    assert events(colo, request_id) == before
    assert before[-1] == (Step.APPROVE, HEAD)


@pytest.mark.parametrize("value", ["no", None])
def test_four_eyes_is_a_yes_or_no_of_the_site_file(colo: Colo, tmp_path: Path, value: object) -> None:
    colo = on_site(colo, lab_site(tmp_path, four_eyes=value))
    done = colo("dispose", "REQ-2026-0001", "--by", HEAD, "--to", SECTION, code=2)
    assert "organisation.four_eyes: Input should be a valid boolean" in done.stderr


@pytest.mark.parametrize("four_eyes", [False, True])
def test_a_site_without_four_eyes_says_so_in_the_final_report(tmp_path: Path, four_eyes: bool) -> None:
    from test_documents import pdf_text

    from provisioner.documents import write_step_document
    from provisioner.organisation import Letterhead, Organisation, Person, Role
    from provisioner.request import load_request
    from provisioner.steps.submit import submit_request
    from provisioner.workflow import perform_step

    alone = Person(name=HEAD, nip=HEAD_NIP.replace(" ", ""), position="Kepala Seksi", rank="Pembina, IV/a",
                   roles=(Role.HEAD_OF_DIVISION, Role.SECTION_HEAD, Role.TECHNICIAN))
    organisation = Organisation(people=(alone,), four_eyes=four_eyes)
    site = Letterhead("dc-satu", "Data Center", "example.go.id", organisation)
    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    spec, source = load_request(EXAMPLE)
    request_id = submit_request(register, spec.model_dump(mode="json"), source, actor="Budi Santoso")
    for step in (Step.DISPOSE, Step.CAPACITY, Step.APPLY, Step.APPROVE, Step.PROVISION):
        perform_step(register, request_id, step, HEAD, {"serial": "7XK2Q93"} if step == Step.APPLY else {})
    run = perform_step(register, request_id, Step.REPORT, HEAD, {}, after=lambda s, r, e: [
        write_step_document(s, r, "final_report", site, tmp_path, event=e)])
    register.close()
    text = " ".join(pdf_text(Path(run.documents[0].pdf_path)).split())
    assert ("Prinsip empat mata tidak diterapkan" in text) is not four_eyes
