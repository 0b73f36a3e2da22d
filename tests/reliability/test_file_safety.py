"""Files the CLI writes go where they are meant to and nowhere else: a bad `colo register export --output`
(a folder, a device, a named pipe, a link, a missing folder, an existing file without --force) and a
documents folder that is a symbolic link are refused with exit 2 naming `--output`, nothing written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from reliability_support import (
    EXAMPLE_REQUEST,
    HEAD_OF_DIVISION,
    SECTION_HEAD,
    Figures,
    dump_register,
    run_colo,
    run_colo_process,
)
from test_bad_input import assert_refused


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _odd_outputs(root: Path) -> list[tuple[str, list[str]]]:
    """(--output, extra options) pairs that must be refused; the odd files are made here."""
    (root / "folder").mkdir()
    os.mkfifo(root / "pipe")
    (root / "plain.csv").write_text("keep\n")
    (root / "link.csv").symlink_to(root / "plain.csv")
    (root / "dangling.csv").symlink_to(root / "nowhere.csv")
    (root / "loop-a.csv").symlink_to(root / "loop-b.csv")
    (root / "loop-b.csv").symlink_to(root / "loop-a.csv")
    return [
        (str(root / "folder"), []),
        (str(root / "folder"), ["--force"]),
        ("/dev/null", []),
        ("/dev/null", ["--force"]),
        (str(root / "pipe"), ["--force"]),
        (str(root / "no-such-folder" / "aset.csv"), []),
        (str(root / "plain.csv" / "aset.csv"), []),
        (str(root / "plain.csv"), []),
        (str(root / "link.csv"), ["--force"]),
        (str(root / "dangling.csv"), []),
        (str(root / "loop-a.csv"), ["--force"]),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_odd_export_outputs_refused(register_env: dict[str, str], tmp_path: Path, figures: Figures,
                                    fmt: str) -> None:
    """Each odd --output: exit 2 naming --output, at once (a pipe is not waited on), every file as it was."""
    root = tmp_path / "odd"
    root.mkdir()
    cases = _odd_outputs(root)
    before = _tree(root), sorted(p.name for p in root.iterdir())
    for output, extra in cases:
        figures.case()
        try:
            run = run_colo_process(["register", "export", "--format", fmt, "--output", output, *extra],
                                   register_env, timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`colo register export --output {output}` still waits after 30 s")
        assert_refused(run, "--output")
        assert (_tree(root), sorted(p.name for p in root.iterdir())) == before, output
    assert not (root / "no-such-folder").exists()


def test_symlinked_request_folder_refused(register_env: dict[str, str], tmp_path: Path,
                                          figures: Figures) -> None:
    """`<output>/<REQ>` planted as a link to another folder: step 2 refuses, the register and the folder the
    link points to stay as they were."""
    submitted = run_colo(["request", "submit", str(EXAMPLE_REQUEST)], register_env)
    assert submitted.code == 0, submitted.err
    request_id = submitted.out.strip()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "disposition.html").write_text("theirs\n")
    output = Path(register_env["COLO_OUTPUT"])
    output.mkdir()
    (output / request_id).symlink_to(elsewhere, target_is_directory=True)
    before = dump_register(register_env["COLO_DB"]), _tree(elsewhere)
    figures.case()
    run = run_colo(["dispose", request_id, "--by", HEAD_OF_DIVISION, "--to", SECTION_HEAD], register_env)
    assert_refused(run, "--output")
    assert (dump_register(register_env["COLO_DB"]), _tree(elsewhere)) == before
