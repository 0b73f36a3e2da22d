"""Many `colo` processes at once on one register, on SQLite and on PostgreSQL: nobody fails.

Real processes, as users run them: first submits into a register that does not exist yet (one creates the
schema, the others wait for it), and steps of distinct requests whose documents take a second each to render
(the register is not held while they render). A database failure is one plain sentence, never SQL.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from provisioner.register.db import open_register
from provisioner.register.models import DocumentRecord
from provisioner.steps.submit import submit_request
from provisioner.workflow import RequestState, get_request, state_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"
SITE = ROOT / "inventories" / "example"
PROCESS_TIMEOUT_S = 600
SQL_WORDS = ("[SQL", "SELECT ", "INSERT ", "UPDATE ", "PRAGMA", "sqlalche.me", "Traceback")

pytestmark = pytest.mark.slow


def colo_env(db: str) -> dict[str, str]:
    return {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT), "COLO_TECHNICIAN": "Rina Teknisi"}


def colo_command(cwd: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "provisioner.cli.main", "--site", str(SITE), "--output", str(cwd / "docs"),
            *args]


def run_all(commands: list[list[str]], db: str, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once, then wait for each (bounded)."""
    procs = [
        subprocess.Popen(cmd, env=colo_env(db), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for cmd in commands
    ]
    done = []
    for cmd, proc in zip(commands, procs, strict=True):
        try:
            out, err = proc.communicate(timeout=PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            raise
        done.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return done


def fresh_url(register_url: str) -> str:
    """The register URL of a database with no schema yet (SQLite: not even the file or its folder)."""
    if register_url.startswith("sqlite"):
        assert not Path(register_url.removeprefix("sqlite:///")).parent.exists()
    return register_url


def test_fifty_first_submits_into_a_new_register(register_url: str, tmp_path: Path) -> None:
    url = fresh_url(register_url)
    requests = []
    for n in range(50):
        doc = yaml.safe_load(EXAMPLE.read_text())
        doc["server"]["hostname"] = f"host-{n:02d}"
        path = tmp_path / f"request-{n:02d}.yaml"
        path.write_text(yaml.safe_dump(doc))
        requests.append(colo_command(tmp_path, "request", "submit", str(path)))
    runs = run_all(requests, url, tmp_path)
    failed = [(r.returncode, r.stderr) for r in runs if r.returncode != 0]
    assert failed == []
    ids = [r.stdout.strip() for r in runs]
    assert len(set(ids)) == 50
    register = open_register(url)
    with register.session() as session:
        hostnames = {get_request(session, rid).hostname for rid in ids}
    register.close()
    assert hostnames == {f"host-{n:02d}" for n in range(50)}


def submitted(url: str, count: int) -> list[str]:
    from provisioner.request import load_request

    spec, source = load_request(EXAMPLE)
    register = open_register(url)
    try:
        return [submit_request(register, spec.model_dump(mode="json"), source, actor="Budi (disdik)")
                for _ in range(count)]
    finally:
        register.close()


def test_forty_parallel_dispositions_all_complete(register_url: str, tmp_path: Path) -> None:
    ids = submitted(register_url, 40)
    runs = run_all(
        [colo_command(tmp_path, "dispose", rid, "--by", "Asep", "--to", "Dedi") for rid in ids],
        register_url, tmp_path,
    )
    failed = [(r.returncode, r.stderr) for r in runs if r.returncode != 0]
    assert failed == []
    register = open_register(register_url)
    with register.session() as session:
        for rid in ids:
            record = get_request(session, rid)
            assert state_of(record) == RequestState.DISPOSED
            [document] = record.documents
            pdf = Path(document.pdf_path)
            assert pdf.is_absolute() and pdf.parent == (tmp_path / "docs" / rid)
            assert hashlib.sha256(pdf.read_bytes()).hexdigest() == document.sha256
    register.close()
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(ids)
    assert not list((tmp_path / "docs").glob("**/.staging-*")), "a staging folder was left behind"


@pytest.mark.parametrize("planted", ["file", "link"])
def test_a_document_that_cannot_be_written_records_no_step(
    register_url: str, tmp_path: Path, planted: str
) -> None:
    """The request's folder is a file or a link: step 2 is not recorded, nothing is written through the
    link, and once the folder is free the next try completes the step."""
    [rid] = submitted(register_url, 1)
    (tmp_path / "docs").mkdir()
    (tmp_path / "elsewhere").mkdir()
    blocker = tmp_path / "docs" / rid
    if planted == "file":
        blocker.write_text("not a folder")
    else:
        blocker.symlink_to(tmp_path / "elsewhere")
    [run] = run_all([colo_command(tmp_path, "dispose", rid, "--by", "Asep", "--to", "Dedi")], register_url,
                    tmp_path)
    assert run.returncode == 2, run.stderr
    assert "--output" in run.stderr and "nothing was recorded" in run.stderr
    assert not any(word in run.stderr for word in SQL_WORDS), run.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == [rid]
    register = open_register(register_url)
    with register.session() as session:
        record = get_request(session, rid)
        assert state_of(record) == RequestState.SUBMITTED
        assert session.query(DocumentRecord).count() == 0
    blocker.unlink()
    [again] = run_all([colo_command(tmp_path, "dispose", rid, "--by", "Asep", "--to", "Dedi")], register_url,
                      tmp_path)
    assert again.returncode == 0, again.stderr
    with register.session() as session:
        assert state_of(get_request(session, rid)) == RequestState.DISPOSED
    register.close()


@pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)
def test_a_register_locked_past_the_busy_timeout_is_a_plain_exit_1(register_url: str, tmp_path: Path) -> None:
    [rid] = submitted(register_url, 1)
    holder = sqlite3.connect(register_url.removeprefix("sqlite:///"), isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(90, holder.rollback)
    release.start()
    try:
        [run] = run_all([colo_command(tmp_path, "dispose", rid, "--by", "Asep", "--to", "Dedi")],
                        register_url, tmp_path)
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert run.returncode == 1, run.stderr
    assert "register" in run.stderr and "locked" in run.stderr, run.stderr
    assert not any(word in run.stderr for word in SQL_WORDS), run.stderr


@pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)
def test_a_register_that_is_not_a_database_is_a_plain_exit_1(register_url: str, tmp_path: Path) -> None:
    path = Path(register_url.removeprefix("sqlite:///"))
    path.parent.mkdir(mode=0o700)
    path.write_bytes(b"not a database, just some bytes" * 100)
    [run] = run_all([colo_command(tmp_path, "request", "list")], register_url, tmp_path)
    assert run.returncode == 1, run.stderr
    assert "register" in run.stderr and "not a database" in run.stderr, run.stderr
    assert not any(word in run.stderr for word in SQL_WORDS), run.stderr


def test_decommission_records_its_document_with_its_event(register_url: str, tmp_path: Path) -> None:
    """A server known only by its asset row (nothing held): `colo decommission` closes the row and records
    the report, rendered before the register is written, with its event."""
    from datetime import UTC, datetime

    from provisioner.register.models import AssetRecord

    [rid] = submitted(register_url, 1)
    register = open_register(register_url)
    with register.session() as session:
        session.add(AssetRecord(request_id=rid, agency_code="disdik", hostname="simpeg", serial="7XK2Q93",
                                os="Debian 12", location="R01 U3", installed_at=datetime.now(UTC),
                                details={"asset_tag": "DC-CIAMIS-2026-0001"}))
    [run] = run_all([colo_command(tmp_path, "decommission", rid, "--json")], register_url, tmp_path)
    assert run.returncode == 0, run.stderr
    with register.session() as session:
        record = get_request(session, rid)
        [event] = [e for e in record.events if e.stage == "decommission"]
        [document] = record.documents
        assert document.event_id == event.id and document.kind == "decommission_report"
        assert hashlib.sha256(Path(document.pdf_path).read_bytes()).hexdigest() == document.sha256
        asset = session.query(AssetRecord).one()
        assert asset.decommissioned_at is not None
        assert "marked decommissioned" in " ".join(event.details["actions"])
    register.close()
    assert not list((tmp_path / "docs").glob("**/.staging-*"))
