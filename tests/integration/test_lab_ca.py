"""The lab's CA: each server's HTTPS application presents a certificate from it for the lab zone's names,
and the lab site's people have signing keys from it that `colo documents verify` and pdfsig accept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.checks.report import Failure
from provisioner.documents import step_documents
from provisioner.documents.signing import check_signature
from provisioner.facility import load_facility
from provisioner.lab.ca import ca_certificate_path, signing_keys_dir
from provisioner.lab.layout import NOC_NS
from provisioner.register.db import open_register
from provisioner.request import load_request
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, perform_step
from tests.integration.conftest import LabHandle

ROOT = Path(__file__).resolve().parent.parent.parent
HEAD = "Drs. Asep Hidayat"
pytestmark = pytest.mark.lab


def trust_from_noc(address: str, server_name: str, ca_bundle: Path) -> dict[str, object]:
    """The access check's TLS verdict for ``server_name`` at ``address``:443, seen from the NOC."""
    probe = ("import json, sys; from pathlib import Path; from provisioner.checks.http import tls_trust; "
             "print(json.dumps(tls_trust(sys.argv[1], 443, sys.argv[2], 5.0, Path(sys.argv[3]))))")
    proc = subprocess.run(["ip", "netns", "exec", NOC_NS, sys.executable, "-c", probe, address, server_name,
                           str(ca_bundle)], capture_output=True, text=True, timeout=60, check=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    verdict: dict[str, object] = json.loads(proc.stdout)
    return verdict


def test_the_lab_site_trusts_the_lab_ca_and_signs_with_its_keys(lab: LabHandle) -> None:
    facility = load_facility(ROOT / "inventories" / "lab")
    signing = facility.organisation.signing
    assert signing is not None
    assert facility.dns is not None and facility.dns.ca_bundle == str(ca_certificate_path(lab.lab.dir))
    assert signing.ca == ca_certificate_path(lab.lab.dir) and signing.keys == signing_keys_dir(lab.lab.dir)
    assert {p.name for p in signing.keys.iterdir()} == {f"{p.nip}.p12" for p in facility.organisation.people}


def test_an_application_certificate_holds_for_the_lab_zone_not_for_another_name(lab: LabHandle) -> None:
    lab.lab.reset_host("lab-srv1")
    address, bundle = lab.host("lab-srv1").staging_address, ca_certificate_path(lab.lab.dir)
    for name in ("simpeg.lab.ciamiskab.go.id", "lab-srv1"):
        assert trust_from_noc(address, name, bundle)["trusted"] is True, name
    wrong = trust_from_noc(address, "simpeg.ciamiskab.go.id", bundle)
    assert wrong["trusted"] is False and wrong["failure"] == Failure.CERTIFICATE_FOR_ANOTHER_NAME.value, wrong


def test_a_document_of_the_lab_site_is_signed_with_the_lab_key(lab: LabHandle, tmp_path: Path) -> None:
    """A disposition made on the lab site itself (no copy) is signed by the head of division's lab key and
    time-stamped by the lab's TSA: `colo documents verify` (which then requires the time stamp) exits 0
    against the lab CA and pdfsig names the signer."""
    env = {**lab.env(), "PYTHONPATH": str(ROOT), "COLO_DB": f"sqlite:///{tmp_path / 'register.db'}",
           "COLO_SITE": str(ROOT / "inventories" / "lab")}
    register = open_register(env["COLO_DB"])
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    request_id = submit_request(register, spec.model_dump(mode="json"), source, actor="Budi Santoso")
    letterhead = load_facility(ROOT / "inventories" / "lab").letterhead()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLO_SIGNING_PASSWORD", lab.credentials_env["COLO_SIGNING_PASSWORD"])
        run = perform_step(register, request_id, Step.DISPOSE, HEAD, {"to": "Dede Kurniawan, S.Kom."},
                           prepare=step_documents(letterhead, tmp_path / "out", "disposition",
                                                  register=register))
    register.close()
    pdf = run.documents[0].pdf_path
    verify = subprocess.run([sys.executable, "-m", "provisioner.cli.main", "documents", "verify", pdf],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0 and f"signed by Common Name: {HEAD}" in verify.stdout, verify
    pdfsig = subprocess.run(["pdfsig", pdf], capture_output=True, text=True, timeout=60, check=False)
    assert HEAD in pdfsig.stdout and "Signature is Valid" in pdfsig.stdout, pdfsig.stdout
    ca = ca_certificate_path(lab.lab.dir).read_bytes()
    assert check_signature(Path(pdf).read_bytes(), ca, timestamped=True).valid
