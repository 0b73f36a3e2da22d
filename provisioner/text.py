"""Text from outside (request and facility files): one line of visible characters.

Refused, in every text field: the Unicode categories Cc (control characters: newlines, tabs, escapes, C1
controls), Cf (format characters: right-to-left overrides, zero-width spaces and joiners), Zl and Zp (line and
paragraph separators) and Cs (lone surrogates). They split mail headers and switch commands, or reverse and
hide text in documents and terminals. Leading and trailing spaces are refused too.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def describe(ch: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`, or the code point alone for characters without a name."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def plain_text(value: str) -> str:
    """The value unchanged if it is one line of visible text, else ValueError naming the first bad one."""
    for ch in value:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            raise ValueError(
                f"must not contain {describe(ch)} (control, format and line separator characters are refused)"
            )
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


Text = Annotated[str, AfterValidator(plain_text)]
