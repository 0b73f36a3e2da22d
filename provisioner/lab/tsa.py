"""The lab's RFC 3161 time-stamping authority: an HTTP service on loopback that answers time-stamp requests
(``application/timestamp-query``) with tokens signed by a key the lab's CA issued
(:meth:`provisioner.lab.ca.LabCa.write_tsa_key`).
pyHanko's :class:`DummyTimeStamper` builds the tokens; the clock is the host's.

Run as ``python3 -m provisioner.lab.tsa --key KEY --cert CERT --ca CA --port PORT``.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import DummyTimeStamper

MAX_REQUEST = 64 * 1024


def time_stamper(key: Path, cert: Path, ca: Path) -> DummyTimeStamper:
    """The token maker of the TSA whose key and certificate (issued by ``ca``) are in these PEM files."""
    from asn1crypto import keys, pem, x509
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def load(path: Path) -> bytes:
        der: bytes = pem.unarmor(path.read_bytes())[2]
        return der

    tsa_cert, ca_cert = x509.Certificate.load(load(cert)), x509.Certificate.load(load(ca))
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # pyhanko leaves __init__ untyped
    store.register_multiple([tsa_cert, ca_cert])
    return DummyTimeStamper(tsa_cert, keys.PrivateKeyInfo.load(load(key)), certs_to_embed=store)


def _handler(stamper: DummyTimeStamper) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            from asn1crypto import tsp

            length = int(self.headers.get("Content-Length") or 0)
            query = self.headers.get_content_type() == "application/timestamp-query"
            if not query or not 0 < length <= MAX_REQUEST:
                self.send_error(400, "an RFC 3161 time-stamp query is expected")
                return
            try:
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                answer = stamper.request_tsa_response(request).dump()
            except (ValueError, TypeError):
                self.send_error(400, "not a time-stamp query")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def serving(stamper: DummyTimeStamper, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The TSA served in a thread while the block runs: its URL."""
    server = ThreadingHTTPServer((host, port), _handler(stamper))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("key", "cert", "ca"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), _handler(time_stamper(args.key, args.cert, args.ca)))
    server.serve_forever()


if __name__ == "__main__":
    main()
