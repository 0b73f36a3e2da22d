"""No text of ours is ever a template to Ansible: payloads in extra vars and host vars stay text.

A request or facility value such as ``{{ lookup('pipe', 'touch MARKER') }}`` would run on the controller
(as root) if Ansible templated it. Here every form of payload goes through runner.run_playbook, on this
machine (the local connection, with Mitogen's strategy and with stock settings) and on the lab (steps 1 to 6
through the CLI, payloads in every request and facility field that admits them); afterwards no marker exists
and the text arrived as written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from markupsafe import escape

from provisioner.allocate import find_allocation
from provisioner.errors import BadInput
from provisioner.facility import load_facility, parse_facility
from provisioner.register.db import open_register
from provisioner.request import parse_request
from provisioner.runner import (
    ANSIBLE_DIR,
    FAST,
    STOCK,
    HostTarget,
    SpeedSettings,
    gather_server_facts,
    run_playbook,
)
from provisioner.safe_yaml import load_yaml_file
from tests.e2e.conftest import ROOT, cli_env
from tests.integration.conftest import LabHandle

PLAYBOOK = """\
- name: Use every value the way the roles do
  hosts: all
  gather_facts: false
  tasks:
    - name: Check the ports against the baseline role's argument spec
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ (lookup('file', colo_spec) | from_yaml).argument_specs.main.options }}"
        provided_arguments:
          baseline_ntp_servers: "{{ colo_texts }}"
          baseline_allowed_ports: "{{ colo_ports }}"
    - name: Write every value through a template
      ansible.builtin.template:
        src: "{{ colo_template }}"
        dest: "{{ colo_out }}"
        mode: "0600"
"""
TEMPLATE = "{{ {'extra': colo_texts, 'host': colo_host_texts, 'ports': colo_ports} | to_json }}\n"


FORMS = (
    "{{{{ lookup('pipe','{cmd}') }}}}",
    "{{% if lookup('pipe','{cmd}') %}}{{% endif %}}",
    "{{%- set x = query('pipe','{cmd}') -%}}",
    "a {{{{ q('pipe','{cmd}') }}}} b{{# c #}}",
    "{{% for x in [lookup('pipe','{cmd}')] %}}{{{{ x }}}}{{% endfor %}}",
    "$({cmd})",
    "`{cmd}`; {cmd}",
)
"""Template forms that run `cmd` if Ansible ever renders them, and shell forms that run it if a shell does."""


def payload(marker_dir: Path, name: str, form: int) -> str:
    """Form `form` (of FORMS, cycling) creating the file `marker_dir/name` if it is ever run."""
    return FORMS[form % len(FORMS)].format(cmd=f"touch {marker_dir}/{name}")


def payloads(marker_dir: Path, prefix: str) -> list[str]:
    """Every form, each creating its own marker `marker_dir/<prefix><n>`."""
    return [payload(marker_dir, f"{prefix}{n}", n) for n in range(len(FORMS))]


def assert_no_marker(marker_dir: Path) -> None:
    made = sorted(p.name for p in marker_dir.iterdir())
    assert not made, f"text of ours was run as a template or a command: {made}"


@pytest.mark.slow
@pytest.mark.parametrize("speed", [FAST, STOCK], ids=["mitogen", "stock"])
def test_payloads_in_extra_and_host_vars_stay_text(tmp_path: Path, speed: SpeedSettings) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    (tmp_path / "use.yml").write_text(PLAYBOOK)
    (tmp_path / "all.j2").write_text(TEMPLATE)
    extra_texts, host_texts = payloads(markers, "e"), payloads(markers, "h")
    ports = [{"port": 1000 + n, "protocol": "tcp", "purpose": text}
             for n, text in enumerate(payloads(markers, "p"))]
    local = HostTarget("local", "127.0.0.1", "root", tmp_path / "no-key", hostvars={
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "colo_host_texts": host_texts})
    out = tmp_path / "out.json"
    extravars = {"colo_texts": extra_texts, "colo_ports": ports, "colo_out": str(out),
                 "colo_template": str(tmp_path / "all.j2"),
                 "colo_spec": str(ANSIBLE_DIR / "roles" / "baseline" / "meta" / "argument_specs.yml")}

    result = run_playbook(str(tmp_path / "use.yml"), [local], extravars, tmp_path / "run", speed=speed)

    assert_no_marker(markers)
    assert result.ok, result.failed_tasks
    assert json.loads(out.read_text()) == {"extra": extra_texts, "host": host_texts, "ports": ports}


# --- on the lab, through the CLI -------------------------------------------------------------------------

HOST = "lab-srv1"
HEAD = "Drs. Asep Hidayat"
FieldPath = tuple[str | int, ...]
REQUEST_FIELDS: tuple[FieldPath, ...] = (
    ("network", "ports", 0, "purpose"), ("network", "ports", 1, "purpose"), ("applications", 0, "name"),
    ("letter", "number"), ("letter", "subject"), ("agency", "name"), ("agency", "contact", "name"),
)
"""Every request field that admits braces. Not here, as validation refuses braces (patterns): letter.date,
agency.code, the contact's e-mail and phone, server.hostname and serial, the OS family and version, the
applications' paths and subdomains. server.vendor and model admit them, but step 6 compares them with the
server's own facts."""
FACILITY_FIELDS: tuple[FieldPath, ...] = (("site", "name"), *(("dns", "search", n) for n in range(1, 5)))
"""The facility's free-text fields (site.code, site.domain, the VLAN name prefix, the switch fields have
patterns; addresses are parsed). A field the facility's validation refuses braces in is left as it was."""


def _put(document: Any, path: FieldPath, value: str) -> None:
    for part in path[:-1]:
        document = document[part]
    if isinstance(document, list) and isinstance(path[-1], int) and path[-1] >= len(document):
        document.append(value)
    else:
        document[path[-1]] = value


def _with_payloads(document: Any, fields: tuple[FieldPath, ...], marker_dir: Path, first_form: int,
                   admitted: Any) -> tuple[Any, dict[FieldPath, str]]:
    """`document` with a payload in each field of `fields` that `admitted` (a validator) accepts."""
    placed: dict[FieldPath, str] = {}
    for n, path in enumerate(fields):
        trial = json.loads(json.dumps(document, default=str))
        text = payload(marker_dir, f"{str(path[0])[0]}{n}", first_form + n)
        _put(trial, path, text)
        try:
            admitted(trial)
        except BadInput:
            continue
        document, placed[path] = trial, text
    return document, placed


@pytest.fixture
def marker_dir() -> Iterator[Path]:
    """Where payloads would leave their markers, on this machine and inside the server (short: a port's
    purpose holds 60 characters)."""
    path = Path(f"/tmp/cr{uuid.uuid4().hex[:6]}")
    path.mkdir(mode=0o700)
    yield path
    shutil.rmtree(path)


def _colo(env: dict[str, str], site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner.cli.main", "--site", str(site), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, (done.args[3:], done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def _extravars_of_last_run(run_dir: Path) -> Any:
    """The extra vars of the request's last provision.yml run, read as Ansible reads them."""
    last = sorted(run_dir.glob("*-provision-*"))[-1]
    return DataLoader().load_from_file(str(last / "env" / "extravars"), cache="none",
                                       trusted_as_template=True)


@pytest.mark.lab
@pytest.mark.slow
def test_request_and_facility_text_reaches_the_server_as_text(
        lab: LabHandle, marker_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    facility_doc = load_yaml_file(ROOT / "inventories" / "lab" / "facility.yml")
    facility_doc, in_facility = _with_payloads(facility_doc, FACILITY_FIELDS, marker_dir, 3, parse_facility)
    (site / "facility.yml").write_text(yaml.safe_dump(facility_doc, allow_unicode=True))
    request_doc = load_yaml_file(ROOT / "examples" / "request-simpeg.yaml")
    request_doc, in_request = _with_payloads(request_doc, REQUEST_FIELDS, marker_dir, 0, parse_request)
    assert list(in_request) == list(REQUEST_FIELDS), "every free-text field of the contract admits braces"
    request = tmp_path / "request.yaml"
    request.write_text(yaml.safe_dump(request_doc, allow_unicode=True))

    env = {**cli_env(tmp_path), **lab.credentials_env}
    lab.lab.reset_host(HOST)
    lab.lab.prune_vlans()
    lab.lab.run_in(HOST, ["mkdir", "-p", str(marker_dir)])
    request_id = json.loads(_ok(_colo(env, site, "request", "submit", str(request), "--json")))["id"]
    _ok(_colo(env, site, "dispose", request_id, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom."))
    _ok(_colo(env, site, "capacity", request_id))
    register = open_register(env["COLO_DB"])
    with register.session() as session:
        held = find_allocation(session, load_facility(site), request_id)
        assert held is not None
        plan = held.model_dump(mode="json")
    info = lab.host(HOST)
    _ok(_colo(env, site, "apply", request_id, "--serial", info.profile.serial,
              "--staging-address", info.staging_address))
    _ok(_colo(env, site, "approve", request_id, "--by", HEAD))
    lab.lab.cable(HOST, str(plan["switch_port"]))
    try:
        provisioned = _colo(env, site, "provision", request_id, "--yes", "--json")

        assert_no_marker(marker_dir)
        inside = lab.lab.run_in(HOST, ["ls", "-A", str(marker_dir)])
        assert inside.returncode == 0 and not inside.stdout.split(), f"markers in the server: {inside.stdout}"
        stages = json.loads(_ok(provisioned))["stages"]
        assert {s["status"] for s in stages} == {"done"}, stages

        # the text reached Ansible, the server and the documents as it was written
        sent = _extravars_of_last_run(tmp_path / "runs" / request_id)
        purposes = [p["purpose"] for p in request_doc["network"]["ports"]]
        assert [p["purpose"] for p in sent["colo_ports"]] == purposes
        assert sent["colo_dns_search"] == facility_doc["dns"]["search"]
        search = " ".join(facility_doc["dns"]["search"])
        assert f"search {search}\n" in lab.lab.run_in(HOST, ["cat", "/etc/resolv.conf"]).stdout
        persisted = lab.lab.run_in(HOST, ["cat", "/etc/network/interfaces.d/colo-eth0"]).stdout
        assert f"dns-search {search}\n" in persisted
        documents = "".join(p.read_text() for p in (tmp_path / "docs" / request_id).glob("*.html"))
        for text in [*in_request.values(), *in_facility.values()]:
            if text not in facility_doc["dns"]["search"]:
                assert str(escape(text)) in documents, text

        # the connection variables work from the unsafe inventory over SSH, with stock settings and Mitogen
        server = HostTarget(HOST, str(plan["address"]), "root", lab.key_path,
                            hostvars={"colo_note": payload(marker_dir, "v0", 0)})
        for speed in (STOCK, FAST):
            facts = gather_server_facts(server, tmp_path / "runs" / "check",
                                        known_hosts=tmp_path / "known_hosts", speed=speed)
            assert facts.serial == info.profile.serial
        assert_no_marker(marker_dir)
    finally:
        _colo(env, site, "decommission", request_id)
        lab.lab.reset_host(HOST)
        lab.lab.prune_vlans()
