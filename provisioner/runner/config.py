"""How a run is configured: its speed settings, its own ansible.cfg and the SSH options it logs in with."""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from provisioner.errors import InfrastructureError


@dataclass(frozen=True)
class SpeedSettings:
    """The settings that decide how fast a run is. `STOCK` equals ansible-playbook's own defaults.

    With pipelining, files also go through the SSH session (transfer_method piped) and SSH compression,
    which costs CPU on the short links to the servers, is off. With `mitogen`, Mitogen's strategy keeps one
    Python interpreter per server for the whole run instead of starting one per task.
    """

    forks: int = 20
    pipelining: bool = True
    control_persist_s: int = 120
    fact_caching: bool = True
    mitogen: bool = True


FAST = SpeedSettings()
FAST_FEW_TASKS = SpeedSettings(mitogen=False)
"""For a run of a few tasks (verify_spec.yml): starting Mitogen on the server costs more than it saves."""
STOCK = SpeedSettings(forks=5, pipelining=False, control_persist_s=60, fact_caching=False, mitogen=False)

KEEPALIVE_INTERVAL_S = 10
KEEPALIVE_COUNT = 6
"""A server that vanishes mid-run (unplugged, moved VLAN) ends the run in about a minute."""
TASK_TIMEOUT_S = 600
"""No single task of ours takes this long; one that does is hung, and the run fails instead of waiting."""


def mitogen_strategy_dir() -> Path:
    """Where the installed Mitogen keeps its Ansible strategy plugins (found without importing it)."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        raise InfrastructureError("Mitogen for Ansible is not installed (pip install mitogen)")
    return Path(spec.submodule_search_locations[0]) / "plugins" / "strategy"


def ssh_options(speed: SpeedSettings, known_hosts: Path) -> str:
    """The SSH options of one run: host keys in `known_hosts` (new ones accepted, changed ones refused)."""
    compression = "" if speed.pipelining else "-C "
    return (f"{compression}-o ControlMaster=auto -o ControlPersist={speed.control_persist_s}s"
            f" -o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=accept-new"
            " -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20"
            f" -o ServerAliveInterval={KEEPALIVE_INTERVAL_S} -o ServerAliveCountMax={KEEPALIVE_COUNT}")


def control_path_dir(known_hosts: Path) -> str:
    """Where the SSH master connections of runs that share `known_hosts` live.

    A run never reuses a connection opened under another known_hosts file, whose host keys it has not
    checked. The directory name is short: a UNIX socket path holds at most 107 bytes.
    """
    digest = hashlib.sha256(str(known_hosts.resolve()).encode()).hexdigest()[:12]
    return f"~/.ansible/cp/{digest}"


def ansible_cfg(speed: SpeedSettings, known_hosts: Path, fact_cache: Path) -> str:
    """The ansible.cfg of one run."""
    lines = [
        "[defaults]",
        f"forks = {speed.forks}",
        "interpreter_python = auto_silent",
        "host_key_checking = True",
        "retry_files_enabled = False",
        f"task_timeout = {TASK_TIMEOUT_S}",
    ]
    if speed.mitogen:
        lines += [f"strategy_plugins = {mitogen_strategy_dir()}", "strategy = mitogen_linear"]
    if speed.fact_caching:
        lines += ["gathering = smart", "fact_caching = jsonfile",
                  f"fact_caching_connection = {fact_cache}", "fact_caching_timeout = 3600"]
    lines += ["", "[ssh_connection]", f"pipelining = {speed.pipelining}",
              f"ssh_args = {ssh_options(speed, known_hosts)}",
              f"control_path_dir = {control_path_dir(known_hosts)}"]
    if speed.pipelining:
        lines.append("transfer_method = piped")
    return "\n".join(lines) + "\n"
