"""Random sequences of check, hold, allocate, cancel and release never exceed a capacity or book twice."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from allocate_support import assert_within_capacity, facility, submit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.allocate import Allocation, allocate, find_allocation, release
from provisioner.errors import NoCapacity, Refused
from provisioner.register.db import Register, open_register
from provisioner.steps import capacity
from provisioner.workflow import cancel, get_request

AGENCIES = ["opd-a", "opd-b", "opd-c", "opd-d", "opd-e", "opd-f", "opd-g", "opd-h", "opd-i", "opd-j", "opd-k"]
new_request = st.tuples(
    st.just("check"), st.sampled_from(AGENCIES), st.integers(1, 8), st.integers(1, 3000), st.integers(1, 400)
)
on_existing = st.tuples(st.sampled_from(["allocate", "release", "cancel"]), st.integers(0, 1000))
operations = st.lists(st.one_of(new_request, on_existing), min_size=1, max_size=40)
examples = itertools.count()


@contextmanager
def fresh_register(register_url: str) -> Iterator[Register]:
    """An empty register of its own for one example (a register belongs to one site)."""
    url = sqlalchemy.engine.make_url(register_url)
    n = next(examples)
    if url.get_backend_name() == "sqlite":
        register = open_register(url.set(database=f"{url.database}.{n}").render_as_string(False))
        yield register
        register.close()
        return
    name = f"{url.database}_{n}"
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    register = open_register(url.set(database=name).render_as_string(False))
    try:
        yield register
    finally:
        register.close()
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_every_capacity(register_url: str, ops: list[tuple[Any, ...]]) -> None:
    with fresh_register(register_url) as register:
        check_operations(register, ops)


def check_operations(register: Register, ops: list[tuple[Any, ...]]) -> None:
    site = facility("contended")
    requests: list[str] = []
    allocated: dict[str, Allocation] = {}
    for op in ops:
        if op[0] == "check":
            _, agency, units, watts, mbps = op
            rid = submit(register, agency, units=units, watts=watts, mbps=mbps)
            requests.append(rid)
            capacity.run(register, site, rid, by="teknisi")
        elif requests:
            rid = requests[op[1] % len(requests)]
            if op[0] == "allocate":
                try:
                    allocation = allocate(register, site, rid)
                except NoCapacity:
                    assert rid not in allocated
                else:
                    assert allocated.setdefault(rid, allocation) == allocation, "asked again: another answer"
            elif op[0] == "release":
                release(register, site, rid)
                allocated.pop(rid, None)
            else:
                try:
                    with register.session() as session:
                        cancel(session, get_request(session, rid), "kepala bidang", "withdrawn")
                except Refused:
                    pass  # already closed
        assert_within_capacity(register, site)
    with register.session() as session:
        for rid, allocation in allocated.items():
            assert find_allocation(session, site, rid) == allocation
