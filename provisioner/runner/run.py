"""One playbook run through ansible-runner, in a private data dir under the request's run folder."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.errors import InfrastructureError
from provisioner.runner.collection import collections_path, playbook_path
from provisioner.runner.config import FAST, SpeedSettings, ansible_cfg
from provisioner.runner.environment import refuse_secrets, run_environment
from provisioner.runner.events import Collector, FailedTask, HostStats, ProgressLine
from provisioner.runner.host_keys import accept_new_host_keys
from provisioner.runner.inventory import HostTarget, inventory
from provisioner.runner.untrusted import unsafe_yaml


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
    refuse_secrets(extra_env)
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
    collector = Collector(on_event)
    runner = ansible_runner.Runner(config=config, event_handler=collector)
    runner.run()
    return PlaybookResult(
        status=str(runner.status), rc=int(runner.rc if runner.rc is not None else -1),
        stats=collector.stats, failed_tasks=tuple(collector.failed),
        artifact_data=collector.artifact_data, data_dir=data_dir,
    )
