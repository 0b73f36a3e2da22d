"""PAdES signatures on documents with a person's PKCS#12 key: checked by pyHanko against the site's CA and
by poppler's pdfsig; one byte changed, or a key from another CA, is caught."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from provisioner.documents.signing import Pkcs12Signer, check_signature
from provisioner.errors import BadInput
from provisioner.secrets import CredentialSource
from tests.integration.signing_support import PASSWORD, authority

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
pytestmark = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) missing")


@pytest.fixture
def pdf(tmp_path: Path) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string="<p>Berita acara serah terima</p>").write_pdf())


def test_a_signed_pdf_checks_against_its_ca_and_pdfsig(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", PASSWORD)
    lab = authority("CA lab")
    p12 = lab.issue("Rina Marlina, A.Md.", tmp_path / "rina.p12")
    signed = Pkcs12Signer(p12).sign(pdf, "Berita acara serah terima")
    check = check_signature(signed, lab.pem)
    assert check.valid and check.signers == ("Common Name: Rina Marlina, A.Md.",), check
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid" in out and "Rina Marlina, A.Md." in out, out

    assert check_signature(signed, authority("CA other").pem).problems == (
        "the certificate of Common Name: Rina Marlina, A.Md. does not chain to the site's CA",)


def test_one_byte_changed_or_no_signature_is_caught(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", PASSWORD)
    lab = authority("CA lab")
    signed = bytearray(Pkcs12Signer(lab.issue("Rina", tmp_path / "rina.p12")).sign(pdf, "Laporan"))
    signed[len(pdf) // 2] ^= 0x01  # inside the bytes signed
    check = check_signature(bytes(signed), lab.pem)
    assert not check.valid and check.problems == ("the signature of Common Name: Rina does not match the "
                                                  "document's bytes",)
    assert check_signature(pdf, lab.pem).problems == ("the PDF carries no signature",)


def test_a_wrong_password_is_bad_input(tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLO_SIGNING_PASSWORD", "salah")
    p12 = authority("CA lab").issue("Rina", tmp_path / "rina.p12")
    with pytest.raises(BadInput) as caught:
        Pkcs12Signer(p12).sign(pdf, "Laporan")
    assert caught.value.exit_code == 2
    assert "rina.p12: no PKCS#12 key that $COLO_SIGNING_PASSWORD opens" in str(caught.value)


def test_a_site_that_names_a_tsa_gets_a_time_stamp_pyhanko_and_pdfsig_accept(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lab's TSA (its key from the lab CA's code) on loopback: the signature carries its token, valid
    and chaining to the CA; without a TSA the same check asks for one; a TSA not answering is exit 1."""
    from provisioner.errors import InfrastructureError
    from provisioner.lab.ca import ensure_ca, ensure_signing_keys
    from provisioner.lab.tsa import serving, time_stamper
    from provisioner.organisation import Person

    monkeypatch.setenv("COLO_SIGNING_PASSWORD", PASSWORD)
    lab = ensure_ca(tmp_path)
    key, cert, ca = tmp_path / "tsa.key", tmp_path / "tsa.crt", tmp_path / "ca" / "ca.crt"
    lab.write_tsa_key(key, cert)
    rina = Person(name="Rina Marlina, A.Md.", nip="199105222015032001", position="Pranata Komputer",
                  rank="Pengatur, II/c", roles=("technician",))  # type: ignore[arg-type]
    ensure_signing_keys(tmp_path, (rina,), PASSWORD)
    p12 = tmp_path / "ca" / "keys" / f"{rina.nip}.p12"
    with serving(time_stamper(key, cert, ca)) as url:
        signed = Pkcs12Signer(p12, tsa=url).sign(pdf, "Berita acara serah terima")
    check = check_signature(signed, ca.read_bytes(), timestamped=True)
    assert check.valid, check.problems
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid" in out, out
    plain = Pkcs12Signer(p12).sign(pdf, "Berita acara serah terima")
    assert check_signature(plain, ca.read_bytes(), timestamped=True).problems == (
        f"the signature of {check.signers[0]} carries no time stamp, and the site names a TSA",)
    with pytest.raises(InfrastructureError) as caught:
        Pkcs12Signer(p12, tsa=url).sign(pdf, "Berita acara serah terima")  # served no more
    assert caught.value.exit_code == 1 and "gave no time stamp" in str(caught.value)


@pytest.mark.skipif(not Path(SOFTHSM).exists() or shutil.which("softhsm2-util") is None,
                    reason="SoftHSM2 (softhsm2) missing")
def test_a_person_s_key_on_a_pkcs11_token_signs_behind_the_same_interface(
    tmp_path: Path, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SoftHSM2 token holding a key and certificate labelled with the person's NIP: the site's signer
    for her signs with it (PIN from the environment), pyHanko and pdfsig accept; a wrong PIN is bad input."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    from provisioner.documents.signing import Pkcs11Signer, signer_for
    from provisioner.organisation import Organisation, Signing, Token

    nip = "199105222015032001"
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "colo", "--pin", "246810",
                    "--so-pin", "13579111"], check=True, capture_output=True)
    lab = authority("CA lab")
    key, cert, _chain = pkcs12.load_key_and_certificates(
        lab.issue("Rina Marlina, A.Md.", tmp_path / "rina.p12").read_bytes(), PASSWORD.encode())
    assert key is not None and cert is not None
    token = pkcs11.lib(SOFTHSM).get_token(token_label="colo")
    with token.open(rw=True, user_pin="246810") as session:
        named = {pkcs11.Attribute.LABEL: nip, pkcs11.Attribute.ID: b"\x01", pkcs11.Attribute.TOKEN: True}
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        session.create_object({**decode_ec_private_key(der), **named, pkcs11.Attribute.SIGN: True})
        session.create_object({**decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER)),
                               **named})
    site = Organisation.model_validate({
        "people": [{"name": "Rina Marlina, A.Md.", "nip": nip, "position": "Pranata Komputer",
                    "rank": "Pengatur, II/c", "roles": ["technician"]}],
        "signing": {"ca": str(tmp_path / "ca.crt"), "token": {"module": SOFTHSM, "label": "colo"}}})
    signer = signer_for(site, "Rina Marlina, A.Md.", CredentialSource())
    assert isinstance(signer, Pkcs11Signer) and signer.label == nip
    monkeypatch.setenv("COLO_TOKEN_PIN", "246810")
    signed = signer.sign(pdf, "Berita acara serah terima")
    check = check_signature(signed, lab.pem)
    assert check.valid and check.signers == ("Common Name: Rina Marlina, A.Md.",), check
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid" in out, out
    monkeypatch.setenv("COLO_TOKEN_PIN", "000000")
    with pytest.raises(BadInput) as caught:
        signer.sign(pdf, "Laporan")
    assert "token 'colo'" in str(caught.value) and "246810" not in str(caught.value)
    with pytest.raises(ValueError, match="either keys"):
        Signing.model_validate({"ca": "/ca.crt", "keys": "/keys", "token": Token(module=Path(SOFTHSM),
                                                                                 label="colo")})
