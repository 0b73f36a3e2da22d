"""PAdES signatures on documents with a person's PKCS#12 key: checked by pyHanko against the site's CA and
by poppler's pdfsig; one byte changed, or a key from another CA, is caught."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from provisioner.documents.signing import Pkcs12Signer, check_signature

pytestmark = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) missing")
NOW = datetime.now(UTC)


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
                issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    usage = dict(digital_signature=True, content_commitment=True, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, encipher_only=False, decipher_only=False)
    builder = builder.add_extension(x509.KeyUsage(**usage, key_cert_sign=ca, crl_sign=ca), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def authority(folder: Path, label: str, person: str) -> tuple[Path, bytes]:
    """A CA and one person's PKCS#12 file (password "rahasia"); the file's path and the CA's PEM."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate(f"CA {label}", ca_key, f"CA {label}", ca_key, ca=True)
    cert = certificate(person, key, f"CA {label}", ca_key, ca=False)
    p12 = folder / f"{label}.p12"
    encryption = serialization.BestAvailableEncryption(b"rahasia")
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"person", key, cert, [ca], encryption))
    return p12, ca.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def pdf(tmp_path: Path) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string="<p>Berita acara serah terima</p>").write_pdf())


def test_a_signed_pdf_checks_against_its_ca_and_pdfsig(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", "rahasia")
    p12, ca = authority(tmp_path, "lab", "Rina Marlina, A.Md.")
    signed = Pkcs12Signer(p12).sign(pdf, "Berita acara serah terima")
    check = check_signature(signed, ca)
    assert check.valid and check.signers == ("Common Name: Rina Marlina, A.Md.",), check
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid" in out and "Rina Marlina, A.Md." in out, out

    _other, other_ca = authority(tmp_path, "other", "Someone")
    assert check_signature(signed, other_ca).problems == (
        "the certificate of Common Name: Rina Marlina, A.Md. does not chain to the site's CA",)


def test_one_byte_changed_or_no_signature_is_caught(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", "rahasia")
    p12, ca = authority(tmp_path, "lab", "Rina Marlina, A.Md.")
    signed = bytearray(Pkcs12Signer(p12).sign(pdf, "Laporan"))
    at = signed.index(b"Berita") if b"Berita" in signed else len(pdf) // 2
    signed[at] ^= 0x01
    check = check_signature(bytes(signed), ca)
    assert not check.valid and check.problems
    assert check_signature(pdf, ca).problems == ("the PDF carries no signature",)
