"""How the access check runs and which findings fail it; the one pass rule for an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass

HTTP_OK_STATUSES = frozenset(range(200, 400)) | {401, 403}
"""An application "can be accessed" (step 7) when it answers with its page (2xx), sends the visitor on (3xx)
or asks them to log in (401, 403). 404 (nothing deployed at the path), other 4xx and 5xx fail. The same rule
is the default of playbooks/access_check.yml (tests/unit/test_collection.py holds them together)."""


@dataclass(frozen=True)
class CheckPolicy:
    """Timeouts, retries and which findings fail the check (the others are recorded as warnings).

    `require_dns`: an application's name must resolve, through the site's DNS servers, to the server, and
    the application is reached at the address it resolves to; without it a name that does not resolve is a
    warning and the application is reached at the server's address."""

    attempts: int = 3
    retry_delay_s: float = 4.0
    timeout_s: float = 3.0
    ping_count: int = 3
    require_ping: bool = True
    require_trusted_tls: bool = False
    require_dns: bool = False
    ok_statuses: frozenset[int] = HTTP_OK_STATUSES
