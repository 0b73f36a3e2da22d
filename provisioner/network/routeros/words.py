"""RouterOS words: quoting a value so that it stays text, and splitting a command or export line into words.

RouterOS's console substitutes ``$name`` and ``[command]``, separates commands with ``;`` and ends a line
at a newline; inside double quotes only ``$`` (and ``\\`` escapes) stay special. A quoted value escapes
``\\ " $ ?`` and writes control characters as ``\\XX`` (hex), as MikroTik's scripting manual describes,
so nothing in it can become a command.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_.:/@,+-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "?": "\\?", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t", "_": " ", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def quote(value: object) -> str:
    """`value` as one RouterOS word: bare when it holds only safe characters, else quoted and escaped."""
    text = str(value)
    if _BARE.fullmatch(text):
        return text
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):02X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def unquote(word: str) -> str:
    """The text of one word as `quote` (or an export) wrote it."""
    if len(word) < 2 or not (word.startswith('"') and word.endswith('"')):
        return word
    body, out, index = word[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            nxt = body[index + 1]
            if re.fullmatch(r"[0-9A-F]{2}", body[index + 1:index + 3]):
                out.append(chr(int(body[index + 1:index + 3], 16)))
                index += 3
                continue
            out.append(_UNESCAPES.get(nxt, nxt))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def split_words(line: str) -> list[str]:
    """The words of a line: spaces separate them except inside double quotes or ``[...]``."""
    words: list[str] = []
    current: list[str] = []
    quoted, depth, index = False, 0, 0
    while index < len(line):
        char = line[index]
        if quoted and char == "\\" and index + 1 < len(line):
            current += [char, line[index + 1]]
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
        if char == " " and not quoted and depth == 0:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return words
