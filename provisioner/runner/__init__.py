"""Typed adapter over ansible-runner: runs the project's playbooks against servers from the register.

Each run gets a private data dir under the request's run folder (inventory, extravars, its own ansible.cfg,
artifacts). Secrets never go into it: SSH keys and the vault password come as file paths, the process
environment is cut down to an allowlist before ansible-runner records it, and extravars must not hold
secrets (they are recorded as artifacts, as ansible-runner always does).

One job per module: `collection` (where the playbooks and roles are), `inventory` (the servers of a run),
`untrusted` (YAML in which no string is a template), `config` (speed settings, ansible.cfg, SSH options),
`host_keys` (first contact and known_hosts), `environment` (the allowlist), `events` (progress, failures,
recap), `run` (one playbook run) and `facts` (the delivered server's facts).
"""

from provisioner.runner.collection import (
    ANSIBLE_DIR,
    COLLECTION,
    PLAYBOOK_DIR,
    collections_path,
    playbook_path,
)
from provisioner.runner.config import (
    FAST,
    FAST_FEW_TASKS,
    KEEPALIVE_COUNT,
    KEEPALIVE_INTERVAL_S,
    STOCK,
    TASK_TIMEOUT_S,
    SpeedSettings,
    ansible_cfg,
    control_path_dir,
    mitogen_strategy_dir,
    ssh_options,
)
from provisioner.runner.environment import run_environment
from provisioner.runner.events import FailedTask, HostStats, ProgressLine
from provisioner.runner.facts import gather_server_facts
from provisioner.runner.host_keys import FIRST_CONTACT_SETTLE_S, accept_new_host_keys, has_host_key
from provisioner.runner.inventory import HostTarget, inventory
from provisioner.runner.run import PlaybookResult, run_playbook
from provisioner.runner.untrusted import unsafe_yaml

__all__ = [
    "ANSIBLE_DIR",
    "COLLECTION",
    "FAST",
    "FAST_FEW_TASKS",
    "FIRST_CONTACT_SETTLE_S",
    "KEEPALIVE_COUNT",
    "KEEPALIVE_INTERVAL_S",
    "PLAYBOOK_DIR",
    "STOCK",
    "TASK_TIMEOUT_S",
    "FailedTask",
    "HostStats",
    "HostTarget",
    "PlaybookResult",
    "ProgressLine",
    "SpeedSettings",
    "accept_new_host_keys",
    "ansible_cfg",
    "collections_path",
    "control_path_dir",
    "gather_server_facts",
    "has_host_key",
    "inventory",
    "mitogen_strategy_dir",
    "playbook_path",
    "run_environment",
    "run_playbook",
    "ssh_options",
    "unsafe_yaml",
]
