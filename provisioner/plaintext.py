"""What text from outside may hold, and what an e-mail address is: one rule for step 1 and the mailer.

Text never holds control characters (C0 and C1: newlines, tabs, escapes), invisible format characters
(bidirectional overrides such as U+202E, zero-width characters, the byte-order mark), line or paragraph
separators (U+2028, U+2029) or lone surrogates: they break mail headers and hide or reverse text in
documents and terminals.

E-mail addresses are checked by `email-validator` without any DNS look-up: a dot-atom local part of at most
64 characters, no quoted local part, display name or address literal. Local parts are ASCII only (no
SMTPUTF8: the mail goes out through plain SMTP and the agency's server need not speak it); an
internationalised domain is accepted and used in its ASCII (IDNA) form on the wire.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a lone surrogate",
}


def check_plain_text(value: str) -> str:
    """``value`` unchanged, or ValueError naming the first character that text must not hold."""
    for char in value:
        kind = _REFUSED_CATEGORIES.get(unicodedata.category(char))
        if kind is not None:
            raise ValueError(
                f"must not contain {kind} (U+{ord(char):04X}); newlines, tabs, escapes, direction overrides "
                "and invisible characters are refused"
            )
    return value


@dataclass(frozen=True)
class MailAddress:
    """An address as it goes on the wire: an ASCII local part and the ASCII form of the domain."""

    local_part: str
    domain: str


def mail_address(value: str) -> MailAddress:
    """Parse an e-mail address the one way step 1 and the mailer both use; ValueError says what is wrong."""
    try:
        found = validate_email(
            value, check_deliverability=False, allow_smtputf8=False, strict=True, allow_quoted_local=False,
            allow_domain_literal=False, allow_display_name=False, allow_empty_local=False,
            globally_deliverable=True, test_environment=False,
        )
    except EmailNotValidError as exc:
        raise ValueError(f"must be an e-mail address (name@domain): {exc}") from None
    assert found.ascii_domain is not None
    return MailAddress(found.local_part, found.ascii_domain)
