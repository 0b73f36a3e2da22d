"""The command forms of each mode: keywords (abbreviable), typed placeholders, and IOS's refusal."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

INVALID_INPUT = "% Invalid input detected at '^' marker."



def _vlan(token: str) -> bool:
    return token.isdigit() and 1 <= int(token) <= 4094


def _vlan_list(token: str) -> bool:
    parts = token.split(",")
    return all(all(_vlan(b) for b in p.split("-", 1)) for p in parts)


def _ipv4(token: str) -> bool:
    try:
        ipaddress.IPv4Address(token)
    except ValueError:
        return False
    return True


def _netmask(token: str) -> bool:
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{token}")
    except ValueError:
        return False
    return True


_PLACEHOLDERS: dict[str, Callable[[str], bool]] = {
    "<vlan>": _vlan,
    "<vlans>": _vlan_list,
    "<ip>": _ipv4,
    "<mask>": _netmask,
    "<int>": str.isdigit,
    "<word>": lambda _t: True,
    "<vlan-name>": lambda t: 1 <= len(t) <= 32,
}


@dataclass(frozen=True)
class Rule:
    """One command form of a mode: keywords (abbreviable), placeholders, and ``<rest>`` (1+ tokens)."""

    words: tuple[str, ...]
    pipeable: bool = False

    def match(self, tokens: Sequence[str]) -> list[str] | None:
        """The tokens with keywords spelled out, or None when the line is not this command."""
        out: list[str] = []
        for index, word in enumerate(self.words):
            if word == "<rest>":
                return [*out, *tokens[index:]] if len(tokens) > index else None
            if index >= len(tokens):
                return None
            token = tokens[index]
            check = _PLACEHOLDERS.get(word)
            if check is not None:
                if not check(token):
                    return None
                out.append(token)
            elif word.startswith(token.lower()):
                out.append(word)
            else:
                return None
        return out if len(tokens) == len(self.words) else None


def rules(*lines: str, pipeable: bool = False) -> tuple[Rule, ...]:
    """Rules from space-separated command forms."""
    return tuple(Rule(tuple(line.split()), pipeable) for line in lines)


class GrammarMixin:
    """Dispatch only lines that match the mode's grammar; a parent handles a line its sub-mode refuses."""

    GRAMMAR: tuple[Rule, ...] = ()
    HANDLES_IN_SUBMODE = False
    """Whether this mode runs its own commands while a sub-mode is active (IOS config modes do)."""

    sub_processor: Any
    continuing_to: Any
    awaiting_keystroke: bool
    is_done: bool
    piping_processor: Any

    def get_command_func(self, line: str) -> tuple[Callable[..., Any] | None, list[str]]:
        tokens = line.split()
        if not tokens or tokens[0].startswith("!"):
            return (lambda: None), []
        pipe: list[str] | None = None
        if "|" in tokens:
            at = tokens.index("|")
            tokens, pipe = tokens[:at], tokens[at + 1:]
        for rule in self.GRAMMAR:
            words = rule.match(tokens)
            if words is None or (pipe is not None and not rule.pipeable):
                continue
            negated = words[0] == "no"
            name, args = (f"do_no_{words[1]}", words[2:]) if negated else (f"do_{words[0]}", words[1:])
            func = getattr(self, name.replace("-", "_"))
            if pipe is None:
                return func, args
            if not self.piping_processor.start_listening(" ".join(pipe)):
                return None, []
            return func, args
        return None, []

    def process_command(self, line: str) -> bool:
        if self.sub_processor is not None:
            if self.delegate_to_sub_processor(line):  # type: ignore[attr-defined]
                return True
            if not self.HANDLES_IN_SUBMODE:
                return False
        if self.continuing_to:
            processed: bool = self.continue_command(line)  # type: ignore[attr-defined]
        else:
            func, args = self.get_command_func(line)
            if func is None:
                return False
            self.sub_processor = None
            func(*args)
            processed = True
        if not (self.continuing_to or self.awaiting_keystroke or self.is_done or self.sub_processor):
            self.finish_piping()  # type: ignore[attr-defined]
            self.show_prompt()  # type: ignore[attr-defined]
        return processed


def invalid_input(write_line: Callable[[str], None]) -> None:
    """Write IOS's refusal of a line."""
    write_line("        ^")
    write_line(INVALID_INPUT)
    write_line("")
