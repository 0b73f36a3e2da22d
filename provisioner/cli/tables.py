"""Printing a table: by Rich where it styles the output, else the same characters written directly.

Rich lays a table out cell by cell, a millisecond or so a row: most of `colo request list`'s time on a big
register. Where Rich's console would write no colour and no style (not a terminal, no FORCE_COLOR) and every
cell is printable ASCII, the table Rich would print — its default heavy-head box, one space of padding, the
title centred above — is written here as text. tests/unit/test_tables.py holds that text to Rich's own.
A table wider than the console, or any other case, is printed by Rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provisioner.cli.common import console


@dataclass(frozen=True)
class Row:
    """One row of a table: its cells, and a Rich style for the whole row (shown only where Rich styles)."""

    cells: tuple[str, ...]
    style: str | None = None


def print_table(title: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Print the table as Rich's `Table(title=title)` of these columns and rows prints it."""
    out = console()
    styled = out.color_system is not None
    text = None if styled else plain_table(title, columns, [row.cells for row in rows], out.width)
    if text is not None:
        out.file.write(text)
        return
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row.cells, style=row.style)
    out.print(table)


def _plain(text: str) -> bool:
    """Printable ASCII without spaces at either end (which Rich may strip): one character, one cell."""
    return text.isascii() and text.isprintable() and text == text.strip()


def plain_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str | None:
    """The text of Rich's unstyled `Table(title=title)` on a console `width` wide; None where Rich would
    wrap or shorten a cell (the table is wider than that) or a cell is not as `_plain` asks."""
    every = [columns, *rows]
    if not all(_plain(cell) for row in every for cell in row) or not _plain(title):
        return None
    widths = [max(len(row[i]) for row in every) for i in range(len(columns))]
    total = sum(widths) + 3 * len(widths) + 1
    if total > width or len(title) > total:
        return None

    def rule(left: str, line: str, cross: str, right: str) -> str:
        return left + cross.join(line * (w + 2) for w in widths) + right

    def cells(edge: str, values: Sequence[str]) -> str:
        return edge + edge.join(f" {value:<{w}} " for value, w in zip(values, widths, strict=True)) + edge

    margin = total - len(title)
    heading = [" " * (margin // 2) + title + " " * (margin - margin // 2)] if title else []
    lines = [*heading, rule("┏", "━", "┳", "┓"), cells("┃", columns), rule("┡", "━", "╇", "┩"),
             *(cells("│", row) for row in rows), rule("└", "─", "┴", "┘")]
    return "\n".join(lines) + "\n"
