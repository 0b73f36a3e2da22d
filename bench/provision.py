"""Wall time of one full provision on the lab, of N requests provisioned by concurrent processes, and the
orchestrator's peak memory.  Run as root with the lab up:  python3 bench/provision.py [--concurrent 6]

Each request (the example, with its server's own hardware) is brought to step 5 for its own lab server
(lab-srv1..N, cabled to the port it holds), then
`colo provision ID --yes --json` runs as a separate process; the figures are the processes' wall time and
their peak resident memory (ru_maxrss of the children). Everything is decommissioned afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provisioner.allocate import run_capacity_step  # noqa: E402
from provisioner.decommission import decommission  # noqa: E402
from provisioner.facility import load_facility  # noqa: E402
from provisioner.lab.api import Lab  # noqa: E402
from provisioner.register.db import open_register  # noqa: E402
from provisioner.request import load_request  # noqa: E402
from provisioner.workflow import Step, perform_step, submit_request  # noqa: E402

SITE = ROOT / "inventories" / "lab"


def approved(url: str, lab: Lab, host: str) -> str:
    register = open_register(url)
    spec, text = load_request(ROOT / "examples" / "request-simpeg.yaml")
    info = lab.host(host)
    hw = info.profile
    document = spec.model_dump(mode="json")
    document["server"].update(
        hostname=f"simpeg{host[-1]}", vendor=hw.vendor, model=hw.model, serial=hw.serial,
        cpu_cores=hw.cpu_cores, memory_gb=hw.memory_gb, disk_gb=hw.disk_gb,
    )
    request_id = submit_request(register, document, text, actor="bench")
    perform_step(register, request_id, Step.DISPOSE, "kabid", {"to": "kasi"})
    run = run_capacity_step(register, load_facility(SITE), request_id, "bench")
    perform_step(register, request_id, Step.APPLY, "agency",
                 {"serial": info.profile.serial, "staging_address": info.staging_address})
    perform_step(register, request_id, Step.APPROVE, "kabid", {})
    lab.cable(host, run.event.details["report"]["placement"]["port"])
    return request_id


def provision_all(url: str, ids: list[str], workdir: Path) -> float:
    env = {**os.environ, "COLO_DB": url, "PYTHONPATH": str(ROOT), "COLO_SITE": str(SITE)}
    start = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-m", "provisioner.cli.main", "provision", rid, "--yes", "--json"],
                         cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for rid in ids
    ]
    failures = [p.communicate()[1] for p in procs if p.wait() != 0]
    elapsed = time.monotonic() - start
    if failures:
        raise SystemExit("provision failed:\n" + "\n".join(failures))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrent", type=int, default=6)
    args = parser.parse_args()
    lab = Lab()
    if lab.host_count() < args.concurrent or not lab.status().healthy:
        lab.up(hosts=max(args.concurrent, lab.host_count()))
    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    workdir = Path(tempfile.mkdtemp(prefix="colo-bench-"))
    url = f"sqlite:///{workdir / 'register.db'}"
    one = [approved(url, lab, "lab-srv1")]
    single = provision_all(url, one, workdir)
    register = open_register(url)
    for rid in one:
        decommission(register, rid, SITE, workdir / "docs", actor="bench")
    hosts = [f"lab-srv{n}" for n in range(1, args.concurrent + 1)]
    many = [approved(url, lab, h) for h in hosts]
    concurrent = provision_all(url, many, workdir)
    for rid in many:
        decommission(register, rid, SITE, workdir / "docs", actor="bench")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"one provision:                 {single:6.1f} s   (target <= 30 s)")
    print(f"{args.concurrent} concurrent provisions:       {concurrent:6.1f} s   "
          f"ratio {concurrent / single:.2f}x (target <= 3x)")
    print(f"orchestrator peak memory:      {peak_mb:6.1f} MB  (target < 200 MB)")


if __name__ == "__main__":
    main()
