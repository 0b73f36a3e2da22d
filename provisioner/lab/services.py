"""The lab's long-running services besides the servers: Prometheus in the NOC and the switch simulators."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from provisioner.lab import noc, procs
from provisioner.lab.identity import install_host_key
from provisioner.lab.layout import NOC_ADDRESS, NOC_NS, SwitchSlot

PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMETHEUS_LISTEN = f"{NOC_ADDRESS.split('/')[0]}:9090"
REPO_ROOT = Path(__file__).resolve().parents[2]


def prometheus_dir(lab_dir: Path) -> Path:
    return lab_dir / "prometheus"


def file_sd_dir(lab_dir: Path) -> Path:
    """The NOC's node target folder as this machine sees it (Prometheus reads it; `colo` writes it over
    SSH)."""
    return noc.host_path(lab_dir, noc.FILE_SD_DIR)


def probe_sd_dir(lab_dir: Path) -> Path:
    """The NOC's probe target folder as this machine sees it."""
    return noc.host_path(lab_dir, noc.PROBE_SD_DIR)


def prometheus_config(lab_dir: Path) -> str:
    """Prometheus' configuration: scrape every 2 s, itself and every file_sd target; probe every URL of the
    probe folder through blackbox_exporter (the module each target's `__param_module` names). The lab's
    interval is short so that step 6's wait for a first scrape and a first probe is short; on a real site
    step 6 waits up to one of its own intervals for them. The target folders are read every second: they
    are written through the NOC's overlay, and inotify on this side of it does not see those writes."""
    sd, probes = file_sd_dir(lab_dir), probe_sd_dir(lab_dir)
    config = {
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s", "evaluation_interval": "5s"},
        "scrape_configs": [
            {"job_name": "prometheus", "static_configs": [{"targets": [PROMETHEUS_LISTEN]}]},
            {"job_name": "node", "file_sd_configs": [
                {"files": [f"{sd}/*.json", f"{sd}/*.yml", f"{sd}/*.yaml"], "refresh_interval": "1s"}]},
            {"job_name": "blackbox", "metrics_path": "/probe", "params": {"module": ["http_2xx"]},
             "file_sd_configs": [{"files": [f"{probes}/*.json"], "refresh_interval": "1s"}],
             "relabel_configs": [
                 {"source_labels": ["__address__"], "target_label": "__param_target"},
                 {"source_labels": ["__param_target"], "target_label": "instance"},
                 {"target_label": "__address__", "replacement": noc.BLACKBOX_LISTEN}]},
        ],
    }
    return json.dumps(config, indent=2) + "\n"  # JSON is YAML


def start_prometheus(lab_dir: Path) -> None:
    """Run Prometheus inside the NOC namespace unless it runs."""
    base = prometheus_dir(lab_dir)
    pid_file = lab_dir / "run" / "prometheus.pid"
    if procs.pid_of(pid_file) is not None:
        return
    base.mkdir(parents=True, exist_ok=True)
    (base / "prometheus.yml").write_text(prometheus_config(lab_dir))
    procs.start(
        ["ip", "netns", "exec", NOC_NS, PROMETHEUS_BIN, f"--config.file={base / 'prometheus.yml'}",
         f"--storage.tsdb.path={base / 'data'}", "--storage.tsdb.retention.time=1d",
         f"--web.listen-address={PROMETHEUS_LISTEN}", "--web.enable-lifecycle"],
        pid_file, lab_dir / "log" / "prometheus.log",
    )


def start_tsa(lab_dir: Path) -> None:
    """Run the lab's time-stamping authority on 127.0.0.1:TSA_PORT (key from the lab CA) unless it runs."""
    from provisioner.lab.ca import ca_certificate_path, ca_dir, ensure_ca
    from provisioner.lab.layout import TSA_PORT

    pid_file = lab_dir / "run" / "tsa.pid"
    if procs.pid_of(pid_file) is not None:
        return
    key, cert = ca_dir(lab_dir) / "tsa.key", ca_dir(lab_dir) / "tsa.crt"
    if not cert.exists():
        ensure_ca(lab_dir).write_tsa_key(key, cert)
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    procs.start(
        [sys.executable, "-m", "provisioner.lab.tsa", "--key", str(key), "--cert", str(cert),
         "--ca", str(ca_certificate_path(lab_dir)), "--port", str(TSA_PORT)],
        pid_file, lab_dir / "log" / "tsa.log", env=env,
    )


def switch_pid_file(lab_dir: Path, switch: SwitchSlot) -> Path:
    return lab_dir / "run" / f"{switch.state}.pid"


def start_switch(lab_dir: Path, credentials: Mapping[str, str], switch: SwitchSlot) -> None:
    """Run a switch simulator (root namespace, its port on 127.0.0.1) driving its bridge, unless it runs."""
    pid_file = switch_pid_file(lab_dir, switch)
    if procs.pid_of(pid_file) is not None:
        return
    key = lab_dir / switch.state / "ssh_host_ed25519_key"
    if not key.exists():
        install_host_key(switch.name, key)
    env = {**os.environ, **credentials, "COLO_LAB_DIR": str(lab_dir)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    procs.start(
        [sys.executable, "-m", switch.simulator, "--name", switch.name,
         "--port", str(switch.ssh_port), "--state-dir", str(lab_dir / switch.state),
         "--credentials", switch.credentials, "--fabric", "ovs", *([] if switch.layer3 else ["--layer2"])],
        pid_file, lab_dir / "log" / f"{switch.state}.log", env=env,
    )
