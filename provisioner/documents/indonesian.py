"""Indonesian formats for documents: dates (``2 Desember 2026``), numbers (``1.024``; ``0,9``), Roman
months, and the capacity report's remarks in Indonesian words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Asia/Jakarta")
_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

REMARKS: Mapping[str, str] = {
    "units": "unit {first}-{last}",
    "longest_run": "unit kosong berurutan terpanjang {longest} U",
    "rack_budget": "batas daya rak",
    "ups_limit": "{va} VA x {factor} x {ratio}; terpakai termasuk beban awal {base} W",
    "genset_limit": "{kva} kVA x 1.000 x {factor} x {ratio}; terpakai termasuk beban awal {base} W",
    "committed": "terpakai termasuk {committed} Mbps yang sudah dikontrak",
    "port": "{switch} {port}",
    "ports_taken": "semua port terpakai: {switches}",
    "no_switch": "tidak ada switch di rak ini",
    "reuses_vlan": "memakai VLAN {vlan} milik OPD",
    "reuses_subnet": "memakai {subnet} milik OPD",
    "new_vlan": "VLAN baru {vlan}",
    "all_taken": "semua VLAN terpakai",
    "new_subnet": "subnet baru {subnet}",
    "exhausted": "{supernet} habis",
    "address": "{address}",
    "full": "{subnet} penuh",
    "recorded": "{text}",
    "name_free": "tersedia",
    "name_held": "dipegang oleh {request}",
    "name_in_zone": "sudah ada di zona DNS ({values})",
}
"""Each kind of capacity remark (``provisioner.capacity.REMARKS``) in Indonesian."""
_AMOUNTS = frozenset({"va", "base", "committed", "longest", "kva", "factor", "ratio"})


def tanggal(value: date | str) -> str:
    """An Indonesian date, ``20 November 2026`` (a timestamp, also as ISO text, counts in local time, WIB)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TIME).date()
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def waktu(value: datetime) -> str:
    """An Indonesian date with the local time: ``20 November 2026 09.15 WIB``."""
    return f"{tanggal(value)} {value.astimezone(LOCAL_TIME):%H.%M} WIB"


def angka(value: int | Decimal | str) -> str:
    """A number as Indonesian writes it: thousands with dots, decimals with a comma (``-1.024``, ``0,9``);
    text that is not a number is returned as it is."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return str(value)
    whole, _, fraction = f"{abs(number):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    sign = "-" if number < 0 else ""
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def roman(month: int) -> str:
    """A month in Roman numerals, as letter numbers carry it: 12 is ``XII``."""
    return _ROMAN[month - 1]


def keterangan(remark: Mapping[str, object] | None, english: str = "") -> str:
    """A capacity line's remark in Indonesian, its numbers in Indonesian format (a report recorded before
    remarks had kinds shows its ``english`` note)."""
    if not remark:
        return english
    values = remark["values"]
    assert isinstance(values, Mapping)
    shown = {k: angka(str(v)) if k in _AMOUNTS else v for k, v in values.items()}
    return REMARKS[str(remark["kind"])].format(**shown)


def uraian_uji(item: Mapping[str, Any]) -> str:
    """An access check item (``provisioner.checks.CheckItem.to_dict``) in Indonesian, from its evidence; an
    item whose evidence says too little keeps its recorded detail."""
    evidence: Mapping[str, Any] = item.get("evidence") or {}
    kind, ok = item.get("kind"), bool(item.get("ok"))
    if evidence.get("checkable") is False:
        return "tidak dapat diuji"
    if "error" in evidence and not ok:
        return f"gagal: {evidence['error']}"
    if kind == "icmp" and "received" in evidence:
        return f"{evidence['received']}/{evidence['transmitted']} balasan" if ok else "tidak ada balasan echo"
    if kind == "tcp" and "connect_ms" in evidence:
        return f"terbuka ({angka(evidence['connect_ms'])} ms)"
    if kind in ("http", "https") and "status" in evidence:
        text = f"HTTP {evidence['status']} dalam {angka(evidence['response_ms'])} ms"
        if evidence.get("trusted") is True:
            text += ", sertifikat tepercaya"
        elif evidence.get("trusted") is False:
            text += f", sertifikat tidak tepercaya ({evidence.get('trust_error', '')})"
        return text
    if kind == "dns" and "addresses" in evidence:
        return f"mengarah ke {', '.join(evidence['addresses'])}"
    if kind == "dns" and "tried" in evidence:
        return "nama tidak dapat ditemukan"
    return str(item.get("detail", ""))
