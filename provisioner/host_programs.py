"""The programs colo, its lab, its tests and its benchmarks run on the host, and the package each comes from.

`scripts/setup.sh` installs every ``apt`` package named here; ``pip`` ones come with the project's Python
dependencies (pyproject.toml); ``base`` ones belong to Debian's required packages, on every Debian system.
tests/unit/test_host_programs.py checks each is installed and scans the sources so the list stays complete.
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass
from typing import Literal

_SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class HostProgram:
    """A program run on the host; `where` is a glob of its directory when it is not on PATH; `indirect`
    when a library runs it (Ansible runs ssh and ansible-playbook), so no source names it."""

    name: str
    package: str
    source: Literal["apt", "pip", "base"] = "apt"
    where: str | None = None
    indirect: bool = False


HOST_PROGRAMS: tuple[HostProgram, ...] = (
    # the lab: namespaces, Open vSwitch, the server image, monitoring, DNS, NTP
    HostProgram("ip", "iproute2"),
    HostProgram("ss", "iproute2"),
    HostProgram("ethtool", "ethtool"),
    HostProgram("sysctl", "procps"),
    HostProgram("kill", "procps"),
    HostProgram("pkill", "procps"),
    HostProgram("nft", "nftables"),
    HostProgram("ping", "iputils-ping"),
    HostProgram("ovs-vsctl", "openvswitch-switch"),
    HostProgram("ovs-appctl", "openvswitch-switch"),
    HostProgram("ovs-ofctl", "openvswitch-switch"),
    HostProgram("ovs-ctl", "openvswitch-switch", where="/usr/share/openvswitch/scripts"),
    HostProgram("debootstrap", "debootstrap"),
    HostProgram("prometheus", "prometheus"),
    HostProgram("prometheus-blackbox-exporter", "prometheus-blackbox-exporter"),
    HostProgram("named", "bind9"),
    HostProgram("dig", "bind9-dnsutils"),
    *(HostProgram(name, "bind9-utils") for name in ("named-checkconf", "named-checkzone")),
    HostProgram("chronyd", "chrony"),
    # Zabbix in the NOC; provisioner/lab/zabbix.py runs them through its own helper (`_run`)
    HostProgram("zabbix_server", "zabbix-server-pgsql", indirect=True),
    HostProgram("zabbix_agentd", "zabbix-agent", indirect=True),
    HostProgram("php-fpm8.2", "php8.2-fpm", where="/usr/sbin", indirect=True),
    HostProgram("nginx", "nginx", where="/usr/sbin", indirect=True),
    HostProgram("psql", "postgresql-client", where="/usr/lib/postgresql/*/bin", indirect=True),
    HostProgram("openssl", "openssl"),
    HostProgram("ssh", "openssh-client"),
    HostProgram("ssh-keygen", "openssh-client"),
    HostProgram("sftp", "openssh-client", indirect=True),  # Ansible's ssh connection copies files with it
    # Molecule's containers, the register on PostgreSQL, documents
    HostProgram("podman", "podman"),
    HostProgram("initdb", "postgresql", where="/usr/lib/postgresql/*/bin"),
    HostProgram("pg_ctl", "postgresql", where="/usr/lib/postgresql/*/bin"),
    HostProgram("pdftotext", "poppler-utils"),
    HostProgram("pdfsig", "poppler-utils"),
    HostProgram("pdftoppm", "poppler-utils"),
    HostProgram("zbarimg", "zbar-tools"),
    HostProgram("softhsm2-util", "softhsm2"),
    HostProgram("python3", "python3"),
    # the project's Python dependencies
    *(HostProgram(name, "ansible-core", "pip") for name in ("ansible-playbook", "ansible-galaxy")),
    *(HostProgram(name, name, "pip")
      for name in ("ansible", "ansible-lint", "molecule", "mypy", "ruff", "yamllint")),
    # Debian's required packages
    *(HostProgram(name, "coreutils", "base") for name in (
        "basename", "chmod", "chroot", "cp", "date", "dirname", "id", "ln", "mkdir", "mktemp", "rm", "tail",
        "timeout", "touch", "true")),
    *(HostProgram(name, "util-linux", "base") for name in ("runuser", "unshare")),
    *(HostProgram(name, "mount", "base") for name in ("mount", "umount")),
    *(HostProgram(name, "dpkg", "base") for name in ("dpkg", "dpkg-query")),
    *(HostProgram(name, package, "base") for name, package in (
        ("apt-get", "apt"), ("bash", "bash"), ("sh", "dash"), ("grep", "grep"), ("hostname", "hostname"),
        ("tar", "tar"))),
)


def candidates(program: HostProgram) -> list[str]:
    """Every path the program has on this machine, the one a command line would run first; [] if none."""
    if program.where is not None:
        return sorted(glob.glob(os.path.join(program.where, program.name)), reverse=True)
    found = []
    for folder in dict.fromkeys(f"{os.environ.get('PATH', os.defpath)}:{_SBIN}".split(":")):
        path = shutil.which(program.name, path=folder) if folder else None
        if path is not None:
            found.append(path)
    return found
