"""The QR code on every page of a document: which document of the register it is, and a hash of its content.

The code reads ``COLO|<request id>|<kind>|<document number or ->|sha256:<hex>``. The hash is the SHA-256 of
the document's HTML as rendered with :data:`IMAGE_PLACEHOLDER` where the code's picture goes and
:data:`TEXT_PLACEHOLDER` where its text goes (the PDF's subject): the content before the code was drawn, since
a code cannot carry the hash of a file that contains it. The same text is the PDF's subject, so
`colo documents verify` reads it without decoding a picture, and checks it against the register: the request
and kind the register holds for the file, and the hash of the HTML the register recorded with the placeholders
put back (:func:`content_sha256`). segno draws the code as SVG, which WeasyPrint keeps as vectors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PREFIX = "COLO"
IMAGE_PLACEHOLDER = "data:,colo-page-qr"
TEXT_PLACEHOLDER = "colo-page-qr-text"


@dataclass(frozen=True)
class PageCode:
    """What a document's QR code says."""

    request_id: str
    kind: str
    number: str | None
    sha256: str

    @property
    def text(self) -> str:
        return f"{PREFIX}|{self.request_id}|{self.kind}|{self.number or '-'}|sha256:{self.sha256}"

    @classmethod
    def parse(cls, text: str) -> PageCode | None:
        """The code of ``text``; None when it is not one."""
        parts = text.split("|")
        if len(parts) != 5 or parts[0] != PREFIX or not parts[4].startswith("sha256:"):
            return None
        digest = parts[4].removeprefix("sha256:")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        return cls(parts[1], parts[2], None if parts[3] == "-" else parts[3], digest)


def image_uri(code: PageCode) -> str:
    """The code as an SVG data URI (the same text always gives the same URI)."""
    import segno

    return str(segno.make(code.text, error="m").svg_data_uri(scale=1, border=2))


def sha256_of(html_with_placeholders: str) -> str:
    return hashlib.sha256(html_with_placeholders.encode("utf-8")).hexdigest()


def fill(html_with_placeholders: str, code: PageCode) -> str:
    """The HTML with the code drawn and its text put in."""
    drawn = html_with_placeholders.replace(IMAGE_PLACEHOLDER, image_uri(code))
    return drawn.replace(TEXT_PLACEHOLDER, code.text)


def content_sha256(html: str, code: PageCode) -> str:
    """The hash :func:`fill` started from, recomputed from the filled HTML."""
    return sha256_of(html.replace(image_uri(code), IMAGE_PLACEHOLDER).replace(code.text, TEXT_PLACEHOLDER))
