"""The site's organisation: NIPs checked, titles, people found by name or NIP, and the `--by` rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.errors import BadInput, Refused
from provisioner.facility import load_facility, parse_facility
from provisioner.organisation import STEP_ROLES, Organisation, Person, Role, check_nip, signatory

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "facilities" / "example.yml"
HEAD = Person(name="Drs. Asep Hidayat", nip="196711101997031008", position="Kepala Bidang",
              rank="Pembina, IV/a", roles=(Role.HEAD_OF_DIVISION,))
TECHNICIAN = Person(name="Rina Marlina, A.Md.", nip="199105222015032001", position="Pranata Komputer",
                    rank="Pengatur, II/c", roles=(Role.TECHNICIAN,))
OFFICE = Organisation(division="Bidang Persandian dan Telematika", section="Seksi Telematika",
                      people=(HEAD, TECHNICIAN))


def test_a_nip_is_grouped_as_documents_print_it() -> None:
    assert check_nip("196711101997031008") == "196711101997031008"
    assert HEAD.nip_grouped == "19671110 199703 1 008"


@pytest.mark.parametrize(("nip", "reason"), [
    ("19671110199703100", "18 digits"),
    ("19671110 199703 1 008", "18 digits"),
    ("196713101997031008", "digits 1-8 (19671310)"),
    ("196702301997031008", "digits 1-8 (19670230)"),
    ("196711101997131008", "digits 9-14 (199713)"),
    ("196711101997001008", "digits 9-14 (199700)"),
    ("196711101960031008", "digits 9-14 (196003)"),
    ("196711109999031008", "digits 9-14 (999903)"),
    ("196711101997033008", "digit 15 (3)"),
])
def test_a_bad_nip_is_refused_saying_which_part(nip: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_nip(nip)


def facility_data(organisation: dict[str, Any]) -> dict[str, Any]:
    loaded = yaml.safe_load(DATA.read_text())
    assert isinstance(loaded, dict)
    return {**loaded, "organisation": organisation}


def person(**changes: Any) -> dict[str, Any]:
    return {"name": "Rina", "nip": "199105222015032001", "position": "Pelaksana", "rank": "Pengatur, II/c",
            "roles": ["technician"], **changes}


@pytest.mark.parametrize(("organisation", "problem"), [
    ({"people": [person(nip="199105222015033001")]}, "organisation.people.0.nip: digit 15 (3)"),
    ({"people": [person(roles=["boss"])]}, "organisation.people.0.roles.0: Input should be"),
    ({"people": [person(roles=[])]}, "organisation.people.0.roles: "),
    ({"people": [person(), person(name="Rina Lain")]}, "organisation.people[1].nip: '199105222015032001' is "
                                                        "also people[0]"),
    ({"people": [person(), person(nip="199309102019031005")]}, "organisation.people[1].name: 'Rina'"),
    ({"people": [person(rank="Pengatur\nII/c")]}, "organisation.people.0.rank: must not contain"),
    ({"number_format": "{nomor}/{year}"}, "organisation.number_format: unknown fields ['nomor']"),
    ({"number_format": "BAST/{year}"}, "organisation.number_format: must hold {seq}"),
    ({"office": ""}, "organisation.office: "),
])
def test_a_bad_organisation_is_refused_at_load_naming_the_field(
    organisation: dict[str, Any], problem: str
) -> None:
    with pytest.raises(BadInput) as caught:
        parse_facility(facility_data(organisation))
    assert caught.value.exit_code == 2
    assert any(line.replace("[", ".").replace("]", "").startswith(problem.replace("[", ".").replace("]", ""))
               for line in caught.value.problems), caught.value.problems


def test_titles_come_from_the_office() -> None:
    assert OFFICE.title(Role.HEAD_OF_DIVISION) == "Kepala Bidang Persandian dan Telematika"
    assert OFFICE.title(Role.SECTION_HEAD) == "Kepala Seksi Telematika"
    assert OFFICE.title(Role.HEAD_OF_OFFICE) == "Kepala Dinas Komunikasi dan Informatika"
    assert Organisation().title(Role.HEAD_OF_DIVISION) == "Kepala Bidang"


def test_by_names_a_person_by_name_or_nip_with_the_step_role() -> None:
    assert OFFICE.authorise(2, "Drs. Asep Hidayat") == HEAD
    assert OFFICE.authorise(5, "19671110 199703 1 008") == HEAD
    for step in (3, 6, 7):
        assert OFFICE.authorise(step, " 199105222015032001 ") == TECHNICIAN


def test_by_an_unknown_person_is_bad_input() -> None:
    with pytest.raises(BadInput) as caught:
        OFFICE.authorise(5, "root")
    assert caught.value.exit_code == 2 and "'root' is not a person of the site" in str(caught.value)


@pytest.mark.parametrize(("step", "by", "needs"), [
    (5, "Rina Marlina, A.Md.", "head_of_division"), (2, "Rina Marlina, A.Md.", "head_of_division"),
    (6, "Drs. Asep Hidayat", "technician"), (3, "Drs. Asep Hidayat", "technician"),
])
def test_by_a_person_without_the_step_role_is_refused(step: int, by: str, needs: str) -> None:
    with pytest.raises(Refused) as caught:
        OFFICE.authorise(step, by)
    assert caught.value.exit_code == 3 and f"needs the role {needs}" in str(caught.value)


def test_a_site_without_people_takes_any_name() -> None:
    assert Organisation().authorise(5, "anyone") is None
    assert not Organisation().checks_roles


def test_signature_blocks_carry_rank_and_nip_for_people_of_the_site() -> None:
    block = signatory(OFFICE, "Kepala Bidang", "Drs. Asep Hidayat")
    assert (block.name, block.rank) == ("Drs. Asep Hidayat", "Pembina, IV/a")
    assert block.nip == "19671110 199703 1 008"
    assert signatory(OFFICE, "Pemohon", "Budi Santoso").nip is None


def test_the_lab_lists_a_person_for_every_role() -> None:
    organisation = load_facility(ROOT / "inventories" / "lab").organisation
    held = {role for p in organisation.people for role in p.roles}
    assert held == set(Role) and set(STEP_ROLES.values()) <= held


def test_the_demo_is_done_by_the_site_people() -> None:
    from provisioner import demo
    from provisioner.demo import actors

    lab = load_facility(ROOT / "inventories" / "lab").organisation
    expected = demo.Actors("Drs. Asep Hidayat", "Dede Kurniawan, S.Kom.", "Rina Marlina, A.Md.")
    assert actors(lab, "root") == expected
    assert actors(lab, "Yusuf Maulana, S.T.").technician == "Yusuf Maulana, S.T."
    assert actors(lab, "Drs. Asep Hidayat").technician == "Rina Marlina, A.Md."
    assert actors(Organisation(), "root") == demo.Actors("Kepala Bidang", "Kepala Seksi", "root")


@pytest.mark.parametrize(("signing", "problem"), [
    ({"ca": "ca.pem", "keys": "/etc/colo/keys"}, "organisation.signing.ca: Value error, must be an absolute"),
    ({"ca": "/etc/colo/ca.pem", "keys": "/k", "password_env": "x; rm"}, "organisation.signing.password_env"),
])
def test_signing_keys_are_named_by_absolute_paths(signing: dict[str, str], problem: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_facility(facility_data({"signing": signing}))
    assert any(line.startswith(problem.replace("Value error, ", "")) for line in caught.value.problems), (
        caught.value.problems)
