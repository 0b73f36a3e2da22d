"""`colo documents verify FILE` on documents the steps signed: 0 for the register's own file, 3 saying why
for a byte changed or a signed file the register never recorded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.documents import step_documents
from provisioner.documents.signing import Pkcs12Signer
from provisioner.facility import load_facility
from provisioner.register.db import open_register
from provisioner.request import load_request
from provisioner.steps.submit import submit_request
from provisioner.workflow import Step, perform_step
from tests.integration.lab_site_support import PASSWORD, lab_site_with_keys

ROOT = Path(__file__).resolve().parent.parent.parent
HEAD_NIP = "196711101997031008"
pytestmark = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) missing")


@pytest.fixture
def signed_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, Path]:
    """The lab site with its CA and signing keys in a folder of its own, and a disposition signed by the
    head of division in a register: the site folder, the register's URL and the PDF."""
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", PASSWORD)
    site = lab_site_with_keys(tmp_path)
    url = f"sqlite:///{tmp_path / 'register.db'}"
    register = open_register(url)
    spec, source = load_request(ROOT / "examples" / "request-simpeg.yaml")
    request_id = submit_request(register, spec.model_dump(mode="json"), source, actor="Budi Santoso")
    letterhead = load_facility(site).letterhead()
    to = {"to": "Dede Kurniawan, S.Kom."}
    run = perform_step(register, request_id, Step.DISPOSE, "Drs. Asep Hidayat", to,
                       prepare=step_documents(letterhead, tmp_path / "out", "disposition", register=register))
    register.close()
    return site, url, Path(run.documents[0].pdf_path)


def verify(site: Path, url: str, pdf: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLO_DB": url, "COLO_SITE": str(site)}
    return subprocess.run([sys.executable, "-m", "provisioner.cli.main", "documents", "verify", str(pdf)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_register_document_verifies_and_pdfsig_agrees(signed_site: tuple[Path, str, Path]) -> None:
    site, url, pdf = signed_site
    done = verify(site, url, pdf)
    assert done.returncode == 0, done.stderr
    assert "signed by Common Name: Drs. Asep Hidayat" in done.stdout and "disposition" in done.stdout
    out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid" in out and "Drs. Asep Hidayat" in out, out


def test_one_byte_changed_is_exit_3(signed_site: tuple[Path, str, Path], tmp_path: Path) -> None:
    site, url, pdf = signed_site
    changed = bytearray(pdf.read_bytes())
    changed[len(changed) // 3] ^= 0x01
    copy = tmp_path / "changed.pdf"
    copy.write_bytes(changed)
    done = verify(site, url, copy)
    assert done.returncode == 3
    assert "does not match the document's bytes" in done.stderr
    assert "register holds no document" in done.stderr


def test_a_signed_file_the_register_never_recorded_is_exit_3(
    signed_site: tuple[Path, str, Path], tmp_path: Path
) -> None:
    from weasyprint import HTML

    site, url, _pdf = signed_site
    signing = load_facility(site).organisation.signing
    assert signing is not None
    forged = bytes(HTML(string="<p>LEMBAR DISPOSISI</p>").write_pdf())
    other = tmp_path / "other.pdf"
    other.write_bytes(Pkcs12Signer(signing.keys / f"{HEAD_NIP}.p12").sign(forged, "Lembar disposisi"))
    done = verify(site, url, other)
    assert done.returncode == 3 and "register holds no document with this SHA-256" in done.stderr
    assert "does not match" not in done.stderr
