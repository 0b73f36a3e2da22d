"""Typed adapter over ansible-runner: runs the project's playbooks against servers from the register.

Each run gets a private data dir under the request's run folder (inventory, extravars, its own ansible.cfg,
artifacts). Secrets never go into it: SSH keys and the vault password come as file paths, the process
environment is cut down to an allowlist before ansible-runner records it, and extravars must not hold
secrets (they are recorded as artifacts, as ansible-runner always does).

Nothing of ours is ever a template to Ansible: the inventory and the extra vars are written as YAML under
an ``!unsafe`` root, which makes every string in them untrusted, so text from a request or a facility file (a
port's purpose, a search domain) reaches the roles as it was written and ``{{ lookup('pipe', ...) }}`` in it
stays text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import re
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from provisioner.errors import InfrastructureError
from provisioner.spec import ServerFacts

ANSIBLE_DIR = Path(__file__).resolve().parent.parent
PLAYBOOK_DIR = ANSIBLE_DIR / "playbooks"
COLLECTION = ("diskominfo", "colo")
"""The collection (galaxy.yml) whose roles the playbooks name: diskominfo.colo.baseline and so on."""

_KEPT_ENV = frozenset({"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME",
                       "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION"})
_KEPT_ENV_PREFIXES = ("ANSIBLE_", "RUNNER_", "AWX_", "AD_HOC_COMMAND_ID", "ORIGINAL_STDOUT_CALLBACK")
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|CRED|PRIVATE|KEY_DATA", re.IGNORECASE)
_HOST_EVENTS = {
    "runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped", "runner_item_on_failed": "failed",
}


@dataclass(frozen=True)
class HostTarget:
    """One server to run against; `hostvars` become that host's inventory variables."""

    name: str
    address: str
    user: str
    key_file: Path
    port: int = 22
    hostvars: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The address is an IP address: ssh would read one starting with '-' as an option."""
        ipaddress.ip_address(self.address)


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
FIRST_CONTACT_SETTLE_S = 15.0
"""How long first contact keeps trying a server that refuses it (one that has just moved VLAN)."""


@dataclass(frozen=True)
class ProgressLine:
    """One line of progress from a run's events."""

    kind: str
    text: str
    host: str | None = None

    def __str__(self) -> str:
        return f"{self.host}: {self.kind}: {self.text}" if self.host else f"{self.kind}: {self.text}"


@dataclass(frozen=True)
class FailedTask:
    """A task that failed or found its host unreachable."""

    host: str
    task: str
    message: str


@dataclass(frozen=True)
class HostStats:
    """The play recap of one host."""

    ok: int = 0
    changed: int = 0
    failures: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class PlaybookResult:
    """How a run ended: ansible-runner's status and rc, the recap, failures and set_stats data."""

    status: str
    rc: int
    stats: Mapping[str, HostStats]
    failed_tasks: tuple[FailedTask, ...]
    artifact_data: Mapping[str, Any]
    data_dir: Path

    @property
    def ok(self) -> bool:
        """The run finished and no host failed or was unreachable."""
        return self.status == "successful" and self.rc == 0 and not self.failed_tasks

    def raise_for_failure(self, what: str) -> None:
        """Raise InfrastructureError naming each failed task when the run did not succeed."""
        if not self.ok:
            problems = [f"{t.host}: {t.task}: {t.message}" for t in self.failed_tasks]
            raise InfrastructureError(f"{what} failed (ansible-runner {self.status}, rc {self.rc})",
                                      problems or [f"see {self.data_dir}/artifacts"])


class _Collector:
    """Turns ansible-runner events into progress lines, failures and the stats event's data."""

    def __init__(self, on_event: Callable[[ProgressLine], None] | None) -> None:
        self._on_event = on_event
        self.failed: list[FailedTask] = []
        self.stats: dict[str, HostStats] = {}
        self.artifact_data: dict[str, Any] = {}

    def __call__(self, event: Mapping[str, Any]) -> bool:
        kind = str(event.get("event", ""))
        data: Mapping[str, Any] = event.get("event_data") or {}
        line = self._line(kind, data)
        if line is not None and self._on_event is not None:
            self._on_event(line)
        return True  # keep writing the event to the artifacts

    def _line(self, kind: str, data: Mapping[str, Any]) -> ProgressLine | None:
        if kind == "playbook_on_play_start":
            return ProgressLine("play", str(data.get("play", "")))
        if kind == "playbook_on_stats":
            self._take_stats(data)
            return ProgressLine("recap", ", ".join(f"{h} {s}" for h, s in self.stats.items()))
        if kind not in _HOST_EVENTS:
            return None
        host = str(data.get("host", ""))
        task = str(data.get("task", ""))
        res: Mapping[str, Any] = data.get("res") or {}
        status = _HOST_EVENTS[kind]
        if status == "ok" and res.get("changed"):
            status = "changed"
        if status in ("failed", "unreachable") and not data.get("ignore_errors"):
            self.failed.append(FailedTask(host, task, str(res.get("msg", status))[:500]))
        return ProgressLine(status, task, host)

    def _take_stats(self, data: Mapping[str, Any]) -> None:
        hosts = set().union(*(data.get(k) or {} for k in ("ok", "changed", "failures", "dark", "skipped")))
        for host in sorted(hosts):
            self.stats[host] = HostStats(
                ok=int((data.get("ok") or {}).get(host, 0)),
                changed=int((data.get("changed") or {}).get(host, 0)),
                failures=int((data.get("failures") or {}).get(host, 0)),
                unreachable=int((data.get("dark") or {}).get(host, 0)),
                skipped=int((data.get("skipped") or {}).get(host, 0)),
            )
        self.artifact_data = dict(data.get("artifact_data") or {})


def playbook_path(playbook: str) -> Path:
    """A playbook of the project by name (`provision.yml`), or any path to one."""
    path = Path(playbook)
    if not path.is_absolute() and path.parent == Path("."):
        path = PLAYBOOK_DIR / path
    if not path.is_file():
        raise InfrastructureError(f"playbook not found: {path}")
    return path.resolve()


def inventory(targets: Sequence[HostTarget], speed: SpeedSettings) -> dict[str, Any]:
    """The inventory for `targets`: addresses, users and key files, plus each host's own variables.

    Mitogen takes its SSH keep-alive and compression from variables rather than from ssh_args.
    """
    hosts = {
        t.name: {
            **t.hostvars,
            "ansible_host": t.address,
            "ansible_port": t.port,
            "ansible_user": t.user,
            "ansible_ssh_private_key_file": str(t.key_file),
        }
        for t in targets
    }
    if not speed.mitogen:
        return {"all": {"hosts": hosts}}
    mitogen_vars = {"mitogen_ssh_keepalive_interval": KEEPALIVE_INTERVAL_S,
                    "mitogen_ssh_keepalive_count": KEEPALIVE_COUNT, "mitogen_ssh_compression": False}
    return {"all": {"hosts": hosts, "vars": mitogen_vars}}


class _Unsafe(dict[str, object]):
    """The document's root mapping, written with Ansible's `!unsafe` tag."""


class _UnsafeDumper(yaml.SafeDumper):
    """SafeDumper writing strings double-quoted (never read as another type) and the root as `!unsafe`."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')

    def represent_unsafe(self, data: _Unsafe) -> yaml.MappingNode:
        return self.represent_mapping("!unsafe", data)

    def ignore_aliases(self, data: object) -> bool:
        return True


_UnsafeDumper.add_representer(str, _UnsafeDumper.represent_str)
_UnsafeDumper.add_representer(_Unsafe, _UnsafeDumper.represent_unsafe)
_UnsafeDumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def unsafe_yaml(data: Mapping[str, object]) -> str:
    """`data` as YAML for Ansible (inventory, extra vars) in which no string is ever templated.

    The root mapping is tagged `!unsafe`, which Ansible's loader applies to everything beneath it: every
    string comes out untrusted, never rendered as a template wherever a role uses it. Tagging each string
    instead would not do: Ansible re-reads an `!unsafe` scalar as if unquoted, so `!unsafe "12"` becomes the
    integer 12. Values are plain data (strings, numbers, booleans, None, lists, tuples, mappings); anything
    else is a RepresenterError.
    """
    return yaml.dump(_Unsafe(data), Dumper=_UnsafeDumper, allow_unicode=True, sort_keys=False,
                     width=2**31 - 1, default_flow_style=False)


def mitogen_strategy_dir() -> Path:
    """Where the installed Mitogen keeps its Ansible strategy plugins (found without importing it)."""
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        raise InfrastructureError("Mitogen for Ansible is not installed (pip install mitogen)")
    return Path(spec.submodule_search_locations[0]) / "plugins" / "strategy"


def collections_path(data_dir: Path) -> Path:
    """A collections path in the run's data dir on which diskominfo.colo is the tree this code runs from.

    The roles then always come from the same checkout as the playbooks and the code (a collection installed
    elsewhere, maybe of another version, is not on the path), edits need no reinstall, and a fresh clone
    needs no build step.
    """
    root = data_dir / "collections"
    link = root.joinpath("ansible_collections", *COLLECTION)
    link.parent.mkdir(parents=True, mode=0o700)
    link.symlink_to(ANSIBLE_DIR, target_is_directory=True)
    return root


TASK_TIMEOUT_S = 600
"""No single task of ours takes this long; one that does is hung, and the run fails instead of waiting."""


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


def accept_new_host_keys(targets: Sequence[HostTarget], known_hosts: Path, speed: SpeedSettings,
                         settle_s: float = FIRST_CONTACT_SETTLE_S) -> None:
    """First contact, as ssh's accept-new makes it, with each target whose key `known_hosts` lacks.

    Mitogen's SSH refuses any host not yet known; a host whose key changed stays refused by the run. A
    server that has just moved VLAN may fail the first attempts, so failed attempts are repeated for
    `settle_s`; a server still unreachable then is reported by the run itself.
    """
    options = ssh_options(speed, known_hosts)
    for target in targets:
        deadline = time.monotonic() + settle_s
        while not has_host_key(known_hosts, target.address, target.port):
            try:
                subprocess.run(["ssh", *shlex.split(options), "-i", str(target.key_file),
                                "-p", str(target.port), "-l", target.user, "--", target.address, "true"],
                               capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
            except subprocess.TimeoutExpired:
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(1.0)


def has_host_key(known_hosts: Path, address: str, port: int = 22) -> bool:
    """Whether `known_hosts` holds a key for the server at `address` and `port`."""
    host = address if port == 22 else f"[{address}]:{port}"
    found = subprocess.run(["ssh-keygen", "-F", host, "-f", str(known_hosts)],
                           capture_output=True, check=False)
    return found.returncode == 0


def run_environment(runner_env: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """Cut ansible-runner's environment (a copy of ours plus its own) down to what Ansible needs.

    ansible-runner records this environment in the run's artifacts, so nothing named like a secret stays.
    """
    kept = {k: v for k, v in runner_env.items()
            if (k in _KEPT_ENV or k.startswith(_KEPT_ENV_PREFIXES)) and not _SECRET_NAME.search(k)}
    return {**kept, **extra}


def _check_env(env: Mapping[str, str]) -> None:
    secret_names = sorted(k for k in env if _SECRET_NAME.search(k) and not k.endswith("_FILE"))
    if secret_names:
        raise ValueError(f"secrets reach Ansible through files, not the environment: {secret_names}")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def run_playbook(
    playbook: str,
    targets: Sequence[HostTarget],
    extravars: Mapping[str, object],
    run_dir: Path,
    on_event: Callable[[ProgressLine], None] | None = None,
    *,
    tags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    known_hosts: Path | None = None,
    vault_password_file: Path | None = None,
    speed: SpeedSettings = FAST,
    timeout_s: int = 1800,
) -> PlaybookResult:
    """Run `playbook` against `targets` in a new private data dir under `run_dir`; never raises on failure.

    `known_hosts` defaults to run_dir/known_hosts (new hosts are accepted, changed keys refused); the fact
    cache is shared by the runs under `run_dir`. `env` must not hold secrets (names ending in _FILE, which
    point at files, are allowed).
    """
    import ansible_runner

    extra_env = dict(env or {})
    _check_env(extra_env)
    path = playbook_path(playbook)
    run_dir = run_dir.resolve()
    data_dir = run_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{path.stem}-{uuid.uuid4().hex[:6]}"
    known_hosts = (known_hosts or run_dir / "known_hosts").resolve()
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    known_hosts.touch(mode=0o600, exist_ok=True)
    cfg = data_dir / "env" / "ansible.cfg"
    _write(cfg, ansible_cfg(speed, known_hosts, run_dir / "fact_cache"))
    _write(data_dir / "inventory" / "hosts.yml", unsafe_yaml(inventory(targets, speed)))
    _write(data_dir / "env" / "extravars", unsafe_yaml(extravars))
    (data_dir / "project").mkdir(mode=0o700)
    extra_env |= {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_HOST_KEY_CHECKING": "True",
                  "ANSIBLE_COLLECTIONS_PATH": str(collections_path(data_dir)), "ANSIBLE_NOCOLOR": "1"}
    if vault_password_file is not None:
        extra_env["ANSIBLE_VAULT_PASSWORD_FILE"] = str(vault_password_file.resolve())

    config = ansible_runner.RunnerConfig(
        private_data_dir=str(data_dir), playbook=str(path),
        inventory=str(data_dir / "inventory" / "hosts.yml"),
        tags=",".join(tags) or None, envvars=extra_env, quiet=True, timeout=timeout_s,
        fact_cache_type="none",
    )
    config.prepare()
    config.env = run_environment(config.env, extra_env)
    if speed.mitogen:
        accept_new_host_keys(targets, known_hosts, speed)
    collector = _Collector(on_event)
    runner = ansible_runner.Runner(config=config, event_handler=collector)
    runner.run()
    return PlaybookResult(
        status=str(runner.status), rc=int(runner.rc if runner.rc is not None else -1),
        stats=collector.stats, failed_tasks=tuple(collector.failed),
        artifact_data=collector.artifact_data, data_dir=data_dir,
    )


def gather_server_facts(
    target: HostTarget,
    run_dir: Path,
    on_event: Callable[[ProgressLine], None] | None = None,
    *,
    known_hosts: Path | None = None,
    speed: SpeedSettings = FAST_FEW_TASKS,
) -> ServerFacts:
    """Run verify_spec.yml on `target` and return what the server_facts role reported."""
    result = run_playbook("verify_spec.yml", [target], {}, run_dir, on_event,
                          known_hosts=known_hosts, speed=speed)
    result.raise_for_failure(f"gathering the facts of {target.name}")
    report = (result.artifact_data.get("server_facts") or {}).get(target.name)
    if report is None:
        raise InfrastructureError(f"verify_spec.yml reported no facts for {target.name}")
    return ServerFacts.model_validate(report)

