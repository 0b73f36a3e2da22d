"""Fixtures shared by every test: the example request, the register on SQLite and on PostgreSQL, and the lab's
clean slate.

PostgreSQL: $COLO_TEST_PG_URL (an SQLAlchemy URL whose user may CREATE DATABASE) if set; otherwise a
throwaway cluster started with the Debian binaries on 127.0.0.1 for the test session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.lab.api import Lab

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REQUEST = ROOT / "examples" / "request-simpeg.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An SQLAlchemy URL of a PostgreSQL server whose user may create databases."""
    given = os.environ.get("COLO_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and COLO_TEST_PG_URL unset")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
    workdir = Path(tempfile.mkdtemp(prefix="colo-pg-"))
    data = workdir / "data"
    if as_postgres:
        shutil.chown(workdir, "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True}
    initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run([*as_postgres, *initdb], **run)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir}"
    options += " -c fsync=off"
    subprocess.run(
        [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"),
         "-w", "start"],
        **run,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import sqlalchemy

    name = f"colo_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(postgres_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty register: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register' / 'register.db'}"
    return str(request.getfixturevalue("postgres_db"))


@pytest.fixture(scope="session")
def clean_lab() -> None:
    """Before the session's first lab test, whatever an earlier run left of the lab is taken down (a run that
    was killed leaves servers cabled, ports on agency VLANs, monitoring targets, stale pid files), so every
    session starts on a lab built afresh (about 5 s). $COLO_TEST_REUSE_LAB set: a running lab is reused."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    if not os.environ.get("COLO_TEST_REUSE_LAB"):
        Lab().down()


@pytest.fixture
def example_request_path() -> Path:
    return EXAMPLE_REQUEST


def _is_twin(item: pytest.Item) -> bool:
    """A PostgreSQL run in a module that keeps PostgreSQL only for the tests it names in POSTGRESQL_KEPT."""
    callspec = getattr(item, "callspec", None)
    kept = getattr(getattr(item, "module", None), "POSTGRESQL_KEPT", None)
    if callspec is None or kept is None or callspec.params.get("register_url") != "postgresql":
        return False
    return getattr(item, "originalname", item.name) not in kept


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the PostgreSQL twins; with $COLO_TEST_WITHOUT_LAB set, skips every test that uses the lab."""
    for item in items:
        if _is_twin(item):
            item.add_marker(pytest.mark.twin)
    if not os.environ.get("COLO_TEST_WITHOUT_LAB"):
        return
    skip = pytest.mark.skip(reason="COLO_TEST_WITHOUT_LAB is set")
    for item in items:
        if "lab" in getattr(item, "fixturenames", ()) or item.get_closest_marker("lab"):
            item.add_marker(skip)
