"""The lab fixture, the `colo` CLI as the tests run it, and what they read back from the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from provisioner.facility import Facility, load_facility
from provisioner.lab.api import Lab

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "inventories" / "lab"
LAB_TECHNICIAN = "Rina Marlina, A.Md."


@pytest.fixture(scope="session")
def lab(clean_lab: None) -> Lab:
    """The running lab with at least three servers (lab-srv3 is the small one)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    instance = Lab()
    if instance.host_count() < 3 or not instance.status().healthy:
        instance.up(max(3, instance.host_count()))
    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(instance.credentials_path))
    return instance


@pytest.fixture(scope="session")
def facility() -> Facility:
    return load_facility(SITE)


def colo(env: dict[str, str], *args: str, code: int = 0, cwd: Path = ROOT,
         site: Path = SITE) -> subprocess.CompletedProcess[str]:
    """Run the `colo` CLI (in `cwd`, on `site`); assert its exit code."""
    done = subprocess.run([sys.executable, "-m", "provisioner.cli.main", "--site", str(site), *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=900)
    assert done.returncode == code, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return done


def colo_json(env: dict[str, str], *args: str, cwd: Path = ROOT, site: Path = SITE) -> Any:
    return json.loads(colo(env, *args, "--json", cwd=cwd, site=site).stdout)


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: a register and a document folder of the test's own; a technician of the lab."""
    return {**os.environ, "COLO_DB": f"sqlite:///{tmp_path / 'register.db'}", "PYTHONPATH": str(ROOT),
            "COLO_OUTPUT": str(tmp_path / "docs"), "COLO_TECHNICIAN": LAB_TECHNICIAN}


def prometheus_targets(facility: Facility) -> list[tuple[str, str]]:
    """The NOC Prometheus's active targets (scrape URL, health), sorted."""
    with urllib.request.urlopen(f"{facility.monitoring.url}/api/v1/targets?state=active", timeout=5) as resp:
        data = json.load(resp)
    return sorted((t["scrapeUrl"], t["health"]) for t in data["data"]["activeTargets"])


def addresses_of(lab: Lab, host: str) -> Sequence[str]:
    """The IPv4 addresses on the server's eth0."""
    out = subprocess.run(["ip", "-n", lab.host(host).netns, "-j", "-4", "addr", "show", "dev", "eth0"],
                         check=True, capture_output=True, text=True).stdout
    return [f"{a['local']}/{a['prefixlen']}" for link in json.loads(out) for a in link["addr_info"]]
