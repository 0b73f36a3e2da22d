"""Helpers of the reliability suite: the figures, `colo` run in-process or as a process, register dumps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "inventories" / "lab"
HEAD_OF_DIVISION = "Drs. Asep Hidayat"  # the lab site's people
SECTION_HEAD = "Dede Kurniawan, S.Kom."
EXAMPLE_REQUEST = ROOT / "examples" / "request-simpeg.yaml"


@dataclass
class Figures:
    """What the suite tried and found."""

    cases: int = 0
    faults: int = 0
    leaks: list[str] = field(default_factory=list)

    def case(self, n: int = 1) -> None:
        self.cases += n

    def fault(self, n: int = 1) -> None:
        self.faults += n

    def leak(self, what: str) -> None:
        self.leaks.append(what)

    def line(self) -> str:
        return (f"reliability figures: cases tried {self.cases}, faults survived {self.faults}, "
                f"leaks found {len(self.leaks)}")


@dataclass(frozen=True)
class ColoRun:
    """The exit code and the two output streams of one `colo` run."""

    code: int
    out: str
    err: str


def run_colo(args: list[str], env: Mapping[str, str]) -> ColoRun:
    """`colo ARGS` in this process, through the console script's own `main` (its error handling included)."""
    from typer.testing import CliRunner

    from provisioner.cli.main import main

    runner = CliRunner()
    saved = sys.argv
    with runner.isolation(env=dict(env)) as (out, err, _mixed):
        sys.argv = ["colo", *args]
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = saved
        return ColoRun(code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace"))


def run_colo_process(args: list[str], env: Mapping[str, str], timeout: float = 120,
                     cwd: Path | None = None) -> ColoRun:
    """`colo ARGS` as its own process (the console script's entry point)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-m", "provisioner.cli.main", *args], capture_output=True,
                          text=True, env=full, timeout=timeout, cwd=cwd or ROOT, check=False)
    return ColoRun(done.returncode, done.stdout, done.stderr)


def dump_register(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the register, in a stable order."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        meta = sqlalchemy.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
                for name, table in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()
