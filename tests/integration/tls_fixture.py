"""Certificates made in the test with `cryptography` (a test CA and the leaves it signs, or self-signed
ones), and HTTPS servers on a loopback address presenting them and recording the SNI they were sent."""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _write(folder: Path, stem: str, cert: x509.Certificate, key: Key) -> KeyPair:
    pair = KeyPair(folder / f"{stem}.crt", folder / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return pair


def _leaf(subject: x509.Name, issuer: x509.Name, key: Key, signer: Key, names: tuple[str, ...],
          valid: tuple[datetime, datetime]) -> x509.Certificate:
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _validity(days: int, expired: bool) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    if expired:
        return now - timedelta(days=days + 2), now - timedelta(days=1)
    return now, now + timedelta(days=days)


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
)


@dataclass
class CertificateAuthority:
    """A certificate authority of the test: `bundle` is its certificate, the CA bundle a check trusts."""

    folder: Path
    common_name: str = "Colo Test CA"
    _key: Key = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        now = datetime.now(UTC)
        name = _name(self.common_name)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self._key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = _write(self.folder, "ca", cert, self._key).cert

    def issue(self, stem: str, *names: str, days: int = 10, expired: bool = False) -> KeyPair:
        """A leaf for names (DNS names or IP addresses), valid for days from now, or expired yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        issuer = _name(self.common_name)
        cert = _leaf(_name(names[0]), issuer, key, self._key, names, _validity(days, expired))
        return _write(self.folder, stem, cert, key)


def self_signed(folder: Path, stem: str, *names: str, days: int = 30) -> KeyPair:
    """A certificate that signs itself, for names: valid, but no CA vouches for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _leaf(_name(names[0]), _name(names[0]), key, key, names, _validity(days, False))
    return _write(folder, stem, cert, key)


class _App(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 500 if self.path == "/broken" else 200
        body = f"host={self.headers['Host']}".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class RunningApp:
    """An HTTP(S) application on address:port; `server_names` are the SNI names its TLS handshakes sent."""

    address: str
    port: int
    server_names: list[str | None] = field(default_factory=list)


@contextlib.contextmanager
def serving(pair: KeyPair | None, address: str = "127.0.0.1") -> Iterator[RunningApp]:
    """An application answering 200 (500 at /broken), over TLS with pair when given, else plain HTTP."""
    server = ThreadingHTTPServer((address, 0), _App)
    app = RunningApp(address, int(server.server_address[1]))
    if pair is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair.cert, pair.key)

        def record_name(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            app.server_names.append(name)

        ctx.sni_callback = record_name  # type: ignore[assignment]
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
