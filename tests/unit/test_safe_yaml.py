"""The safe YAML reader: plain data only, bounded size and alias expansion, clear refusals."""

from __future__ import annotations

import datetime as dt
import resource
from pathlib import Path

import pytest

from provisioner.errors import BadInput
from provisioner.safe_yaml import MAX_NODES, load_yaml_file, load_yaml_text

DATA = Path(__file__).resolve().parent.parent / "data" / "requests"


def test_plain_data_comes_back() -> None:
    text = "a: 2026-11-20\nb: [1, 2.5, true, null, text]\nc: {d: e}\n"
    assert load_yaml_text(text) == {
        "a": dt.date(2026, 11, 20), "b": [1, 2.5, True, None, "text"], "c": {"d": "e"},
    }


def test_billion_laughs_is_refused_without_expanding() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BadInput, match="once aliases are expanded"):
        load_yaml_file(DATA / "billion-laughs.yaml")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50_000


def test_a_few_aliases_are_fine() -> None:
    assert load_yaml_text("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_expansion_just_over_the_limit_is_refused() -> None:
    wide = "a: &a [" + ",".join(["0"] * 1000) + "]\nb: [" + ",".join(["*a"] * (MAX_NODES // 1000 + 1)) + "]\n"
    with pytest.raises(BadInput, match="aliases are expanded"):
        load_yaml_text(wide)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(BadInput, match="recursive"):
        load_yaml_text("a: &a [*a]\n")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(BadInput, match="nesting deeper"):
        load_yaml_text("a: " + "[" * 100 + "]" * 100)


def test_tag_that_builds_an_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"tag .* is not allowed"):
        load_yaml_file(DATA / "python-object.yaml")
    assert not Path("/tmp/colo-pwned").exists()


@pytest.mark.parametrize(
    "text", ["a: !!binary aGVsbG8=", "a: !!set {x}", "a: !custom 1", "a: !!python/name:os.system"]
)
def test_any_tag_beyond_plain_data_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="not allowed"):
        load_yaml_text(text)


def test_repeated_key_is_refused() -> None:
    with pytest.raises(BadInput, match="'number' appears twice"):
        load_yaml_file(DATA / "duplicate-key.yaml")


def test_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (256 * 1024) + "\n")
    with pytest.raises(BadInput, match="larger than 256 KiB"):
        load_yaml_file(big)


def test_file_at_the_cap_is_read(tmp_path: Path) -> None:
    exact = tmp_path / "exact.yaml"
    exact.write_text("a: " + "x" * (256 * 1024 - 4) + "\n")
    assert exact.stat().st_size == 256 * 1024
    assert isinstance(load_yaml_file(exact), dict)


def test_non_utf8_is_refused() -> None:
    with pytest.raises(BadInput, match="not UTF-8"):
        load_yaml_file(DATA / "not-utf8.yaml")


def test_binary_is_refused(tmp_path: Path) -> None:
    blob = tmp_path / "blob.yaml"
    blob.write_bytes(b"a: 1\n\x00\x01\x02")
    with pytest.raises(BadInput, match="binary"):
        load_yaml_file(blob)


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(BadInput, match=r"bad\.yaml: not valid YAML"):
        load_yaml_file(bad)


def test_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(BadInput, match="empty"):
        load_yaml_file(empty)
    with pytest.raises(BadInput, match="cannot read"):
        load_yaml_file(tmp_path / "missing.yaml")
