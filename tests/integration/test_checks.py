"""The access check against real servers on loopback: HTTPS with certificates made by a test CA, TCP, and
application names resolved through a real BIND 9."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bind_fixture import RunningBind, running_bind
from tls_fixture import CertificateAuthority, KeyPair, RunningApp, self_signed, serving

from provisioner.checks import (
    AccessCheckReport,
    AccessTarget,
    AppSpec,
    CheckItem,
    CheckPolicy,
    Failure,
    NameService,
    PortSpec,
    check_tcp,
    resolve_a,
    run_access_check,
)
from provisioner.errors import AccessCheckFailed

DOMAIN = "lab.ciamiskab.go.id"
SIMPEG = f"simpeg.{DOMAIN}"
FAST = CheckPolicy(attempts=2, retry_delay_s=0.1, timeout_s=1.0, ping_count=1)
ONCE = CheckPolicy(attempts=1, timeout_s=1.0, ping_count=1)
BY_NAME = CheckPolicy(attempts=1, timeout_s=1.0, ping_count=1, require_dns=True)
ELSEWHERE = "127.0.0.2"
"""Another loopback address: what the zone gives `portal`, so only an answer from the zone leads there."""
ZONE = f"""simpeg IN A 127.0.0.1
portal IN A {ELSEWHERE}
www IN CNAME simpeg
pool IN A 127.0.0.5
pool IN A 127.0.0.6
"""


@pytest.fixture(scope="module")
def bind() -> Iterator[RunningBind]:
    with running_bind({DOMAIN: ZONE}) as server:
        yield server


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def certs(ca: CertificateAuthority) -> dict[str, KeyPair]:
    """A leaf of the test CA for the right name, one for another name, an expired one; a self-signed one."""
    return {
        "right": ca.issue("right", SIMPEG, "127.0.0.1"),
        "other": ca.issue("other", "other.example.org"),
        "expired": ca.issue("expired", SIMPEG, expired=True),
        "self": self_signed(ca.folder, "self", SIMPEG, "127.0.0.1"),
    }


@pytest.fixture()
def plain_http() -> Iterator[int]:
    with serving(None) as app:
        yield app.port


@pytest.fixture()
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _service(bind: RunningBind) -> NameService:
    return NameService((bind.address,), bind.port)


def _by_kind(items: list[CheckItem], kind: str) -> list[CheckItem]:
    return [i for i in items if i.kind == kind]


def _simpeg_by_name(app: RunningApp, bind: RunningBind, ca_bundle: Path | None) -> AccessTarget:
    return AccessTarget(
        "127.0.0.1",
        applications=(AppSpec("SIMPEG", app.port, "https", "/", "simpeg"),),
        domain=DOMAIN,
        name_service=_service(bind),
        ca_bundle=ca_bundle,
    )


def test_self_signed_https_passes_by_default_with_trust_recorded(
    certs: dict[str, KeyPair], plain_http: int, bind: RunningBind
) -> None:
    with serving(certs["self"]) as https_app:
        target = AccessTarget(
            address="127.0.0.1",
            ports=(PortSpec(https_app.port), PortSpec(plain_http), PortSpec(5353, "udp")),
            applications=(
                AppSpec("SIMPEG", https_app.port, "https", "/", "simpeg"),
                AppSpec("Portal", plain_http, "http", "/status"),
            ),
            domain=DOMAIN,
            name_service=_service(bind),
        )
        report = run_access_check(target, FAST)
    assert report.passed, [i.model_dump() for i in report.items]
    assert [i.kind for i in report.items] == ["icmp", "tcp", "tcp", "udp", "https", "dns", "http"]
    icmp = report.items[0]
    assert icmp.ok and icmp.evidence["received"] == 1
    udp = _by_kind(report.items, "udp")[0]
    assert udp.status == "not checkable" and not udp.ok
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["status"] == 200
    assert https.evidence["host"] == SIMPEG and https_app.server_names == [SIMPEG, SIMPEG]
    assert https.evidence["trusted"] is False
    assert https.evidence["failure"] == Failure.CERTIFICATE_UNTRUSTED
    assert "self-signed" in str(https.evidence["trust_error"])
    cert = https.evidence["certificate"]
    assert isinstance(cert, dict)
    assert cert["self_signed"] is True
    assert cert["subject"] == cert["issuer"] == f"CN={SIMPEG}"
    assert cert["days_left"] in (29, 30)
    assert cert["san"] == [f"DNS:{SIMPEG}", "IP:127.0.0.1"]
    assert "not trusted" in https.detail and "accepted by policy" in https.detail
    http_item = _by_kind(report.items, "http")[0]
    assert http_item.ok and http_item.evidence["status"] == 200 and "certificate" not in http_item.evidence
    dns_item = _by_kind(report.items, "dns")[0]
    assert dns_item.ok and dns_item.evidence["addresses"] == ["127.0.0.1"]
    assert dns_item.evidence["matches_address"] is True
    assert dns_item.evidence["server"] == "127.0.0.1"
    assert f"query: {SIMPEG} IN A" in bind.queries()
    assert AccessCheckReport.model_validate_json(report.model_dump_json()) == report


def test_policy_requiring_trusted_tls_fails_a_self_signed_certificate(certs: dict[str, KeyPair]) -> None:
    with serving(certs["self"]) as app:
        target = AccessTarget("127.0.0.1", applications=(AppSpec("SIMPEG", app.port, "https"),))
        policy = CheckPolicy(attempts=1, timeout_s=1.0, ping_count=1, require_trusted_tls=True)
        report = run_access_check(target, policy)
    assert not report.passed
    (failed,) = report.failures()
    assert failed.kind == "https" and failed.detail.startswith("certificate not trusted: self-signed")


def test_certificate_from_the_ca_bundle_is_trusted(
    ca: CertificateAuthority, certs: dict[str, KeyPair]
) -> None:
    with serving(certs["right"]) as app:
        target = AccessTarget("127.0.0.1", applications=(AppSpec("SIMPEG", app.port, "https"),),
                              ca_bundle=ca.bundle)
        report = run_access_check(target, ONCE)
    assert report.passed
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["trusted"] is True and "failure" not in https.evidence
    assert https.evidence["ca_bundle"] == str(ca.bundle)
    cert = https.evidence["certificate"]
    assert isinstance(cert, dict) and cert["self_signed"] is False and cert["issuer"] == "CN=Colo Test CA"


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
    assert failures["http"].detail == "status 500" and failures["http"].evidence["attempts"] == 2


def test_unresolvable_name_is_a_warning_unless_the_policy_requires_it(
    plain_http: int, bind: RunningBind
) -> None:
    target = AccessTarget(
        "127.0.0.1",
        applications=(AppSpec("Other", plain_http, "http", "/", "unknown"),),
        domain=DOMAIN,
        name_service=_service(bind),
    )
    report = run_access_check(target, FAST)
    assert report.passed
    (warning,) = report.warnings()
    assert warning.kind == "dns" and warning.status == "warning"
    assert warning.evidence["tried"] == [
        {"server": "127.0.0.1", "port": bind.port, "rcode": "NXDOMAIN", "addresses": []}
    ]
    assert warning.evidence["attempts"] == 1, "a warning is not worth a retry"
    http_item = _by_kind(report.items, "http")[0]
    assert http_item.ok and http_item.evidence["address"] == "127.0.0.1", "reached at the server's address"
    strict = run_access_check(target, BY_NAME)
    assert not strict.passed and [i.kind for i in strict.failures()] == ["http", "dns"]
    assert {i.evidence["failure"] for i in strict.failures()} == {Failure.NAME_NOT_RESOLVED}
    assert strict.failures()[0].detail == f"name does not resolve: unknown.{DOMAIN}"
    with pytest.raises(AccessCheckFailed) as failed:
        strict.raise_if_failed()
    assert failed.value.exit_code == 3


def test_dns_server_that_does_not_answer_is_recorded(plain_http: int, closed_port: int) -> None:
    target = AccessTarget(
        "127.0.0.1",
        applications=(AppSpec("SIMPEG", plain_http, "http", "/", "simpeg"),),
        domain=DOMAIN,
        name_service=NameService(("127.0.0.1",), closed_port),
    )
    report = run_access_check(target, CheckPolicy(attempts=1, timeout_s=0.5, ping_count=1))
    assert report.passed
    (warning,) = report.warnings()
    tried = warning.evidence["tried"]
    assert isinstance(tried, list) and isinstance(tried[0], dict) and "error" in tried[0]
    assert warning.evidence["failure"] == Failure.NAME_NOT_RESOLVED


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


# --- the check by name: DNS through the site's servers, TLS verified for the name -------------------------


def test_the_name_is_resolved_through_the_given_server_and_the_application_reached_where_it_points(
    ca: CertificateAuthority, bind: RunningBind
) -> None:
    """`portal` is 127.0.0.2 in the zone and nowhere else: the application listening only there is reached,
    the query is in the server's log, and the DNS item says the name does not point to the server."""
    pair = ca.issue("portal", f"portal.{DOMAIN}")
    with serving(pair, ELSEWHERE) as app:
        target = AccessTarget(
            "127.0.0.1",
            applications=(AppSpec("Portal", app.port, "https", "/", "portal"),),
            domain=DOMAIN,
            name_service=_service(bind),
            ca_bundle=ca.bundle,
        )
        report = run_access_check(target, BY_NAME)
    https, dns_item = report.items[1:]
    assert https.ok and https.evidence["address"] == ELSEWHERE and https.evidence["trusted"] is True
    assert app.server_names == [f"portal.{DOMAIN}"] * 2
    assert f"query: portal.{DOMAIN} IN A" in bind.queries()
    assert not dns_item.ok and dns_item.evidence["failure"] == Failure.NAME_POINTS_ELSEWHERE
    assert dns_item.detail == f"name points to another address: {ELSEWHERE}, not 127.0.0.1"
    assert not report.passed


def test_a_tcp_application_by_name_is_connected_to_where_its_name_points(bind: RunningBind) -> None:
    with socket.socket() as listener:
        listener.bind((ELSEWHERE, 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        target = AccessTarget("127.0.0.1", applications=(AppSpec("Portal", port, "tcp", "/", "portal"),),
                              domain=DOMAIN, name_service=_service(bind))
        tcp = run_access_check(target, ONCE).items[1]
    assert tcp.ok and tcp.kind == "tcp" and tcp.target == f"Portal portal.{DOMAIN}:{port}/tcp"
    assert tcp.evidence["address"] == ELSEWHERE


def test_the_name_is_not_asked_of_this_machines_resolver(bind: RunningBind) -> None:
    """This machine resolves `localhost`; the site's server is not authoritative for it and does not
    recurse: through the given server it does not resolve, and no search domain is appended."""
    assert socket.gethostbyname("localhost") == "127.0.0.1"
    addresses, tried = resolve_a("localhost", _service(bind), 1.0)
    assert addresses == [] and tried == [
        {"server": "127.0.0.1", "port": bind.port, "rcode": "REFUSED", "addresses": []}
    ]
    assert "query: localhost IN A" in bind.queries()


def test_a_name_behind_a_cname_and_a_name_with_two_addresses_resolve(bind: RunningBind) -> None:
    assert resolve_a(f"www.{DOMAIN}", _service(bind), 1.0)[0] == ["127.0.0.1"]
    assert sorted(resolve_a(f"pool.{DOMAIN}", _service(bind), 1.0)[0]) == ["127.0.0.5", "127.0.0.6"]


def test_another_server_another_answer(bind: RunningBind) -> None:
    """The answer follows the server the check is given: a second BIND holds `simpeg` elsewhere."""
    with running_bind({DOMAIN: f"simpeg IN A {ELSEWHERE}"}) as other:
        assert resolve_a(SIMPEG, _service(other), 1.0)[0] == [ELSEWHERE]
        both = NameService((other.address, bind.address), other.port)
        assert resolve_a(SIMPEG, both, 1.0)[0] == [ELSEWHERE]
    assert resolve_a(SIMPEG, _service(bind), 1.0)[0] == ["127.0.0.1"]


def test_by_name_with_a_certificate_the_bundle_vouches_for_passes(
    ca: CertificateAuthority, certs: dict[str, KeyPair], bind: RunningBind
) -> None:
    with serving(certs["right"]) as app:
        report = run_access_check(_simpeg_by_name(app, bind, ca.bundle), BY_NAME)
    assert report.passed, [i.detail for i in report.failures()]
    https = _by_kind(report.items, "https")[0]
    assert https.target == f"SIMPEG https://{SIMPEG}:{app.port}/"
    assert https.evidence["verified_name"] == SIMPEG and https.evidence["trusted"] is True
    assert https.detail.endswith("certificate trusted")
    assert app.server_names == [SIMPEG, SIMPEG]


@pytest.mark.parametrize(
    ("cert", "failure", "openssl_says"),
    [
        ("other", Failure.CERTIFICATE_FOR_ANOTHER_NAME, "Hostname mismatch"),
        ("expired", Failure.CERTIFICATE_EXPIRED, "certificate has expired"),
        ("self", Failure.CERTIFICATE_UNTRUSTED, "self-signed certificate"),
    ],
)
def test_by_name_a_certificate_that_does_not_verify_fails_and_says_why(
    ca: CertificateAuthority, certs: dict[str, KeyPair], bind: RunningBind, cert: str, failure: Failure,
    openssl_says: str,
) -> None:
    with serving(certs[cert]) as app:
        report = run_access_check(_simpeg_by_name(app, bind, ca.bundle), BY_NAME)
    assert not report.passed
    (failed,) = report.failures()
    assert failed.kind == "https" and failed.evidence["failure"] == failure
    assert failed.detail == f"{failure}: {failed.evidence['trust_error']}"
    assert openssl_says in failed.detail
    assert failed.evidence["status"] == 200, "the application answered; its certificate is what fails"


def test_without_a_ca_bundle_a_certificate_for_another_name_is_recorded_not_failed(
    certs: dict[str, KeyPair], bind: RunningBind
) -> None:
    """The behaviour without a bundle stays: trust is evidence, and the policy decides."""
    with serving(certs["other"]) as app:
        report = run_access_check(_simpeg_by_name(app, bind, None), BY_NAME)
    assert report.passed
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["failure"] == Failure.CERTIFICATE_UNTRUSTED, "no CA vouches for it here"
    assert "accepted by policy" in https.detail


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
    assert report.passed, [i.model_dump() for i in report.failures()]
    https = _by_kind(report.items, "https")[0]
    assert https.evidence["trusted"] is False
