"""A real BIND 9 (Debian's `named`) on 127.0.0.1 for tests: authoritative for the zones it is given.

A test module declares its own fixture over `running_bind`:

    @pytest.fixture(scope="module")
    def bind() -> Iterator[RunningBind]:
        with running_bind({"lab.ciamiskab.go.id": "simpeg IN A 127.0.0.1"}) as server:
            yield server

named runs in the foreground (`-f`) from a config in its own temporary folder, listening on a free port of
127.0.0.1 only, with recursion off and no rndc channel; as root it drops to the `bind` user (`-u bind`), so
the folder is made outside pytest's private tmp tree and given to that user. Every query is logged to
`queries.log` in the folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
from process_fixture import stop

NAMED = "named"


@dataclass(frozen=True)
class RunningBind:
    """Where the server answers and where its files are."""

    address: str
    port: int
    folder: Path

    def queries(self) -> str:
        """The query log so far: one line per query the server received."""
        log = self.folder / "queries.log"
        return log.read_text() if log.exists() else ""


def free_udp_and_tcp_port() -> int:
    """A port of 127.0.0.1 free for both UDP and TCP (named listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp, contextlib.suppress(OSError):
                tcp.bind(("127.0.0.1", port))
                return port


def _zone_file(zone: str, records: str) -> str:
    return (
        f"$ORIGIN {zone}.\n$TTL 60\n"
        f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 60\n"
        "@ IN NS ns\nns IN A 127.0.0.1\n"
        f"{records}\n"
    )


def _config(folder: Path, port: int, zones: Mapping[str, str]) -> str:
    zone_statements = "".join(
        f'zone "{zone}" {{ type primary; file "{folder / zone}.zone"; }};\n' for zone in zones
    )
    return f"""options {{
  directory "{folder}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  pid-file none;
  session-keyfile none;
  recursion no;
  dnssec-validation no;
}};
controls {{ }};
logging {{
  channel queries {{ file "{folder}/queries.log"; print-time yes; }};
  category queries {{ queries; }};
}};
{zone_statements}"""


def _wait_ready(port: int, zone: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 20.0,
                ) -> None:
    deadline = time.monotonic() + timeout_s
    query = dns.message.make_query(f"{zone}.", "SOA")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"named exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(dns.exception.DNSException, OSError):
            if dns.query.udp(query, "127.0.0.1", timeout=0.5, port=port).rcode() == dns.rcode.NOERROR:
                return
        time.sleep(0.05)
    raise RuntimeError(f"named did not answer for {zone} after {timeout_s} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_bind(zones: Mapping[str, str]) -> Iterator[RunningBind]:
    """Start named authoritative for each zone (its name → its records, in zone-file syntax, relative to
    the zone; SOA and NS are added); stop it and remove its folder on exit."""
    folder = Path(tempfile.mkdtemp(prefix="colo-test-bind-"))
    as_root = os.geteuid() == 0
    try:
        for zone, records in zones.items():
            (folder / f"{zone}.zone").write_text(_zone_file(zone, records))
        port = free_udp_and_tcp_port()
        config = folder / "named.conf"
        config.write_text(_config(folder, port, zones))
        if as_root:
            bind_user = pwd.getpwnam("bind")
            for path in (folder, *folder.iterdir()):
                os.chown(path, bind_user.pw_uid, bind_user.pw_gid)
        log = folder / "named.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [NAMED, "-4", "-f", "-c", str(config), *(["-u", "bind"] if as_root else [])],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_ready(port, next(iter(zones)), proc, log)
            yield RunningBind("127.0.0.1", port, folder)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
