"""The ansible-runner adapter's pure parts: inventory, configuration, environment, events."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import is_trusted_as_template

from provisioner.errors import InfrastructureError
from provisioner.runner import (
    FAST,
    PLAYBOOK_DIR,
    STOCK,
    HostTarget,
    ProgressLine,
    ansible_cfg,
    control_path_dir,
    has_host_key,
    inventory,
    mitogen_strategy_dir,
    playbook_path,
    run_environment,
    unsafe_yaml,
)
from provisioner.runner.environment import refuse_secrets
from provisioner.runner.events import Collector

AWKWARD = (
    "{{ lookup('pipe', 'touch /tmp/colo-marker') }}", "{% set x = lookup('pipe', 'id') %}", "{# hidden #}",
    "12", "0o17", "0x1F", "1.5e3", "yes", "off", "null", "~", "", "2026-11-20", "2026-11-20 09:00:00",
    " spaces around ", "two\nlines\r\n", "\u2028\u2029\u202e\u200b", "tab\there", "\x00\x1b[31m\x7f\x85",
    "quote \" and ' and \\", "#not a comment", "key: value", "- item", "!unsafe x", "&anchor *alias",
    "[flow, list]", "{flow: map}", "Dinas Pendidikan — émoji 🚀", "x" * 5000,
)


def _strings(value: object) -> list[str]:
    """Every string in `value`, mapping keys included."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def _load_as_ansible(path: Path, text: str) -> object:
    """`text` read the way Ansible reads an inventory or an extra-vars file (trusted as templates)."""
    path.write_text(text, encoding="utf-8")
    return DataLoader().load_from_file(str(path), cache="none", trusted_as_template=True)


def test_unsafe_yaml_round_trips_and_ansible_trusts_none_of_its_strings(tmp_path: Path) -> None:
    data: dict[str, object] = {
        "colo_ports": [{"port": 22, "protocol": "tcp", "purpose": text} for text in AWKWARD],
        "colo_dns_search": list(AWKWARD),
        "other": {"n": 0, "f": 1.5, "yes": True, "no": False, "none": None, "nested": [["x", 1], {"k": "v"}]},
        **{f"colo_text_{i}": text for i, text in enumerate(AWKWARD)},
    }
    loaded = _load_as_ansible(tmp_path / "vars.yml", unsafe_yaml(data))
    assert loaded == data
    assert len(_strings(loaded)) > 3 * len(AWKWARD)
    assert not [s for s in _strings(loaded) if is_trusted_as_template(s)]
    plain = _load_as_ansible(tmp_path / "plain.yml", yaml.safe_dump(data))
    assert all(is_trusted_as_template(s) for s in _strings(plain)), "the check above can fail"


def test_unsafe_yaml_writes_tuples_as_lists_and_refuses_other_objects(tmp_path: Path) -> None:
    loaded = _load_as_ansible(tmp_path / "vars.yml", unsafe_yaml({"servers": ("10.0.0.1", "10.0.0.2")}))
    assert loaded == {"servers": ["10.0.0.1", "10.0.0.2"]}
    with pytest.raises(yaml.representer.RepresenterError):
        unsafe_yaml({"key_file": Path("/k")})


def test_inventory_holds_address_user_and_key_file_and_host_vars() -> None:
    target = HostTarget("lab-srv2", "10.231.250.12", "root", Path("/keys/id"), hostvars={"colo_address": "x"})
    assert inventory([target], STOCK) == {"all": {"hosts": {"lab-srv2": {
        "colo_address": "x", "ansible_host": "10.231.250.12", "ansible_port": 22, "ansible_user": "root",
        "ansible_ssh_private_key_file": "/keys/id"}}}}


def test_mitogen_runs_get_the_keepalive_and_no_compression_as_variables() -> None:
    target = HostTarget("a", "10.231.250.12", "root", Path("/k"))
    assert inventory([target], FAST)["all"]["vars"] == {
        "mitogen_ssh_keepalive_interval": 10, "mitogen_ssh_keepalive_count": 6,
        "mitogen_ssh_compression": False}
    assert "vars" not in inventory([target], STOCK)["all"]


def test_host_vars_cannot_override_the_connection() -> None:
    target = HostTarget("a", "10.231.250.12", "root", Path("/k"), hostvars={"ansible_host": "10.9.9.9"})
    assert inventory([target], FAST)["all"]["hosts"]["a"]["ansible_host"] == "10.231.250.12"


def test_fast_settings_pipeline_persist_and_cache_facts(tmp_path: Path) -> None:
    cfg = ansible_cfg(FAST, tmp_path / "known_hosts", tmp_path / "facts")
    assert "pipelining = True" in cfg
    assert "transfer_method = piped" in cfg
    assert "-C " not in cfg
    assert "ControlPersist=120s" in cfg
    assert f"fact_caching_connection = {tmp_path / 'facts'}" in cfg
    assert "forks = 20" in cfg
    assert f"strategy_plugins = {mitogen_strategy_dir()}" in cfg
    assert "strategy = mitogen_linear" in cfg
    assert (mitogen_strategy_dir() / "mitogen_linear.py").is_file()
    assert f"UserKnownHostsFile={tmp_path / 'known_hosts'} -o StrictHostKeyChecking=accept-new" in cfg


def test_runs_with_different_known_hosts_never_share_a_master_connection(tmp_path: Path) -> None:
    one, other = tmp_path / "a" / "known_hosts", tmp_path / "b" / "known_hosts"
    assert control_path_dir(one) != control_path_dir(other)
    assert control_path_dir(one) == control_path_dir(tmp_path / "a" / ".." / "a" / "known_hosts")
    assert f"control_path_dir = {control_path_dir(one)}" in ansible_cfg(FAST, one, tmp_path / "facts")
    socket_path = Path(control_path_dir(one)).expanduser() / "0123456789"  # ssh's %C, as Ansible names it
    assert len(str(socket_path)) < 100


def test_host_keys_are_found_by_address_and_port(tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")], check=True)
    key = " ".join((tmp_path / "key.pub").read_text().split()[:2])
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"10.231.250.12 {key}\n[10.231.250.13]:2222 {key}\n")
    assert has_host_key(known_hosts, "10.231.250.12")
    assert has_host_key(known_hosts, "10.231.250.13", 2222)
    assert not has_host_key(known_hosts, "10.231.250.13")
    assert not has_host_key(known_hosts, "10.231.250.12", 2222)


def test_a_target_address_is_an_ip_address_never_an_ssh_option() -> None:
    for address in ("-oProxyCommand=touch /tmp/x", "10.0.0.1 -v", "lab-srv1"):
        with pytest.raises(ValueError):
            HostTarget("a", address, "root", Path("/k"))


def test_stock_settings_are_ansible_defaults(tmp_path: Path) -> None:
    cfg = ansible_cfg(STOCK, tmp_path / "known_hosts", tmp_path / "facts")
    assert "pipelining = False" in cfg
    assert "transfer_method" not in cfg
    assert "-C -o ControlMaster=auto" in cfg
    assert "fact_caching" not in cfg
    assert "strategy" not in cfg
    assert "forks = 5" in cfg
    assert "ControlPersist=60s" in cfg


def test_environment_keeps_what_ansible_needs_and_drops_secrets() -> None:
    runner_env = {
        "PATH": "/usr/bin", "HOME": "/root", "ANSIBLE_STDOUT_CALLBACK": "awx_display",
        "COLO_CRED_SW_LAB_PASSWORD": "s3cret", "COLO_SSH_KEY": "/k", "ANSIBLE_BECOME_PASSWORD": "s3cret",
        "AWS_SECRET_ACCESS_KEY": "s3cret", "RANDOM_THING": "x",
    }
    env = run_environment(runner_env, {"ANSIBLE_CONFIG": "/cfg"})
    assert env == {"PATH": "/usr/bin", "HOME": "/root", "ANSIBLE_STDOUT_CALLBACK": "awx_display",
                   "ANSIBLE_CONFIG": "/cfg"}


def test_secrets_in_the_environment_are_refused_but_file_paths_pass() -> None:
    refuse_secrets({"ANSIBLE_VAULT_PASSWORD_FILE": "/run/vault-pass", "FOO": "bar"})
    with pytest.raises(ValueError, match="COLO_CRED_X_PASSWORD"):
        refuse_secrets({"COLO_CRED_X_PASSWORD": "s3cret"})


def test_playbook_names_resolve_to_the_project_playbooks(tmp_path: Path) -> None:
    assert playbook_path("provision.yml") == (PLAYBOOK_DIR / "provision.yml").resolve()
    with pytest.raises(InfrastructureError, match="playbook not found"):
        playbook_path(str(tmp_path / "missing.yml"))


def _event(kind: str, **data: object) -> dict[str, object]:
    return {"event": kind, "event_data": data}


def test_events_become_progress_lines_failures_and_stats() -> None:
    lines: list[ProgressLine] = []
    collect = Collector(lines.append)
    events = [
        _event("playbook_on_play_start", play="Configure the server"),
        _event("playbook_on_task_start", task="ignored"),
        _event("runner_on_ok", host="srv", task="Write the ruleset", res={"changed": True}),
        _event("runner_on_ok", host="srv", task="Read", res={"changed": False}),
        _event("runner_on_failed", host="srv", task="Load", res={"msg": "nft: syntax error"}),
        _event("runner_on_failed", host="srv", task="Probe", res={"msg": "no"}, ignore_errors=True),
        _event("runner_on_unreachable", host="srv2", task="Gather", res={"msg": "ssh: timeout"}),
        _event("playbook_on_stats", ok={"srv": 3}, changed={"srv": 1}, failures={"srv": 1},
               dark={"srv2": 1}, skipped={}, artifact_data={"server_facts": {"srv": {"cpu_cores": 2}}}),
    ]
    assert all(collect(e) for e in events)
    assert [str(line) for line in lines[:4]] == [
        "play: Configure the server", "srv: changed: Write the ruleset", "srv: ok: Read", "srv: failed: Load"]
    assert [(f.host, f.task, f.message) for f in collect.failed] == [
        ("srv", "Load", "nft: syntax error"), ("srv2", "Gather", "ssh: timeout")]
    assert collect.stats["srv"].changed == 1
    assert collect.stats["srv2"].unreachable == 1
    assert collect.artifact_data == {"server_facts": {"srv": {"cpu_cores": 2}}}
