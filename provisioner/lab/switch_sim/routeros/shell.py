"""One SSH session's terminal: login options, echo, keys, prompt, safe mode, and the fault hook.

The login name may carry RouterOS's console options after ``+`` (Netmiko logs in as ``user+ct511w4098h``:
no colours, dumb terminal, width and height); they are taken off the name. Typed characters are echoed; as
RouterOS v7 was seen to do with Netmiko (netmiko#3285), the echo of a long line wraps at 80 columns
whatever width the login asked for. Enter is ``\\r``, ``\\n`` or ``\\r\\n``. Ctrl-X takes safe
mode (``[Safe Mode taken]``, the prompt ends in ``<SAFE>``) and releases it (``[Safe Mode released]``); when
another session holds it, RouterOS's hijack question is asked. Ctrl-C drops the line; Ctrl-D on an empty
line and ``/quit`` log out. The prompt is ``[user@identity] /menu/path>``.
"""

from __future__ import annotations

import logging
from typing import Any

from provisioner.lab.switch_sim.routeros.console import Console, QuitSession
from provisioner.lab.switch_sim.routeros.core import RouterOsCore
from provisioner.lab.switch_sim.routeros.model import VERSION

log = logging.getLogger("colo.switch_sim.routeros")

ECHO_WRAP = 80
BANNER = ("\r\n\r\n  MikroTik RouterOS " + VERSION + " (c) 1999-2024       https://www.mikrotik.com/\r\n\r\n"
          "Press F1 for help\r\n\r\n")
HIJACK = "\r\nHijacking Safe Mode from someone - unroll/release/don't take it [u/r/d]: "


class _Dropped(Exception):
    """The fault hook fired: the connection is cut before the line is applied."""


class RouterOsShell:
    """The protocol of one shell channel (bytes in, bytes out)."""

    def __init__(self, core: RouterOsCore, user: str) -> None:
        self.core = core
        self.user = user
        self.console = Console(lambda: self.core.config, core.changed, self._before_change)
        self.buffer = ""
        self.after_cr = False
        self.closed = False
        self.asking_hijack = False
        self.drop_after = core.take_drop_after()
        self.changes = 0
        self.transport: Any = None

    # -------------------------------------------------------------------------- twisted protocol
    def makeConnection(self, transport: Any) -> None:  # noqa: N802 - Twisted's name
        self.transport = transport
        self.write(BANNER)
        self.write(self.prompt())

    def connectionLost(self, _reason: object = None) -> None:  # noqa: N802 - Twisted's name
        if not self.closed:
            self.closed = True
            self.core.session_ended(self)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        for char in data.decode("utf-8", "replace"):
            if self.closed:
                return
            self.key(char)

    # ---------------------------------------------------------------------------------- keys
    def key(self, char: str) -> None:
        if self.asking_hijack:
            self.answer_hijack(char)
        elif char == "\r" or (char == "\n" and not self.after_cr):
            self.enter()
        elif char == "\n":
            pass
        elif char == "\x18":
            self.toggle_safe_mode()
        elif char == "\x03":
            self.buffer = ""
            self.write("\r\n" + self.prompt())
        elif char == "\x04" and not self.buffer:
            self.logout()
        elif char in "\x7f\x08":
            if self.buffer:
                self.buffer = self.buffer[:-1]
                self.write("\x08 \x08")
        elif char.isprintable():
            column = len(self.prompt()) + len(self.buffer)
            self.buffer += char
            self.write(("\r\n" if column and column % ECHO_WRAP == 0 else "") + char)
        self.after_cr = char == "\r"

    def enter(self) -> None:
        line, self.buffer = self.buffer, ""
        self.write("\r\n")
        try:
            out = self.console.run_line(line)
        except _Dropped:
            log.warning("fault hook: connection cut after %d configuration lines", self.changes)
            self.cut()
            return
        except QuitSession:
            self.logout()
            return
        for text in out:
            self.write(text + "\r\n")
        self.write(self.prompt())

    def _before_change(self) -> None:
        if self.drop_after is not None and self.changes >= self.drop_after:
            raise _Dropped
        self.changes += 1

    # ----------------------------------------------------------------------------- safe mode
    def toggle_safe_mode(self) -> None:
        if self.core.safe_holder is self:
            self.core.release_safe_mode(self)
            self.write("\r\n[Safe Mode released]\r\n" + self.prompt())
        elif self.core.take_safe_mode(self):
            self.write("\r\n[Safe Mode taken]\r\n" + self.prompt())
        else:
            self.asking_hijack = True
            self.write(HIJACK)

    def answer_hijack(self, char: str) -> None:
        if char not in "urd":
            return
        self.asking_hijack = False
        if char != "d":
            holder = self.core.safe_holder
            if char == "u" and holder is not None:
                self.core.session_ended(holder)
            self.core.safe_holder = self.core.safe_copy = None
            self.core.take_safe_mode(self)
            self.write(f"{char}\r\n[Safe Mode taken]\r\n" + self.prompt())
        else:
            self.write("d\r\n" + self.prompt())

    # ---------------------------------------------------------------------------------- output
    def prompt(self) -> str:
        path = self.console.menu
        where = "/" + path[1:].replace(" ", "/") if path else ""
        end = "<SAFE>" if self.core.safe_holder is self else ">"
        return f"[{self.user}@{self.core.config.identity()}] {where}{end} "

    def write(self, text: str) -> None:
        if not self.closed and self.transport is not None:
            self.transport.write(text.encode())

    def logout(self) -> None:
        self.write("\r\ninterrupted\r\n")
        self.cut()

    def cut(self) -> None:
        """End the session (its safe mode, if held, is undone by the core)."""
        transport = self.transport
        self.connectionLost()
        if transport is not None:
            transport.loseConnection()
