"""The CLI's error handler: whatever an exception holds, `colo` prints a bounded, plain message and exits with
the contract's code; the handler itself never raises."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from provisioner.cli.main import MAX_LINE_CHARS, MAX_LINES, main
from provisioner.errors import BadInput, InfrastructureError


class Unprintable(Exception):
    """An exception whose text cannot be built (as SQLAlchemy's StatementError with a huge integer)."""

    def __str__(self) -> str:
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")


def failing(exc: Exception) -> Callable[[], object]:
    def command() -> object:
        raise exc

    return command


def run(exc: Exception, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of `colo` when the command raises `exc`."""
    with pytest.raises(SystemExit) as done:
        main(failing(exc))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert isinstance(done.value.code, int)
    return done.value.code, captured.err


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLO_DEBUG", raising=False)


def test_exception_whose_text_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(Unprintable(), capsys)
    assert code == 1
    assert err.startswith("colo: unexpected failure (Unprintable): ")
    assert "cannot be shown" in err and "Traceback" not in err


def test_bad_input_with_unprintable_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(BadInput("facility.yml: invalid", [Unprintable(), 42]), capsys)  # type: ignore[list-item]
    assert code == 2
    assert err.splitlines() == ["colo: facility.yml: invalid", "  (the error's text cannot be shown)", "  42"]


def test_huge_message_is_cut(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(RuntimeError("x" * 10_000_000), capsys)
    assert code == 1
    assert len(err) < MAX_LINE_CHARS + 200
    assert "more characters" in err


def test_many_problems_are_cut(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(BadInput("too much", [f"line {n}" for n in range(100_000)]), capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == MAX_LINES and lines[-1] == "  ... and 99942 more problems"


def test_markup_escapes_and_sql_print_as_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    message = "Budi [/b] [bold]x[/bold] :warning: \x1b[2J\u202e\nINSERT INTO requests VALUES ('secret')"
    code, err = run(RuntimeError(message), capsys)
    assert code == 1
    first = err.splitlines()[0]
    shown = r"Budi [/b] [bold]x[/bold] :warning: \x1b[2J\u202e"
    assert first == f"colo: unexpected failure (RuntimeError): {shown}"
    assert "INSERT" not in err and "\x1b" not in err


def test_expected_error_keeps_its_lines_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(InfrastructureError("switch [/x] did not answer", ["line\nbreak", "tab\there"]), capsys)
    assert code == 1
    assert err.splitlines() == ["colo: switch [/x] did not answer", r"  line\nbreak", r"  tab\there"]


def test_closed_stderr_still_gives_the_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    with pytest.raises(SystemExit) as done:
        main(failing(BadInput("nobody reads this")))
    assert done.value.code == 2
