"""``| include|exclude|begin|section REGEX`` on show commands."""

from __future__ import annotations

import re
from typing import ClassVar

from fake_switches.command_processing.piping_processor_base import PipingProcessorBase


class _LinePipe:
    """Filters written text line by line; `keep` decides for each complete line."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.partial = ""

    def pipe(self, data: str) -> str | bool:
        text = self.partial + data
        lines = text.split("\n")
        self.partial = lines.pop()
        kept = [line + "\n" for line in lines if self.keep(line)]
        return "".join(kept) if kept else False

    def keep(self, line: str) -> bool:
        raise NotImplementedError


class _Include(_LinePipe):
    def keep(self, line: str) -> bool:
        return self.pattern.search(line) is not None


class _Exclude(_LinePipe):
    def keep(self, line: str) -> bool:
        return self.pattern.search(line) is None


class _Begin(_LinePipe):
    started = False

    def keep(self, line: str) -> bool:
        self.started = self.started or self.pattern.search(line) is not None
        return self.started


class _Section(_LinePipe):
    """A top-level line that matches, with the indented lines under it (or an indented line that matches)."""

    inside = False

    def keep(self, line: str) -> bool:
        if not line.startswith(" "):
            self.inside = self.pattern.search(line) is not None
            return self.inside
        return self.inside or self.pattern.search(line) is not None


class RegexPiping(PipingProcessorBase):  # type: ignore[misc]
    """``| include|exclude|begin|section REGEX``."""

    KINDS: ClassVar[dict[str, type[_LinePipe]]] = {
        "include": _Include, "exclude": _Exclude, "begin": _Begin, "section": _Section,
    }

    def start_listening(self, command: str) -> bool:
        kind, _, expression = command.strip().partition(" ")
        choices = [k for k in self.KINDS if kind and k.startswith(kind.lower())]
        if len(choices) != 1 or not expression.strip():
            return False
        try:
            pattern = re.compile(expression.strip())
        except re.error:
            return False
        self.active_command = self.KINDS[choices[0]](pattern)
        return True
