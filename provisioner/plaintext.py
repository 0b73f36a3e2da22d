"""What text from outside may hold: one rule for every text field of a request or a facility file.

Text never holds control characters (C0 and C1: newlines, tabs, escapes), invisible format characters
(bidirectional overrides such as U+202E, zero-width characters, the byte-order mark), line or paragraph
separators (U+2028, U+2029) or lone surrogates: they break mail headers and hide or reverse text in
documents and terminals.
"""

from __future__ import annotations

import unicodedata

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
