"""The access check against real servers on 127.0.0.1: HTTPS with openssl-made certificates, TCP, DNS."""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from provisioner.checks import (
    AccessTarget,
    AppSpec,
    CheckPolicy,
    PortSpec,
    check_tcp,
    run_access_check,
)

DOMAIN = "lab.ciamiskab.go.id"
FAST = CheckPolicy(attempts=2, retry_delay_s=0.1, timeout_s=1.0, ping_count=1)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _ec_key(path: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", str(path))


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed certificate, and a CA plus a leaf it signed (both naming 127.0.0.1)."""
    d = tmp_path_factory.mktemp("certs")
    san = f"subjectAltName=DNS:simpeg.{DOMAIN},IP:127.0.0.1"

    for name in ("self", "ca", "leaf"):
        _ec_key(d / f"{name}.key")
    (d / "ext.cnf").write_text(san + "\n")
    ca_ext = "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
    _openssl(
        *f"req -x509 -key {d}/self.key -out {d}/self.crt -days 30 -subj /CN=simpeg.{DOMAIN}".split(),
        "-addext",
        san,
    )
    _openssl(*f"req -x509 -key {d}/ca.key -out {d}/ca.crt -days 30 -subj /CN=Lab-Test-CA {ca_ext}".split())
    _openssl(*f"req -new -key {d}/leaf.key -out {d}/leaf.csr -subj /CN=simpeg".split())
    _openssl(
        *f"x509 -req -in {d}/leaf.csr -CA {d}/ca.crt -CAkey {d}/ca.key -CAcreateserial".split(),
        *f"-out {d}/leaf.crt -days 10 -extfile {d}/ext.cnf".split(),
    )
    return {name: d / name for name in ("self.crt", "self.key", "ca.crt", "leaf.crt", "leaf.key")}


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


def _serve(cert: Path | None, key: Path | None) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    if cert and key:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture()
def self_signed_https(certs: dict[str, Path]) -> Iterator[int]:
    yield from _serve(certs["self.crt"], certs["self.key"])


@pytest.fixture()
def ca_signed_https(certs: dict[str, Path]) -> Iterator[int]:
    yield from _serve(certs["leaf.crt"], certs["leaf.key"])


@pytest.fixture()
def plain_http() -> Iterator[int]:
    yield from _serve(None, None)


@pytest.fixture()
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _DnsStub:
    """A tiny authoritative UDP DNS server: A records for the names it holds, NXDOMAIN otherwise."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = records
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.queries: list[str] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                return
            qid = struct.unpack_from("!H", data)[0]
            labels, i = [], 12
            while data[i]:
                labels.append(data[i + 1 : i + 1 + data[i]].decode())
                i += 1 + data[i]
            question = data[12 : i + 5]
            name = ".".join(labels)
            self.queries.append(name)
            address = self.records.get(name)
            answer = b""
            if address:
                answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address)
            flags = 0x8580 if address else 0x8583
            header = struct.pack("!HHHHHH", qid, flags, 1, 1 if address else 0, 0, 0)
            self.sock.sendto(header + question + answer, peer)


@pytest.fixture()
def dns() -> Iterator[_DnsStub]:
    stub = _DnsStub({f"simpeg.{DOMAIN}": "127.0.0.1"})
    yield stub
    stub.sock.close()


def _by_kind(report_items: list, kind: str) -> list:  # type: ignore[type-arg]
    return [i for i in report_items if i.kind == kind]


def test_self_signed_https_passes_by_default_with_trust_recorded(
    self_signed_https: int, plain_http: int, dns: _DnsStub
) -> None:
    target = AccessTarget(
        address="127.0.0.1",
        ports=(PortSpec(self_signed_https), PortSpec(plain_http), PortSpec(5353, "udp")),
        applications=(
            AppSpec("SIMPEG", self_signed_https, "https", "/", "simpeg"),
            AppSpec("Portal", plain_http, "http", "/status"),
        ),
        domain=DOMAIN,
        dns_servers=("127.0.0.1",),
        dns_port=dns.port,
    )
    report = run_access_check(target, FAST)
    assert report.passed, [i.to_dict() for i in report.items]
    assert [i.kind for i in report.items] == ["icmp", "tcp", "tcp", "udp", "https", "dns", "http"]
    icmp = report.items[0]
    assert icmp.ok and icmp.evidence["received"] == 1
    udp = _by_kind(report.items, "udp")[0]
    assert udp.status == "not checkable" and not udp.ok
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["status"] == 200
    assert https.evidence["host"] == f"simpeg.{DOMAIN}"
    assert https.evidence["trusted"] is False
    assert "self-signed" in str(https.evidence["trust_error"])
    cert = https.evidence["certificate"]
    assert isinstance(cert, dict)
    assert cert["self_signed"] is True
    assert cert["subject"] == cert["issuer"] == f"CN=simpeg.{DOMAIN}"
    assert cert["days_left"] in (29, 30)
    assert cert["san"] == [f"DNS:simpeg.{DOMAIN}", "IP:127.0.0.1"]
    assert "not trusted" in https.detail
    http_item = _by_kind(report.items, "http")[0]
    assert http_item.ok and http_item.evidence["status"] == 200 and "certificate" not in http_item.evidence
    dns_item = _by_kind(report.items, "dns")[0]
    assert dns_item.ok and dns_item.evidence["addresses"] == ["127.0.0.1"]
    assert dns_item.evidence["matches_address"] is True
    assert dns.queries == [f"simpeg.{DOMAIN}"]
    json.dumps(report.to_dict())


def test_policy_requiring_trusted_tls_fails_a_self_signed_certificate(self_signed_https: int) -> None:
    target = AccessTarget("127.0.0.1", applications=(AppSpec("SIMPEG", self_signed_https, "https"),))
    policy = CheckPolicy(attempts=1, timeout_s=1.0, ping_count=1, require_trusted_tls=True)
    report = run_access_check(target, policy)
    assert not report.passed
    (failed,) = report.failures()
    assert failed.kind == "https" and failed.detail.startswith("certificate not trusted")


def test_certificate_from_a_known_ca_is_trusted(certs: dict[str, Path], ca_signed_https: int) -> None:
    target = AccessTarget("127.0.0.1", applications=(AppSpec("SIMPEG", ca_signed_https, "https"),))
    policy = CheckPolicy(
        attempts=1, timeout_s=1.0, ping_count=1, require_trusted_tls=True, ca_file=str(certs["ca.crt"])
    )
    report = run_access_check(target, policy)
    assert report.passed
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["trusted"] is True
    cert = https.evidence["certificate"]
    assert isinstance(cert, dict) and cert["self_signed"] is False and cert["issuer"] == "CN=Lab-Test-CA"


def test_closed_port_and_server_error_fail_after_the_retries(closed_port: int, plain_http: int) -> None:
    target = AccessTarget(
        "127.0.0.1",
        ports=(PortSpec(closed_port), PortSpec(plain_http)),
        applications=(AppSpec("Broken", plain_http, "http", "/broken"),),
    )
    report = run_access_check(target, FAST)
    assert not report.passed
    failures = {i.kind: i for i in report.failures()}
    assert set(failures) == {"tcp", "http"}
    assert "Connection refused" in failures["tcp"].detail
    assert failures["tcp"].evidence["attempts"] == 2
    assert failures["http"].detail == "status 500"


def test_unresolvable_name_is_a_warning_unless_the_policy_requires_it(plain_http: int, dns: _DnsStub) -> None:
    target = AccessTarget(
        "127.0.0.1",
        applications=(AppSpec("Other", plain_http, "http", "/", "unknown"),),
        domain=DOMAIN,
        dns_servers=("127.0.0.1",),
        dns_port=dns.port,
    )
    report = run_access_check(target, FAST)
    assert report.passed
    (warning,) = report.warnings()
    assert warning.kind == "dns" and warning.status == "warning"
    assert warning.evidence["tried"] == [{"server": "127.0.0.1", "rcode": "NXDOMAIN", "addresses": []}]
    assert warning.evidence["attempts"] == 1, "a warning is not worth a retry"
    strict = run_access_check(target, CheckPolicy(attempts=1, timeout_s=1.0, ping_count=1, require_dns=True))
    assert not strict.passed and [i.kind for i in strict.failures()] == ["dns"]


def test_dns_server_that_does_not_answer_is_recorded(plain_http: int, closed_port: int) -> None:
    target = AccessTarget(
        "127.0.0.1",
        applications=(AppSpec("SIMPEG", plain_http, "http", "/", "simpeg"),),
        domain=DOMAIN,
        dns_servers=("127.0.0.1",),
        dns_port=closed_port,
    )
    report = run_access_check(target, CheckPolicy(attempts=1, timeout_s=0.5, ping_count=1))
    assert report.passed
    (warning,) = report.warnings()
    tried = warning.evidence["tried"]
    assert isinstance(tried, list) and "error" in tried[0]


def test_a_port_that_opens_late_passes_on_a_retry(closed_port: int) -> None:
    """Like a server that just moved VLAN: the first attempt fails, a later one succeeds."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def open_later() -> None:
        time.sleep(0.3)
        listener.bind(("127.0.0.1", closed_port))
        listener.listen()

    opener = threading.Thread(target=open_later)
    opener.start()
    try:
        target = AccessTarget("127.0.0.1", ports=(PortSpec(closed_port),))
        report = run_access_check(
            target, CheckPolicy(attempts=3, retry_delay_s=0.4, timeout_s=1.0, ping_count=1)
        )
    finally:
        opener.join()
        listener.close()
    assert report.passed
    tcp = _by_kind(report.items, "tcp")[0]
    assert tcp.evidence["attempts"] in (2, 3)


def test_tcp_application_is_checked_by_connecting(plain_http: int) -> None:
    item = check_tcp("127.0.0.1", plain_http, 1.0, "Portal 127.0.0.1/tcp")
    assert item.ok and item.target == "Portal 127.0.0.1/tcp" and float(str(item.evidence["connect_ms"])) >= 0


LAB_SRV1 = "10.231.250.11"


def _lab_up() -> bool:
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    route = subprocess.run(
        ["ip", "route", "show", "10.231.0.0/16"], capture_output=True, text=True, check=False
    )
    return "colo-lab-srv1" in netns and "10.231.254.2" in route.stdout and os.geteuid() == 0


@pytest.mark.lab
def test_lab_server_on_staging_vlan_answers_ssh_and_https() -> None:
    if not _lab_up():
        pytest.skip("the lab is not up (colo lab up)")
    target = AccessTarget(
        LAB_SRV1,
        ports=(PortSpec(22, "tcp", "ssh"), PortSpec(443, "tcp", "https")),
        applications=(AppSpec("SIMPEG", 443, "https"),),
    )
    report = run_access_check(target)
    assert report.passed, [i.to_dict() for i in report.failures()]
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["trusted"] is False
