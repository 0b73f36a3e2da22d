"""Hardware profiles of the lab servers, and the /proc and /sys files that show them to fact gathering."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HardwareProfile:
    """What a delivered server is: the facts Ansible's `setup` reports for it."""

    vendor: str          # as a request names it
    dmi_vendor: str      # as the firmware (DMI sys_vendor) spells it
    model: str
    serial: str
    cpu_cores: int
    memory_gb: int
    disk_gb: int
    cpu_model: str = "Intel(R) Xeon(R) Gold 6326 CPU @ 2.90GHz"
    os_family: str = "Debian"
    os_version: str = "12"


_R650 = ("Dell", "Dell Inc.", "PowerEdge R650")

PROFILES: tuple[HardwareProfile, ...] = (
    HardwareProfile(*_R650, serial="7XK2Q93", cpu_cores=16, memory_gb=64, disk_gb=960),
    HardwareProfile("HPE", "HPE", "ProLiant DL360 Gen10", serial="CZJ9310K2L", cpu_cores=8, memory_gb=32,
                    disk_gb=480, cpu_model="Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz"),
    HardwareProfile("Lenovo", "Lenovo", "ThinkSystem SR630", serial="J30A7RQC", cpu_cores=4, memory_gb=8,
                    disk_gb=240, cpu_model="Intel(R) Xeon(R) Bronze 3204 CPU @ 1.90GHz"),
    HardwareProfile(*_R650, serial="4HX7P21", cpu_cores=16, memory_gb=64, disk_gb=960),
    HardwareProfile(*_R650, serial="9QW3M58", cpu_cores=16, memory_gb=64, disk_gb=960),
    HardwareProfile(*_R650, serial="2DL8N64", cpu_cores=16, memory_gb=64, disk_gb=960),
    HardwareProfile(*_R650, serial="6BT5R17", cpu_cores=16, memory_gb=64, disk_gb=960),
    HardwareProfile(*_R650, serial="8MV1C39", cpu_cores=16, memory_gb=64, disk_gb=960),
)


def profile_for(index: int) -> HardwareProfile:
    """The profile of lab server `index` (1-based)."""
    return PROFILES[index - 1]


def cpuinfo(p: HardwareProfile) -> str:
    """/proc/cpuinfo of one socket with `cpu_cores` cores, one thread each."""
    blocks = []
    for n in range(p.cpu_cores):
        blocks.append(
            f"processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\n"
            f"model name\t: {p.cpu_model}\nstepping\t: 6\ncpu MHz\t\t: 2900.000\ncache size\t: 24576 KB\n"
            f"physical id\t: 0\nsiblings\t: {p.cpu_cores}\ncore id\t\t: {n}\ncpu cores\t: {p.cpu_cores}\n"
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
            "mmx fxsr sse sse2 ht syscall nx lm constant_tsc rep_good nopl pni ssse3 sse4_1 sse4_2 avx avx2\n"
        )
    return "\n".join(blocks) + "\n"


def meminfo(p: HardwareProfile) -> str:
    """/proc/meminfo with MemTotal = memory_gb GiB."""
    total = p.memory_gb * 1024 * 1024
    rows = {"MemTotal": total, "MemFree": total * 9 // 10, "MemAvailable": total * 19 // 20,
            "Buffers": 10240, "Cached": total // 40, "SwapCached": 0, "Active": total // 50,
            "Inactive": total // 50, "SwapTotal": 0, "SwapFree": 0}
    return "".join(f"{key + ':':<16}{value:>8} kB\n" for key, value in rows.items())


def dmi_files(p: HardwareProfile) -> dict[str, str]:
    """The files of /sys/devices/virtual/dmi/id."""
    product_uuid = str(uuid.uuid5(uuid.NAMESPACE_OID, f"colo-lab/{p.serial}"))
    return {
        "sys_vendor": p.dmi_vendor, "product_name": p.model, "product_serial": p.serial,
        "product_uuid": product_uuid, "product_version": "", "product_family": "",
        "board_vendor": p.dmi_vendor, "board_name": "0" + p.serial[:5], "board_serial": "." + p.serial + ".",
        "board_version": "A01", "board_asset_tag": "", "chassis_vendor": p.dmi_vendor,
        "chassis_serial": p.serial, "chassis_type": "23", "chassis_version": "", "chassis_asset_tag": "",
        "bios_vendor": p.dmi_vendor, "bios_version": "1.10.2", "bios_date": "03/14/2025",
    }


def block_files(p: HardwareProfile) -> dict[str, str]:
    """The files of /sys/block for one disk `sda` of `disk_gb` (decimal) gigabytes."""
    sectors = p.disk_gb * 1000**3 // 512
    return {
        "sda/size": str(sectors), "sda/removable": "0", "sda/ro": "0",
        "sda/queue/logical_block_size": "512", "sda/queue/physical_block_size": "4096",
        "sda/queue/hw_sector_size": "512", "sda/queue/rotational": "0",
        "sda/queue/scheduler": "[none] mq-deadline", "sda/queue/discard_granularity": "0",
        "sda/device/vendor": p.dmi_vendor.split()[0].upper(), "sda/device/model": f"SSD {p.disk_gb}GB",
        "sda/device/serial": f"S{p.serial}D0",
    }


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write `files` (relative path -> content, newline added) under `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content + "\n")


def write_profile(hw_dir: Path, p: HardwareProfile) -> None:
    """Write cpuinfo, meminfo, dmi/ and block/ for `p` under `hw_dir`."""
    hw_dir.mkdir(parents=True, exist_ok=True)
    (hw_dir / "cpuinfo").write_text(cpuinfo(p))
    (hw_dir / "meminfo").write_text(meminfo(p))
    write_tree(hw_dir / "dmi", dmi_files(p))
    write_tree(hw_dir / "block", block_files(p))
    (hw_dir / "block/sda/holders").mkdir(exist_ok=True)
