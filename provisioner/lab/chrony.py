"""chrony in the NOC: the lab's NTP server, serving its local clock at stratum 8 to the lab's addresses and
leaving the machine's clock alone (`-x`: the NOC namespace shares it)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from provisioner.lab import procs
from provisioner.lab.layout import LAB_SUPERNET, NOC_ADDRESS, NOC_NS

CHRONYD_BIN = "/usr/sbin/chronyd"
CHRONY_USER = "_chrony"
NTP_ADDRESS = NOC_ADDRESS.split("/")[0]
NTP_PORT = 123
STRATUM = 8


def chrony_dir(lab_dir: Path) -> Path:
    return lab_dir / "chrony"


def pid_file(lab_dir: Path) -> Path:
    """chronyd's pid file (`Lab.down` stops every run/<name>.pid it knows)."""
    return lab_dir / "run" / "chronyd.pid"


def chrony_conf(base: Path) -> str:
    """Serve the local clock to the lab; no upstream sources, no command socket."""
    return "\n".join([
        f"bindaddress {NTP_ADDRESS}", f"allow {LAB_SUPERNET}", f"local stratum {STRATUM}", "cmdport 0",
        f"pidfile {base / 'chronyd.pid'}", f"driftfile {base / 'drift'}", "",
    ])


def start_chrony(lab_dir: Path) -> None:
    """Run chronyd in the foreground inside the NOC namespace unless it runs."""
    if procs.pid_of(pid_file(lab_dir)) is not None:
        return
    base = chrony_dir(lab_dir)
    base.mkdir(parents=True, exist_ok=True)
    shutil.chown(base, CHRONY_USER)
    (base / "chrony.conf").write_text(chrony_conf(base))
    procs.start(["ip", "netns", "exec", NOC_NS, CHRONYD_BIN, "-x", "-d", "-u", CHRONY_USER, "-f",
                 str(base / "chrony.conf")], pid_file(lab_dir), lab_dir / "log" / "chronyd.log")


def ntp_answers() -> bool:
    """Whether the NOC answers an NTP client request (mode 3) with a server reply (mode 4) from a
    synchronised stratum."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.sendto(b"\x23" + bytes(47), (NTP_ADDRESS, NTP_PORT))  # LI 0, version 4, mode 3 (client)
            reply = sock.recv(512)
        except OSError:
            return False
    return len(reply) >= 48 and reply[0] & 0x07 == 4 and 0 < reply[1] < 16


def chrony_running(lab_dir: Path) -> bool:
    return procs.pid_of(pid_file(lab_dir)) is not None and ntp_answers()
