"""Detached lab processes: started in their own session with a pid file and a log, stopped by either."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from provisioner.lab.sh import run


def start(argv: Sequence[str], pid_file: Path, log_file: Path, *, env: Mapping[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start `argv` detached from the caller (new session, stdin closed); record and return its pid."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=dict(env) if env is not None else None, cwd=cwd,
        )
    pid_file.write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (state is [0], start time is [19]); None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _start_time(pid: int) -> str:
    fields = _stat_fields(pid)
    return fields[19] if fields else ""


def pid_of(pid_file: Path) -> int | None:
    """The pid recorded in `pid_file` if that same process still runs (not a zombie, not a reused pid)."""
    try:
        pid_text, started = [*pid_file.read_text().split(), ""][:2]
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z" or fields[19] != started:
        return None
    return pid


def daemon_pid(pid_file: Path) -> int | None:
    """The pid a daemon wrote first in its own `pid_file` if that process runs (not a zombie)."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    fields = _stat_fields(pid)
    return None if fields is None or fields[0] == "Z" else pid


def netns_pids(netns: str) -> list[int]:
    """Pids of all processes inside network namespace `netns`."""
    out = run(["ip", "netns", "pids", netns], check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def kill(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM `pids`, then SIGKILL whatever still runs after `grace` seconds."""
    pending = set(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pending:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while pending and time.monotonic() < deadline:
            pending = {p for p in pending if _alive(p)}
            if pending:
                time.sleep(0.05)
        if not pending:
            return


def stop(pid_file: Path) -> None:
    """Stop the process recorded in `pid_file` (and its session) and remove the file."""
    pid = pid_of(pid_file)
    if pid is not None:
        kill([pid])
    pid_file.unlink(missing_ok=True)
