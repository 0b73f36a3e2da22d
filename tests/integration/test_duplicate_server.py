"""One physical server, two requests: the same letter, serial and hostname submitted twice. Both may reach
step 5; step 6 places the server for the one that has it first and refuses the other (exit 3, naming it),
before anything is contacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.allocate import refuse_duplicate
from provisioner.register.db import open_register
from provisioner.workflow import get_request

# The register's constraint is proven on PostgreSQL by test_register; this CLI run there is a twin.
POSTGRESQL_KEPT = frozenset()

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"
SITE = ROOT / "inventories" / "example"

pytestmark = pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)


def colo(db: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT), "COLO_TECHNICIAN": "Rina Teknisi"}
    cmd = [sys.executable, "-m", "provisioner.cli.main", "--site", str(SITE), "--output", str(cwd / "docs"),
           *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)


def through_step_5(db: str, cwd: Path) -> str:
    submitted = colo(db, cwd, "request", "submit", str(EXAMPLE))
    assert submitted.returncode == 0, submitted.stderr
    rid = submitted.stdout.strip()
    for args in (
        ["dispose", rid, "--by", "Asep", "--to", "Dedi"],
        ["capacity", rid],
        ["apply", rid, "--serial", "7XK2Q93", "--staging-address", "192.0.2.10"],
        ["approve", rid, "--by", "Asep"],
    ):
        done = colo(db, cwd, *args)
        assert done.returncode == 0, (args[0], done.stderr)
    return rid


def test_the_second_request_for_one_server_is_refused_at_step_6(register_url: str, tmp_path: Path) -> None:
    first, second = through_step_5(register_url, tmp_path), through_step_5(register_url, tmp_path)
    refused = colo(register_url, tmp_path, "provision", second, "--yes")
    assert refused.returncode == 3, refused.stderr
    assert f"{second}: {first} is the same server" in refused.stderr
    assert "7XK2Q93" in refused.stderr and "Traceback" not in refused.stderr
    shown = json.loads(colo(register_url, tmp_path, "request", "show", second, "--json").stdout)
    assert shown["state"] == "approved" and [e for e in shown["events"] if e["step"] == 6] == []
    cancelled = colo(register_url, tmp_path, "request", "cancel", first, "--by", "Asep", "--reason", "twice")
    assert cancelled.returncode == 0, cancelled.stderr
    register = open_register(register_url)
    with register.session() as session:
        refuse_duplicate(session, get_request(session, second))  # the server is free for the second now
    register.close()
