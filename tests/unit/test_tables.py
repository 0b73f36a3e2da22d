"""Tables written without Rich are the characters Rich writes (Rich is the oracle)."""

from __future__ import annotations

import io
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from provisioner.cli.tables import Row, plain_table, print_table

ASCII = st.text(alphabet=string.printable.strip() + " ", max_size=30)


def rich_text(title: str, columns: list[str], rows: list[list[str]], width: int) -> str:
    """What Rich prints for the table on a console without colour `width` wide, as `colo` sets it up."""
    out = io.StringIO()
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row, style="red")
    Console(file=out, width=width, markup=False, emoji=False).print(table)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    ASCII, st.lists(ASCII, min_size=n, max_size=n),
    st.lists(st.lists(ASCII, min_size=n, max_size=n), max_size=8), st.integers(20, 160))))
def test_a_plain_table_is_what_rich_prints(case: tuple[str, list[str], list[list[str]], int]) -> None:
    title, columns, rows, width = case
    text = plain_table(title, columns, rows, width)
    assert text is None or text == rich_text(title, columns, rows, width)


@pytest.mark.parametrize(("width", "host", "state", "overdue"), [
    (80, "simpeg", "submitted", "step 2"),
    (120, "simpeg-database-01", "capacity_confirmed", "step 2, step 4"),
])
def test_the_request_list_is_plain_where_it_fits(width: int, host: str, state: str, overdue: str) -> None:
    columns = ["ID", "OPD", "host", "state", "next", "overdue"]
    rows = [[f"REQ-2026-{n:04d}", "disdik", host, state, "4", overdue] for n in range(200)]
    text = plain_table("Permohonan co-location", columns, rows, width)
    assert text is not None
    assert text == rich_text("Permohonan co-location", columns, rows, width)
    assert plain_table("Permohonan co-location", columns, rows, width - 40) is None, "Rich wraps it"


@pytest.mark.parametrize("cell", ["Dinas — émoji 🚀", "tab\there", "x" * 200])
def test_what_rich_would_wrap_or_measure_otherwise_is_left_to_rich(cell: str) -> None:
    assert plain_table("T", ["a"], [[cell]], 80) is None


@pytest.mark.parametrize("force_color", ["", "1"])
def test_print_table_prints_what_rich_prints(force_color: str, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Plain where Rich would not style (a pipe), by Rich itself where it would (FORCE_COLOR set)."""
    monkeypatch.setenv("COLUMNS", "100")
    if force_color:
        monkeypatch.setenv("FORCE_COLOR", force_color)
    else:
        monkeypatch.delenv("FORCE_COLOR", raising=False)
    rows = [Row(("REQ-2026-0001", "submitted", "step 2"), style="red"),
            Row(("REQ-2026-0002", "disposed", "-"))]
    print_table("Requests", ("ID", "state", "overdue"), rows)
    printed = capsys.readouterr().out
    expected = io.StringIO()
    table = Table(title="Requests")
    for column in ("ID", "state", "overdue"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row.cells, style=row.style)
    Console(file=expected, markup=False, emoji=False).print(table)
    assert printed == expected.getvalue()
    assert ("\x1b[" in printed) == bool(force_color)
