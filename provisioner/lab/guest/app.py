"""The agency's application on a lab server: HTTPS on port 443 with the server's self-signed certificate."""

from __future__ import annotations

import socket
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CERT = "/etc/colo-lab/app.crt"
KEY = "/etc/colo-lab/app.key"


class Handler(BaseHTTPRequestHandler):
    """Answers every GET with a page naming the server."""

    def do_GET(self) -> None:
        body = f"<html><body><h1>{socket.gethostname()}</h1></body></html>\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class TLSServer(ThreadingHTTPServer):
    """Does each TLS handshake in the connection's own thread, so a silent client blocks no one."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("0.0.0.0", 443), Handler)  # noqa: S104 - the server's own service
        self.context = context

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        request.settimeout(30)
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        """Port probes and failed handshakes are normal here."""


def main() -> None:
    """Serve until killed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    TLSServer(context).serve_forever()


if __name__ == "__main__":
    main()
