"""Official document numbers: one counter per kind and year, atomic when many steps number at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from provisioner.documents.numbering import issue_number
from provisioner.organisation import Letterhead, Organisation
from provisioner.register.db import Register, open_register
from provisioner.request import load_request
from provisioner.steps.submit import submit_request

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = Letterhead("dc-lab", "Data Center Lab", "lab.ciamiskab.go.id", Organisation())
DECEMBER = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def requests(register: Register, count: int) -> list[str]:
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    return [submit_request(register, spec.model_dump(mode="json"), source, actor="Budi Santoso")
            for _ in range(count)]


def test_twenty_at_once_get_twenty_numbers_without_gaps(register_url: str) -> None:
    register = open_register(register_url)
    ids = requests(register, 20)
    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(lambda r: issue_number(register, r, "handover_minutes", SITE, DECEMBER), ids))
    assert sorted(numbers) == [f"{n:03d}/BAST-COLO/dc-lab/2026" for n in range(1, 21)]
    again = [issue_number(register, rid, "handover_minutes", SITE, DECEMBER) for rid in ids]
    assert again == numbers, "a request's document keeps its number"
    assert issue_number(register, ids[0], "work_report", SITE, DECEMBER) == "001/LHK-COLO/dc-lab/2026"
    register.close()


def test_each_year_counts_from_one_in_the_site_format(register_url: str) -> None:
    register = open_register(register_url)
    first, second = requests(register, 2)
    site = Letterhead("dc-ciamis", "DC", "ciamiskab.go.id",
                      Organisation(number_format="{code}.{seq:04d}/{site}/{month}/{year}"))
    december = issue_number(register, first, "handover_minutes", site, DECEMBER)
    assert december == "BAST-COLO.0001/dc-ciamis/XII/2026"
    # 1 January 2027, 00.30 in Jakarta: already next year there
    new_year = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    january = issue_number(register, second, "handover_minutes", site, new_year)
    assert january == "BAST-COLO.0001/dc-ciamis/I/2027"
    register.close()
