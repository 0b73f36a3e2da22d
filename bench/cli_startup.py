"""How long `colo --help` and `colo request list` take from a cold process (target: under 0.5 s).

Run: python3 bench/cli_startup.py [RUNS]   (uses a throwaway register and site in a temporary directory)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
COMMANDS = (["--help"], ["request", "list"])


def measure(args: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "provisioner.cli.main", *args], env=env, cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory(prefix="colo-bench-") as tmp:
        work = Path(tmp)
        (work / "site").mkdir()
        shutil.copy(ROOT / "tests" / "data" / "facilities" / "example.yml", work / "site" / "facility.yml")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLO_DB": f"sqlite:///{work}/register.db",
               "COLO_SITE": str(work / "site")}
        subprocess.run([sys.executable, "-m", "provisioner.cli.main", "request", "submit",
                        str(ROOT / "examples" / "request-simpeg.yaml")], env=env, cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        start = time.perf_counter()
        for _ in range(runs):
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare_mean = (time.perf_counter() - start) / runs
        print(f"python3 -c pass: mean {bare_mean:.3f} s (interpreter start, included below)")
        for args in COMMANDS:
            times = measure(args, env, work, runs)
            mean = statistics.mean(times)
            print(f"colo {' '.join(args):<14} runs {runs}  mean {mean:.3f} s  min {min(times):.3f} s  "
                  f"mean/target {mean / TARGET_S:.2f}  min/target {min(times) / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
