"""Wall time of one full step 6 on the lab, of N requests (N agencies) provisioned by concurrent processes,
and the orchestrator's peak memory.  Run as root:  python3 bench/provision.py [--concurrent 6]
[--single-runs 3] [--rack R02]

With --rack R02 every server is held in rack R02 and cabled to sw-lab-02, behind the trunk: each step 6 then
changes both switches (the VLAN on both, both trunk ends, the SVI on sw-lab-01, the port on sw-lab-02).

Each request (the example, for its own agency, with its lab server's hardware) is brought to step 5 for lab
server lab-srv<n>, cabled to the port it holds; then `colo provision ID --yes --json` runs as its own process.
Figures: the processes' wall time, and the peak resident memory of the `colo` processes themselves
(ru_maxrss of each, Ansible's processes not counted; the largest Ansible process is shown beside it).
Everything is decommissioned afterwards and the servers are put back on staging.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provisioner.facility import Facility, load_facility  # noqa: E402
from provisioner.lab.api import Lab  # noqa: E402
from provisioner.register.db import Register, open_register  # noqa: E402
from provisioner.request import load_request  # noqa: E402
from provisioner.steps import capacity, decommission  # noqa: E402
from provisioner.steps.submit import submit_request  # noqa: E402
from provisioner.workflow import Step, perform_step  # noqa: E402

SITE = ROOT / "inventories" / "lab"
AGENCIES = ["disdik", "dinkes", "bappeda", "dukcapil", "dishub", "bpbd", "dpmptsp", "kominfo"]
TARGET_ONE_S, TARGET_RATIO, TARGET_MB = 25.0, 3.0, 200.0
TECHNICIAN = "Rina Marlina, A.Md."
"""A technician of the lab site (step 3 and decommission are done by one)."""
PROVISIONER = "Yusuf Maulana, S.T."
"""The technician who provisions (not the one who held the capacity: four eyes)."""
# Runs `colo` in this process and reports its own peak RSS (KiB) on stderr as it exits.
WRAPPER = (
    "import resource, runpy, sys\n"
    "sys.argv = ['colo', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('provisioner.cli.main', run_name='__main__')\n"
    "finally:\n"
    "    print('colo-maxrss-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def approved(register: Register, facility: Facility, lab: Lab, index: int, rack: str | None = None) -> str:
    """A request of agency AGENCIES[index-1] for lab-srv<index>, through step 5 with space held in `rack`
    (None: where the allocator chooses), cabled to its port."""
    host = f"lab-srv{index}"
    lab.reset_host(host)
    spec, text = load_request(ROOT / "examples" / "request-simpeg.yaml")
    info = lab.host(host)
    hw = info.profile
    document = spec.model_dump(mode="json")
    document["agency"]["code"] = AGENCIES[index - 1]
    document["server"].update(
        hostname=f"app{index}", vendor=hw.vendor, model=hw.model, serial=hw.serial,
        cpu_cores=hw.cpu_cores, memory_gb=hw.memory_gb, disk_gb=hw.disk_gb,
    )
    document["applications"][0]["subdomain"] = f"app{index}"  # a name of its own: names are held at step 3
    request_id = submit_request(register, document, text, actor=TECHNICIAN)
    perform_step(register, request_id, Step.DISPOSE, "kabid", {"to": "kasi"})
    checked = capacity.run(register, facility, request_id, by=TECHNICIAN, rack=rack)
    perform_step(register, request_id, Step.APPLY, "agency",
                 {"serial": hw.serial, "staging_address": info.staging_address})
    perform_step(register, request_id, Step.APPROVE, "kabid", {})
    placement = checked.report.placement
    assert placement is not None, checked.report
    lab.cable(host, placement.port, placement.switch)
    return request_id


def provision_all(url: str, ids: list[str], workdir: Path) -> tuple[float, float]:
    """Provision `ids` by one process each; (wall seconds, largest peak RSS of a colo process in MB)."""
    env = {**os.environ, "COLO_DB": url, "PYTHONPATH": str(ROOT), "COLO_SITE": str(SITE),
           "COLO_OUTPUT": str(workdir / "docs")}
    start = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRAPPER, "provision", rid, "--yes", "--json",
                          "--by", PROVISIONER],
                         cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for rid in ids
    ]
    errors = [p.communicate()[1] for p in procs]
    elapsed = time.monotonic() - start
    failed = [err for p, err in zip(procs, errors, strict=True) if p.returncode != 0]
    if failed:
        raise SystemExit("provision failed:\n" + "\n".join(failed))
    peaks = [int(line.split()[1]) for err in errors for line in err.splitlines()
             if line.startswith("colo-maxrss-kb ")]
    return elapsed, max(peaks) / 1024


def undo(register: Register, ids: list[str], lab: Lab, workdir: Path, homes: dict[str, str]) -> None:
    """Decommission `ids`; every server cabled back to its own port (`homes`) and reset."""
    for n, rid in enumerate(ids, start=1):
        decommission.run(register, rid, SITE, workdir / "docs", actor=TECHNICIAN)
        host = f"lab-srv{n}"
        lab.cable(host, homes[host])
        lab.reset_host(host)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrent", type=int, default=6)
    parser.add_argument("--single-runs", type=int, default=3, help="single provisions; the median is used")
    parser.add_argument("--monitoring", choices=["prometheus", "zabbix"], default="prometheus",
                        help="zabbix: the lab with Zabbix in the NOC and the site inventories/lab-zabbix")
    parser.add_argument("--rack", help="hold every server in this rack (R02: behind the trunk, on sw-lab-02)")
    args = parser.parse_args()
    global SITE
    if args.monitoring == "zabbix":
        SITE = ROOT / "inventories" / "lab-zabbix"
    lab = Lab()
    status = lab.status()
    zabbix_up = any(p.name == "zabbix" for p in status.parts)
    missing_zabbix = args.monitoring == "zabbix" and not zabbix_up
    if lab.host_count() < args.concurrent or not status.healthy or missing_zabbix:
        lab.up(hosts=max(args.concurrent, lab.host_count()), monitoring=args.monitoring)
    print(f"site {SITE.name}, monitoring {args.monitoring}")
    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    workdir = Path(tempfile.mkdtemp(prefix="colo-bench-"))
    url = f"sqlite:///{workdir / 'register.db'}"
    register, facility = open_register(url), load_facility(SITE)
    lab.prune_vlans()
    homes = {h.name: h.switch_port for h in lab.hosts() if h.switch_port is not None}
    print(f"rack {args.rack or 'chosen by the allocator'}")

    singles: list[float] = []
    single_mb = 0.0
    for _ in range(args.single_runs):
        one = [approved(register, facility, lab, 1, args.rack)]
        elapsed, peak_mb = provision_all(url, one, workdir)
        singles.append(elapsed)
        single_mb = max(single_mb, peak_mb)
        undo(register, one, lab, workdir, homes)
    single = statistics.median(singles)
    many = [approved(register, facility, lab, n, args.rack) for n in range(1, args.concurrent + 1)]
    concurrent, many_mb = provision_all(url, many, workdir)
    undo(register, many, lab, workdir, homes)
    ansible_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    ratio = concurrent / single
    print(f"one provision:               {single:6.1f} s    target <= {TARGET_ONE_S:.0f} s "
          f"(median of {[round(t, 1) for t in singles]})")
    print(f"{args.concurrent} concurrent provisions:    {concurrent:6.1f} s    ratio {ratio:.2f}x "
          f"(target <= {TARGET_RATIO:.0f}x), {concurrent / args.concurrent:.1f} s per server")
    print(f"orchestrator peak memory:    {max(single_mb, many_mb):6.1f} MB   target < {TARGET_MB:.0f} MB "
          f"(largest process of the run, Ansible included: {ansible_mb:.1f} MB)")


if __name__ == "__main__":
    main()
