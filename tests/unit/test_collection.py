"""The Ansible content as the collection diskominfo.colo: build, install, run by name; role conventions."""

from __future__ import annotations

import os
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from provisioner.checks import HTTP_OK_STATUSES, AppSpec, CheckPolicy, check_http
from provisioner.runner import ANSIBLE_DIR, PLAYBOOK_DIR, collections_path

ROLES = sorted(p.parent.parent.name for p in (ANSIBLE_DIR / "roles").glob("*/tasks/main.yml"))
PLAYBOOKS = sorted(p.stem for p in PLAYBOOK_DIR.glob("*.yml"))
PUBLIC_OUTPUTS = {"server_facts_report"}
"""Facts a role sets for its caller (documented in the playbook); every other fact a role sets is internal."""


def _ansible_env(collections: Path) -> dict[str, str]:
    """An environment in which only `collections` provides diskominfo.colo (no roles path).

    Run from a folder without ansible.cfg, so the repository's settings play no part.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return env | {"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_ROLES_PATH": "/nonexistent",
                  "ANSIBLE_NOCOLOR": "1"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(out), str(ANSIBLE_DIR)],
                   check=True, capture_output=True, text=True)
    (tarball,) = out.glob("diskominfo-colo-*.tar.gz")
    return tarball


@pytest.fixture(scope="module")
def installed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("collections")
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(path), str(built)],
                   check=True, capture_output=True, text=True, env=_ansible_env(path))
    return path


def test_the_tarball_holds_every_role_and_playbook_and_nothing_else(built: Path) -> None:
    with tarfile.open(built) as tar:
        names = set(tar.getnames())
    assert {f"roles/{role}/tasks/main.yml" for role in ROLES} <= names
    assert {f"playbooks/{name}.yml" for name in PLAYBOOKS} | {"playbooks/vars/server_network.yml"} <= names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"FILES.json", "MANIFEST.json", "README.md", "meta", "playbooks", "roles"}
    assert not [name for name in names if "/molecule" in name]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_each_playbook_of_the_installed_collection_runs_by_name(installed: Path, playbook: str,
                                                                  tmp_path: Path) -> None:
    command = ["ansible-playbook", "--syntax-check", "-i", "localhost,", f"diskominfo.colo.{playbook}"]
    done = subprocess.run(command, capture_output=True, text=True, env=_ansible_env(installed), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_runners_collections_path_makes_the_checkout_the_collection(tmp_path: Path) -> None:
    path = collections_path(tmp_path)
    assert (path / "ansible_collections/diskominfo/colo/roles/baseline/tasks/main.yml").is_file()
    for playbook in PLAYBOOKS:
        done = subprocess.run(["ansible-playbook", "--syntax-check", "-i", "localhost,",
                               str(PLAYBOOK_DIR / f"{playbook}.yml")],
                              capture_output=True, text=True, env=_ansible_env(path), cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr


def _plays(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text()) or [])


def _tasks(node: object) -> Iterator[dict[str, Any]]:
    """Every task of a task list, blocks included."""
    for task in node if isinstance(node, list) else []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def test_playbooks_name_every_role_by_its_fully_qualified_name() -> None:
    named = []
    for playbook in PLAYBOOKS:
        for play in _plays(PLAYBOOK_DIR / f"{playbook}.yml"):
            named += [r["role"] if isinstance(r, dict) else r for r in play.get("roles", [])]
            named += [t["ansible.builtin.include_role"]["name"] for t in _tasks(play.get("tasks"))
                      if "ansible.builtin.include_role" in t]
    assert named and all(name.startswith("diskominfo.colo.") for name in named), named


@pytest.mark.parametrize("role", ROLES)
def test_facts_a_role_sets_for_itself_start_with_two_underscores_and_its_name(role: str) -> None:
    set_names: list[str] = []
    for path in (ANSIBLE_DIR / "roles" / role).glob("*/*.yml"):
        if path.parent.name not in {"tasks", "handlers"}:
            continue
        for task in _tasks(yaml.safe_load(path.read_text())):
            set_names += list((task.get("ansible.builtin.set_fact") or {}).keys())
            set_names += [task["register"]] if "register" in task else []
            set_names += list((task.get("vars") or {}).keys())
    set_names += list(yaml.safe_load((ANSIBLE_DIR / "roles" / role / "vars" / "main.yml").read_text()) or {}
                      if (ANSIBLE_DIR / "roles" / role / "vars" / "main.yml").exists() else [])
    wrong = [n for n in set_names if not n.startswith(f"__{role}_") and n not in PUBLIC_OUTPUTS]
    assert not wrong


@pytest.mark.parametrize("role", ROLES)
def test_every_default_has_its_comment_and_its_argument_spec(role: str) -> None:
    base = ANSIBLE_DIR / "roles" / role
    lines = (base / "defaults" / "main.yml").read_text().splitlines()
    names = [line.split(":")[0] for line in lines if line[:1].isalpha()]
    undocumented = [lines[i].split(":")[0] for i, line in enumerate(lines)
                    if line[:1].isalpha() and not lines[i - 1].startswith("#")]
    assert not undocumented
    specs = yaml.safe_load((base / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    assert sorted(specs["options"]) == sorted(names)


def test_the_access_check_playbook_passes_the_statuses_the_python_check_passes() -> None:
    (play,) = _plays(PLAYBOOK_DIR / "access_check.yml")
    (uri,) = [t["ansible.builtin.uri"] for t in play["tasks"] if "ansible.builtin.uri" in t]
    statuses = jinja2.Environment().from_string(uri["status_code"]).render()
    assert statuses == str(sorted(HTTP_OK_STATUSES))


class _Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(int(self.path.strip("/")))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def status_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize(("status", "ok"), [(200, True), (302, True), (401, True), (403, True),
                                            (404, False), (410, False), (500, False)])
def test_an_application_is_accessible_when_it_answers_sends_on_or_asks_for_a_login(
        status_server: int, status: int, ok: bool) -> None:
    item = check_http("127.0.0.1", AppSpec("App", status_server, "http", f"/{status}"),
                      CheckPolicy(attempts=1, timeout_s=2.0))
    assert item.ok is ok, item.detail
