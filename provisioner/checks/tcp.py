"""TCP connect."""

from __future__ import annotations

import socket
import time

from provisioner.checks.probe import elapsed_ms, os_error_text
from provisioner.checks.report import CheckItem


def check_tcp(address: str, port: int, timeout_s: float, label: str | None = None) -> CheckItem:
    """TCP connect with a timeout."""
    target = label or f"{address}:{port}/tcp"
    start = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout_s):
            elapsed = elapsed_ms(start)
    except OSError as exc:
        error = os_error_text(exc)
        return CheckItem(kind="tcp", target=target, ok=False, detail=f"connect failed: {error}",
                         evidence={"address": address, "error": error})
    return CheckItem(kind="tcp", target=target, ok=True, detail=f"open ({elapsed} ms)",
                     evidence={"address": address, "connect_ms": elapsed})
