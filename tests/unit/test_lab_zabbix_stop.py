"""Stopping the lab's Zabbix after its daemons and PostgreSQL were ended from outside (a killed run)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from provisioner.lab import procs, zabbix


def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_stop_clears_stale_pid_files_without_calling_pg_ctl(tmp_path: Path) -> None:
    (tmp_path / "pg").mkdir()
    postmaster = tmp_path / "pg" / "postmaster.pid"
    postmaster.write_text(f"{dead_pid()}\n/var/lib/colo-lab/zabbix/pg\n1764700000\n5433\n")
    (tmp_path / "zabbix_server.pid").write_text(f"{dead_pid()}\n")
    zabbix.stop(tmp_path)
    assert not postmaster.exists()
    assert not zabbix.running(tmp_path)


def test_daemon_pid_reads_a_daemons_own_file(tmp_path: Path) -> None:
    own = tmp_path / "own.pid"
    own.write_text("1\n")
    assert procs.daemon_pid(own) == 1
    own.write_text(f"{dead_pid()}\n")
    assert procs.daemon_pid(own) is None
    own.write_text("not a pid\n")
    assert procs.daemon_pid(own) is None
    assert procs.daemon_pid(tmp_path / "missing.pid") is None
