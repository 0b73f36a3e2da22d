"""Step 6's spec check: what the server's facts show against what the request asked for.

Rules (each field is reported as requested vs found):
- cpu_cores: a minimum, counted as physical cores (sockets x cores per socket); hardware threads do not
  count. Where the facts give no core count, the logical CPU count stands in.
- memory_gb: a minimum, in GiB, with a 5 % allowance for what the firmware and the kernel keep for
  themselves: 64 GB requested accepts a MemTotal of at least 0.95 x 64 GiB (62259 MiB).
- disk_gb: a minimum, in decimal GB as disks are sold (960 GB = 960 x 10^9 bytes), summed over the
  server's disks (loop, RAM, optical and device-mapper devices are not disks).
- os: the distribution must be the requested one (Debian, Ubuntu, RedHat, Rocky, ...; case does not
  matter) and its version must start with the requested one ("12" accepts 12.5, "22.04" accepts 22.04.4).
- serial: must equal the serial recorded for the device (step 4) when the facts show one; firmware
  placeholders ("To Be Filled By O.E.M.", "Not Specified", ...) count as not shown.
- vendor and model: where both the request and the facts name one, the found name must contain the
  requested one ("Dell" matches "Dell Inc.").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from provisioner.errors import SpecMismatch
from provisioner.request import Server

MEMORY_TOLERANCE = 0.95
_MIB_PER_GIB = 1024
_BYTES_PER_GB = 10**9
_PLACEHOLDERS = frozenset({
    "", "na", "n/a", "none", "not specified", "not applicable", "to be filled by o.e.m.", "default string",
    "system serial number", "system product name", "system manufacturer", "0", "0123456789",
})


class Disk(BaseModel):
    """One block device the facts count as a disk."""

    model_config = ConfigDict(frozen=True)
    name: str
    size_bytes: int = Field(ge=0)
    model: str = ""


class Nic(BaseModel):
    """One network interface with its MAC and first IPv4 address (empty when it has none)."""

    model_config = ConfigDict(frozen=True)
    name: str
    mac: str = ""
    ipv4: str = ""


class ServerFacts(BaseModel):
    """What the server_facts role reports (`server_facts_report`)."""

    model_config = ConfigDict(frozen=True)
    hostname: str
    cpu_cores: int = Field(ge=0)
    cpu_vcpus: int = Field(ge=0)
    memory_mb: int = Field(ge=0)
    disks: tuple[Disk, ...] = ()
    os_family: str = ""
    os_distribution: str = ""
    os_version: str = ""
    os_major_version: str = ""
    nics: tuple[Nic, ...] = ()
    vendor: str = ""
    model: str = ""
    serial: str = ""

    @property
    def cores(self) -> int:
        """Physical cores, or logical CPUs where the facts give no core count."""
        return self.cpu_cores or self.cpu_vcpus

    @property
    def disk_bytes(self) -> int:
        """Total size of the server's disks."""
        return sum(disk.size_bytes for disk in self.disks)


@dataclass(frozen=True)
class SpecFinding:
    """One field of the spec check, as requested and as found."""

    field: str
    requested: str
    found: str
    ok: bool


def shown(value: str) -> str | None:
    """The DMI value, or None when it is empty or a firmware placeholder."""
    text = value.strip()
    return None if text.casefold() in _PLACEHOLDERS else text


def _version_matches(requested: str, found: str) -> bool:
    wanted = requested.strip().split(".")
    return found.strip().split(".")[: len(wanted)] == wanted


def _name_finding(field: str, requested: str | None, found_raw: str) -> SpecFinding | None:
    found = shown(found_raw)
    if requested is None:
        return None
    ok = found is None or requested.casefold() in found.casefold()
    return SpecFinding(field, requested, found or "not shown", ok)


def compare_spec(request_server: Server, facts: ServerFacts, serial: str | None = None) -> list[SpecFinding]:
    """Compare `facts` with the request; `serial` (the one recorded at step 4) overrides the request's."""
    memory_floor_mib = round(request_server.memory_gb * _MIB_PER_GIB * MEMORY_TOLERANCE)
    os_requested = f"{request_server.os.family} {request_server.os.version}"
    os_found = f"{facts.os_distribution} {facts.os_version}".strip() or "not shown"
    findings = [
        SpecFinding("cpu_cores", f">= {request_server.cpu_cores}", str(facts.cores),
                    facts.cores >= request_server.cpu_cores),
        SpecFinding("memory_gb", f">= {request_server.memory_gb} GB (MemTotal >= {memory_floor_mib} MiB)",
                    f"{facts.memory_mb / _MIB_PER_GIB:.1f} GiB ({facts.memory_mb} MiB)",
                    facts.memory_mb >= memory_floor_mib),
        SpecFinding("disk_gb", f">= {request_server.disk_gb} GB",
                    f"{facts.disk_bytes / _BYTES_PER_GB:.0f} GB on {len(facts.disks)} disk(s)",
                    facts.disk_bytes >= request_server.disk_gb * _BYTES_PER_GB),
        SpecFinding("os", os_requested, os_found,
                    facts.os_distribution.casefold() == request_server.os.family.casefold()
                    and _version_matches(request_server.os.version, facts.os_version)),
    ]
    expected_serial = serial or request_server.serial
    if expected_serial is not None:
        found_serial = shown(facts.serial)
        findings.append(SpecFinding("serial", expected_serial, found_serial or "not shown",
                                    found_serial is None or found_serial == expected_serial))
    for name_finding in (_name_finding("vendor", request_server.vendor, facts.vendor),
                         _name_finding("model", request_server.model, facts.model)):
        if name_finding is not None:
            findings.append(name_finding)
    return findings


def ensure_spec(findings: Sequence[SpecFinding]) -> None:
    """Raise SpecMismatch naming every field that does not match."""
    problems = [f"{f.field}: requested {f.requested}, found {f.found}" for f in findings if not f.ok]
    if problems:
        raise SpecMismatch("the delivered server does not match the request", problems)
