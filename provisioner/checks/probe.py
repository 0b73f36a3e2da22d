"""What every probe of the access check shares: its elapsed time and the words for a socket error."""

from __future__ import annotations

import socket
import time


def elapsed_ms(start: float) -> float:
    """Milliseconds since `start` (a time.monotonic() reading), to a tenth."""
    return round((time.monotonic() - start) * 1000, 1)


def os_error_text(exc: OSError) -> str:
    """A short reason for a failed socket operation ("timed out", "Connection refused", ...)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__
