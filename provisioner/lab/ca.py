"""The lab's certificate authority: a CA kept in <state>/ca, certificates for the servers' HTTPS
applications and a PKCS#12 signing key per person of the lab site (``keys/<NIP>.p12``, password in the
credentials file)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provisioner.facility import load_facility
from provisioner.organisation import Person

LAB_SITE = Path(__file__).resolve().parents[2] / "inventories" / "lab"
CA_NAME = "Colo Lab CA"
VALID_DAYS = 825
SIGNING_PASSWORD_VARIABLE = "COLO_SIGNING_PASSWORD"  # noqa: S105 (the name the lab site's signing section uses)


def ca_dir(lab_dir: Path) -> Path:
    return lab_dir / "ca"


def ca_certificate_path(lab_dir: Path) -> Path:
    """The CA certificate (PEM): the lab site's ``dns.ca_bundle`` and ``organisation.signing.ca``."""
    return ca_dir(lab_dir) / "ca.crt"


def signing_keys_dir(lab_dir: Path) -> Path:
    """The people's PKCS#12 files, ``<NIP>.p12`` (the lab site's ``organisation.signing.keys``)."""
    return ca_dir(lab_dir) / "keys"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Colo Lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> None:
    """``data`` into ``path`` (mode 0600), whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _usage(*, ca: bool, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


@dataclass(frozen=True)
class LabCa:
    """The CA's key and certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def _issue(self, subject: x509.Name, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
               builder: x509.CertificateBuilder) -> x509.Certificate:
        now = datetime.now(UTC)
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        return (builder.subject_name(subject).issuer_name(self.certificate.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=VALID_DAYS))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
                               critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))

    def write_server_certificate(self, names: list[str], addresses: list[str], key_path: Path,
                                 cert_path: Path) -> None:
        """A TLS server key (``key_path``) and certificate (``cert_path``, then the CA's) valid for ``names``
        (wildcards allowed) and the IP ``addresses``."""
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [*(x509.DNSName(n) for n in names),
               *(x509.IPAddress(ipaddress.ip_address(a)) for a in addresses)]
        builder = (x509.CertificateBuilder()
                   .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                   .add_extension(_usage(ca=False, signing=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        cert = self._issue(_name(names[0]), key, builder)
        _write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                              + self.certificate.public_bytes(serialization.Encoding.PEM))

    def write_signing_key(self, person: Person, path: Path, password: str) -> None:
        """``person``'s PKCS#12 file (key, certificate with their name and NIP, the CA) under ``password``."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Colo Lab"),
                             x509.NameAttribute(NameOID.SERIAL_NUMBER, person.nip),
                             x509.NameAttribute(NameOID.COMMON_NAME, person.name)])
        builder = x509.CertificateBuilder().add_extension(_usage(ca=False, signing=True), critical=True)
        cert = self._issue(subject, key, builder)
        _write_private(path, pkcs12.serialize_key_and_certificates(
            person.nip.encode(), key, cert, [self.certificate],
            serialization.BestAvailableEncryption(password.encode())))

    def write_tsa_key(self, key_path: Path, cert_path: Path) -> None:
        """The lab's time-stamping authority: its key (PEM, ``key_path``) and a certificate for RFC 3161
        time stamps only (``cert_path``). RSA: pyHanko's token maker signs with RSA keys only."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (x509.CertificateBuilder()
                   .add_extension(_usage(ca=False, signing=True), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
        cert = self._issue(_name("Colo Lab TSA"), key, builder)
        _write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _new_ca(folder: Path) -> LabCa:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(CA_NAME)).issuer_name(_name(CA_NAME))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True, signing=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(folder / "ca.key", key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (folder / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return LabCa(key, cert)


def ensure_ca(lab_dir: Path) -> LabCa:
    """The lab's CA, made on first use and kept (``colo lab down`` removes it with the lab's other files)."""
    folder = ca_dir(lab_dir)
    if not ca_certificate_path(lab_dir).exists():
        return _new_ca(folder)
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{folder / 'ca.key'} is not the lab CA's EC key")
    return LabCa(key, x509.load_pem_x509_certificate(ca_certificate_path(lab_dir).read_bytes()))


def ensure_signing_keys(lab_dir: Path, people: tuple[Person, ...], password: str) -> None:
    """A PKCS#12 file per person (by NIP) that has none yet."""
    ca = ensure_ca(lab_dir)
    for person in people:
        path = signing_keys_dir(lab_dir) / f"{person.nip}.p12"
        if not path.exists():
            ca.write_signing_key(person, path, password)


def ensure_lab_ca(lab_dir: Path, credentials: dict[str, str]) -> LabCa:
    """The CA, and a signing key for each person of the lab site under the credentials' password."""
    people = load_facility(LAB_SITE).organisation.people
    ensure_signing_keys(lab_dir, people, credentials[SIGNING_PASSWORD_VARIABLE])
    return ensure_ca(lab_dir)
