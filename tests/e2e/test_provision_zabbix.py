"""Step 6 on the lab's Zabbix (`colo lab up --monitoring zabbix`, site inventories/lab-zabbix), through the
CLI: a wrong API password and the API down each stop step 6 at the monitoring stage (exit 1, a clear message,
no secret printed or recorded, the stages before it kept); once Zabbix answers, a rerun starts at monitoring,
adds the server to its agency's host group and waits until its agent is available; a rerun changes nothing;
decommissioning removes the host."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from zabbix_utils import ZabbixAPI

from provisioner.facility import load_facility
from provisioner.lab import zabbix
from provisioner.lab.api import Lab
from provisioner.lab.credentials import ZABBIX_PASSWORD_VARIABLE, ZABBIX_USERNAME_VARIABLE
from provisioner.secrets import read_dotenv
from provisioner.workflow import Step, get_request, step_result
from tests.e2e.conftest import ROOT, colo, colo_json
from tests.e2e.test_provision_lab import _fresh, _through_step5
from tests.integration.test_lab import wait_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ZABBIX_SITE = ROOT / "inventories" / "lab-zabbix"
WRONG = "not-the-zabbix-password-4q"


@pytest.fixture(scope="module")
def zabbix_lab(lab: Lab) -> Lab:
    """The lab with Zabbix in its NOC."""
    lab.up(monitoring="zabbix")
    return lab


@contextmanager
def lab_api(lab: Lab) -> Iterator[ZabbixAPI]:
    """The lab's Zabbix API, logged in as the site's API user."""
    client = ZabbixAPI(url=zabbix.LAB_URL)
    client.login(user="Admin", password=read_dotenv(lab.credentials_path)[ZABBIX_PASSWORD_VARIABLE])
    try:
        yield client
    finally:
        client.logout()


@pytest.fixture
def api(zabbix_lab: Lab) -> Iterator[ZabbixAPI]:
    with lab_api(zabbix_lab) as client:
        yield client


def hosts_named(api: ZabbixAPI, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.host.get(filter={"host": [name]}, selectGroups=["name"],
                                               selectTags=["tag", "value"], selectInterfaces=["available"],
                                               output=["host"])
    return found


def stop_frontend(lab: Lab) -> None:
    """Stop the NOC's nginx, so that the Zabbix API no longer answers."""
    pid = int((zabbix.lab_dir_of(lab.dir) / "nginx.pid").read_text().split()[0])
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=20)


def test_zabbix_faults_stop_at_monitoring_and_a_rerun_registers_the_server(
    zabbix_lab: Lab, api: ZabbixAPI, tmp_path: Path
) -> None:
    env, register = _fresh(tmp_path, zabbix_lab, "lab-srv1")
    request_id, _plan = _through_step5(env, register, load_facility(ZABBIX_SITE), zabbix_lab, "lab-srv1",
                                       site=ZABBIX_SITE)
    assert hosts_named(api, "simpeg") == []
    try:
        bad = colo({**env, ZABBIX_USERNAME_VARIABLE: "Admin", ZABBIX_PASSWORD_VARIABLE: WRONG}, "provision",
                   request_id, "--yes", code=1, site=ZABBIX_SITE)
        assert "zabbix-lab" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
        assert WRONG not in bad.stdout + bad.stderr
        assert WRONG.encode() not in Path(env["COLO_DB"].removeprefix("sqlite:///")).read_bytes()
        shown = colo(env, "request", "show", request_id, site=ZABBIX_SITE)
        assert "monitoring failed" in shown.stdout, shown.stdout

        stop_frontend(zabbix_lab)
        try:
            down = colo(env, "provision", request_id, "--yes", code=1, site=ZABBIX_SITE)
            assert "did not answer" in down.stderr and zabbix.LAB_URL in down.stderr, down.stderr
            with register.session() as session:
                assert step_result(get_request(session, request_id), Step.PROVISION) is None
        finally:
            zabbix_lab.up(monitoring="zabbix")

        stages = {s["stage"]: s for s in colo_json(env, "provision", request_id, "--yes", site=ZABBIX_SITE)[
            "stages"]}
        assert stages["network"]["status"] == "already done", stages
        assert stages["monitoring"]["status"] == "done", stages
        assert stages["access_check"]["status"] == "done", stages
        [host] = hosts_named(api, "simpeg")
        assert [g["name"] for g in host["groups"]] == ["Instansi/disdik"], host
        assert {"tag": "colo-request", "value": request_id} in host["tags"], host
        assert [i["available"] for i in host["interfaces"]] == ["1"], host
        assert colo_json(env, "provision", request_id, "--yes", site=ZABBIX_SITE)["already_complete"] is True
    finally:
        colo(env, "decommission", request_id, site=ZABBIX_SITE)
    assert hosts_named(api, "simpeg") == []
