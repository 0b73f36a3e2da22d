"""Indonesian formats: numbers, dates, Roman months, and every capacity remark in Indonesian words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provisioner import capacity
from provisioner.documents import indonesian
from provisioner.documents.indonesian import angka, keterangan, roman, tanggal, uraian_uji


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (999, "999"), (1024, "1.024"), (-1234567, "-1.234.567"), (25600, "25.600"),
    ("0.9", "0,9"), (Decimal("40.125"), "40,125"), ("1000.5", "1.000,5"), ("n/a", "n/a"),
])
def test_numbers_group_thousands_with_dots(value: Decimal | int | str, shown: str) -> None:
    assert angka(value) == shown


def test_dates_and_roman_months() -> None:
    assert tanggal("2026-12-02") == "2 Desember 2026"
    assert [roman(m) for m in (1, 4, 9, 12)] == ["I", "IV", "IX", "XII"]


def test_every_capacity_remark_has_indonesian_words() -> None:
    assert set(indonesian.REMARKS) == set(capacity.REMARKS)


def test_remarks_are_indonesian_with_indonesian_numbers() -> None:
    ups = capacity.Remark("ups_limit", {"va": 10000, "factor": "0.9", "ratio": "0.8", "base": 2500})
    assert keterangan({"kind": ups.kind, "values": ups.values}) == (
        "10.000 VA x 0,9 x 0,8; terpakai termasuk beban awal 2.500 W")
    assert ups.text() == "10000 VA x 0.9 x 0.8; used includes base load 2500 W"
    assert keterangan({"kind": "rack_budget", "values": {}}) == "batas daya rak"


@pytest.mark.parametrize(("item", "shown"), [
    ({"kind": "icmp", "ok": True, "evidence": {"received": 3, "transmitted": 3}}, "3/3 balasan"),
    ({"kind": "icmp", "ok": False, "evidence": {"received": 0, "transmitted": 3}}, "tidak ada balasan echo"),
    ({"kind": "tcp", "ok": True, "evidence": {"connect_ms": 1500}}, "terbuka (1.500 ms)"),
    ({"kind": "tcp", "ok": False, "evidence": {"error": "Connection refused"}}, "gagal: Connection refused"),
    ({"kind": "https", "ok": True, "evidence": {"status": 200, "response_ms": 12, "trusted": True}},
     "HTTP 200 dalam 12 ms, sertifikat tepercaya"),
    ({"kind": "dns", "ok": True, "evidence": {"addresses": ["10.231.0.5"]}}, "mengarah ke 10.231.0.5"),
    ({"kind": "dns", "ok": False, "evidence": {"checkable": False}}, "tidak dapat diuji"),
    ({"kind": "smtp", "ok": True, "detail": "as recorded", "evidence": {}}, "as recorded"),
])
def test_access_check_items_read_in_indonesian(item: dict[str, object], shown: str) -> None:
    assert uraian_uji(item) == shown
