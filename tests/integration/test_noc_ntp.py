"""The lab's NOC serves NTP (chrony): a client request from outside the NOC gets the NOC's time."""

from __future__ import annotations

import socket
import struct
import time

from provisioner.lab.chrony import NTP_ADDRESS, NTP_PORT, STRATUM
from tests.integration.conftest import LabHandle

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)


def test_noc_answers_ntp_with_its_time(lab: LabHandle) -> None:
    part = next(p for p in lab.lab.status().parts if p.name == "ntp")
    assert part.healthy, part.detail
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(b"\x23" + bytes(47), (NTP_ADDRESS, NTP_PORT))
        reply = sock.recv(512)
    seconds, fraction = struct.unpack("!II", reply[40:48])
    assert reply[0] & 0x07 == 4 and reply[1] == STRATUM
    assert abs(seconds - NTP_EPOCH_OFFSET + fraction / 2**32 - time.time()) < 2.0
