"""The audit log's hash chain on SQLite and PostgreSQL: a register built through real steps verifies; an
event edited, removed or inserted in SQL, or a document's hash changed, is caught by `colo register verify`
(exit 3, naming the event); many writers at once leave a chain that verifies."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from provisioner.register.db import open_register
from tests.integration.test_register_concurrency import EXAMPLE, colo_command, colo_env, run_all, submitted

pytestmark = pytest.mark.slow


def colo(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(colo_command(cwd, *args), env=colo_env(url), cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def verify(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return colo(url, cwd, "register", "verify")


def sql(url: str, statement: str, **params: object) -> None:
    register = open_register(url)
    with register.engine.begin() as conn:
        conn.execute(text(statement), params)
    register.close()


def event_ids(url: str) -> list[int]:
    register = open_register(url)
    with register.engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM events ORDER BY position"))]
    register.close()
    return ids


def built(url: str, cwd: Path) -> list[int]:
    """Three requests through real steps: submitted, two disposed (with their documents), one cancelled in
    between; the events' ids in chain order."""
    first, second, third = submitted(url, 3)
    for command in (["dispose", first, "--by", "Asep", "--to", "Dedi"],
                    ["request", "cancel", second, "--by", "Asep", "--reason", "withdrawn by the agency"],
                    ["dispose", third, "--by", "Asep", "--to", "Dedi"]):
        run = colo(url, cwd, *command)
        assert run.returncode == 0, run.stderr
    return event_ids(url)


def test_an_untouched_register_verifies_and_its_export_carries_the_head(
    register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    run = verify(register_url, tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"the audit log's chain is intact: {len(ids)} events, head " in run.stdout
    head = run.stdout.split("head ")[1].strip()
    assert len(head) == 64
    as_json = json.loads(colo(register_url, tmp_path, "register", "verify", "--json").stdout)
    assert (as_json["intact"], as_json["events"], as_json["head"]) == (True, len(ids), head)
    export = colo(register_url, tmp_path, "register", "export", "--output", str(tmp_path / "assets.csv"),
                  "--json")
    assert json.loads(export.stdout)["audit_head"] == head


def test_an_edited_event_is_named(register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    sql(register_url, "UPDATE events SET details = :d WHERE id = :id", d='{"reason": "none"}', id=ids[4])
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"event {ids[4]} was edited" in run.stderr


def test_a_changed_document_hash_is_its_event_edited(register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    sql(register_url, "UPDATE documents SET sha256 = :h WHERE event_id = :id", h="0" * 64, id=ids[3])
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"event {ids[3]} was edited" in run.stderr


def test_a_removed_event_is_caught_after_the_one_before_it(register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    sql(register_url, "DELETE FROM events WHERE id = :id", id=ids[4])
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"the event at position 5 (after event {ids[3]}) was removed" in run.stderr


def test_the_last_event_removed_is_caught(register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    sql(register_url, "DELETE FROM documents WHERE event_id = :id", id=ids[-1])
    sql(register_url, "DELETE FROM events WHERE id = :id", id=ids[-1])
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"the event at position {len(ids)} (after event {ids[-2]}) was removed" in run.stderr


def test_an_inserted_event_is_named(register_url: str, tmp_path: Path) -> None:
    ids = built(register_url, tmp_path)
    sql(register_url,
        "INSERT INTO events (request_id, step, stage, actor, at, outcome, details) "
        "SELECT request_id, NULL, NULL, 'someone', at, 'cancelled', '{}' FROM events WHERE id = :id",
        id=ids[0])
    [inserted] = set(event_ids(register_url)) - set(ids)
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"event {inserted} was inserted" in run.stderr


def test_an_inserted_event_copying_the_chain_is_named(register_url: str, tmp_path: Path) -> None:
    """A row placed at the end with the last event's hash as its previous one, its own hash made up."""
    ids = built(register_url, tmp_path)
    sql(register_url,
        "INSERT INTO events "
        "(request_id, step, stage, actor, at, outcome, details, position, previous_hash, hash) "
        "SELECT request_id, NULL, NULL, actor, at, 'cancelled', '{}', position + 1, hash, hash "
        "FROM events WHERE id = :id", id=ids[-1])
    [inserted] = set(event_ids(register_url)) - set(ids)
    run = verify(register_url, tmp_path)
    assert run.returncode == 3
    assert f"event {inserted} was" in run.stderr


def test_twenty_submits_at_once_leave_a_chain_that_verifies(register_url: str, tmp_path: Path) -> None:
    commands = []
    for n in range(20):
        doc = yaml.safe_load(EXAMPLE.read_text())
        doc["server"]["hostname"] = f"host-{n:02d}"
        path = tmp_path / f"request-{n:02d}.yaml"
        path.write_text(yaml.safe_dump(doc))
        commands.append(colo_command(tmp_path, "request", "submit", str(path)))
    runs = run_all(commands, register_url, tmp_path)
    assert [(r.returncode, r.stderr) for r in runs if r.returncode != 0] == []
    run = verify(register_url, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "intact: 20 events" in run.stdout

