"""Netmiko's SSH channel, made to notice a switch that closed the connection.

Netmiko reads from paramiko only while data is buffered, so a connection the switch has closed looks like a
switch slow to answer, and every read waits out its whole read timeout (ktbyers/netmiko#2911). This channel
fails the read as soon as nothing is buffered and the switch has closed the channel or sent EOF: no more
data can come.
"""

from __future__ import annotations

from typing import Any

from netmiko.channel import SSHChannel
from netmiko.exceptions import ReadException


class ClosedAwareChannel(SSHChannel):
    """An SSH channel whose read raises ReadException once the switch has closed it and nothing is left."""

    def read_buffer(self) -> str:
        output = super().read_buffer()
        remote = self.remote_conn
        if not output and remote is not None and (remote.closed or remote.eof_received) \
                and not remote.recv_ready():
            raise ReadException("the switch closed the connection")
        return output


def notice_closing(connection: Any) -> None:
    """Give a logged-in Netmiko connection the closed-aware channel."""
    connection.channel = ClosedAwareChannel(connection.remote_conn, connection.encoding)
