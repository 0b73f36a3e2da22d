"""8 processes x 25 requests against one register: nothing is booked twice, every refusal is NoCapacity."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
from allocate_support import assert_within_capacity, facility, worker
from sqlalchemy import func, select, text

from provisioner.register.capacity_models import ClaimRecord
from provisioner.register.db import open_register

PROCESSES = 8
PER_PROCESS = 25

DUPLICATES = {
    "units": "SELECT site, rack, unit FROM claimed_units GROUP BY site, rack, unit HAVING COUNT(*) > 1",
    "ports": "SELECT site, switch, port FROM capacity_claims GROUP BY site, switch, port HAVING COUNT(*) > 1",
    "addresses": "SELECT site, address FROM capacity_claims GROUP BY site, address HAVING COUNT(*) > 1",
    "vlans": "SELECT site, vlan FROM agency_networks GROUP BY site, vlan HAVING COUNT(*) > 1",
    "subnets": "SELECT site, subnet FROM agency_networks GROUP BY site, subnet HAVING COUNT(*) > 1",
}


@pytest.mark.slow
def test_concurrent_allocation_never_double_books(register_url: str) -> None:
    register = open_register(register_url)  # migrated once, before the workers start
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(worker, register_url, n, PER_PROCESS) for n in range(PROCESSES)]
        outcomes = [o for f in futures for o in f.result()]  # any other exception fails the test here
    assert len(outcomes) == PROCESSES * PER_PROCESS
    granted = {rid for rid, outcome in outcomes if outcome == "ok"}
    refused = {rid for rid, outcome in outcomes if outcome == "no capacity"}
    assert granted and refused, "the contended site must both grant and refuse"
    with register.session() as session:
        for what, query in DUPLICATES.items():
            assert session.execute(text(query)).all() == [], f"{what} booked twice"
        assert set(session.scalars(select(ClaimRecord.request_id))) == granted
        holds = select(func.count()).select_from(ClaimRecord).where(ClaimRecord.kind != "allocated")
        assert session.scalar(holds) == 0
    assert_within_capacity(register, facility("contended"))
