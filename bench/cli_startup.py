"""How long `colo --help` and `colo request list` take from a cold process, on a register of 200 requests
(target: `colo request list` under 0.3 s).

Run: python3 bench/cli_startup.py [RUNS]   (a throwaway register and site in a temporary directory)

The register is built in one process: 200 requests of the example, half of them with their disposition
(step 2) recorded, so the list shows requests in two states, each with an overdue step. Each figure is the
wall-clock time of a whole `python3 -m provisioner.cli.main ...` process; the CPU time (user + system) beside
it is what the process itself spent, which a machine busy with other work changes less; min/help compares it
with `colo --help`. Bytecode is written (as for an installed copy) even where $PYTHONDONTWRITEBYTECODE is
set. Then whether the target is met by the fastest run of both listings, and where the import time goes.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 0.3
REQUESTS = 200
COMMANDS = (["--help"], ["request", "list"], ["request", "list", "--json"])


def build_register(url: str) -> None:
    """REQUESTS requests of the example request, submitted an hour ago; every other one with its disposition
    recorded now. Step 2's standard time is 15 minutes, so every request is overdue at step 2."""
    from datetime import timedelta

    from provisioner.register.db import open_register, utcnow
    from provisioner.request import load_request
    from provisioner.steps.submit import submit_request
    from provisioner.workflow import Step, perform_step

    register = open_register(url)
    spec, text = load_request(ROOT / "examples" / "request-simpeg.yaml")
    document = spec.model_dump(mode="json")
    submitted = utcnow() - timedelta(hours=1)
    for n in range(REQUESTS):
        request_id = submit_request(register, document, text, actor=spec.agency.contact.name, now=submitted)
        if n % 2:
            perform_step(register, request_id, Step.DISPOSE, "Kepala Bidang", {"to": "Kasi Telematika"})
    register.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(argv: list[str], runs: int, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each of `runs` runs of `argv`."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return walls, cpus


def imports_by_package(env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Seconds `colo request list` spends importing each top-level package (python -X importtime)."""
    argv = [sys.executable, "-X", "importtime", "-m", "provisioner.cli.main", "request", "list"]
    done = subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, text=True)
    spent: dict[str, float] = {}
    for match in re.finditer(r"^import time:\s+(\d+) \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.MULTILINE):
        package = match.group(2).split(".")[0]
        spent[package] = spent.get(package, 0.0) + int(match.group(1)) / 1e6
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory(prefix="colo-bench-") as tmp:
        work = Path(tmp)
        (work / "site").mkdir()
        shutil.copy(ROOT / "tests" / "data" / "facilities" / "example.yml", work / "site" / "facility.yml")
        url = f"sqlite:///{work}/register.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLO_DB": url, "COLO_SITE": str(work / "site")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # modules compiled once, as for an installed copy
        build_register(url)
        measure([sys.executable, "-m", "provisioner.cli.main", "request", "list"], 1, env, work)  # warm-up
        walls, cpus = measure([sys.executable, "-c", "pass"], runs)
        print(f"register: {REQUESTS} requests; python3 -c pass: mean {statistics.mean(walls):.3f} s, "
              f"cpu mean {statistics.mean(cpus):.3f} s (interpreter start, included below)")
        fastest: dict[str, float] = {}
        for args in COMMANDS:
            command = " ".join(args)
            walls, cpus = measure([sys.executable, "-m", "provisioner.cli.main", *args], runs, env, work)
            fastest[command] = min(walls)
            print(f"colo {command:<20} runs {runs}  mean {statistics.mean(walls):.3f} s  "
                  f"min {min(walls):.3f} s  cpu mean {statistics.mean(cpus):.3f} s  "
                  f"min/help {min(walls) / fastest['--help']:.2f}  min/target {min(walls) / TARGET_S:.2f}")
        listing = max(fastest["request list"], fastest["request list --json"])
        verdict = "met" if listing < TARGET_S else "NOT met"
        print(f"target: colo request list under {TARGET_S} s on {REQUESTS} requests: {verdict} "
              f"(min {listing:.3f} s, table or --json, whichever is slower)")
        top = list(imports_by_package(env, work).items())[:6]
        print("colo request list imports (s): " + ", ".join(f"{name} {seconds:.3f}" for name, seconds in top))


if __name__ == "__main__":
    main()
