"""Bad input changes nothing: every malformed request or facility file is refused with exit code 2, one
clear message naming what is wrong, no traceback, and the register and the documents folder as they were.

The request files go through `colo request submit FILE`; the facility files through `colo capacity ID
--site DIR` for a request that is ready for step 3 (so a facility that loaded would change the register).
Most run in-process through the console script's own `main`; a sample runs as real processes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from reliability_cases import Case, facility_cases, request_cases
from reliability_support import EXAMPLE_REQUEST, ColoRun, Figures, dump_register, run_colo, run_colo_process

REQUEST_CASES = request_cases()
FACILITY_CASES = facility_cases()


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def assert_refused(run: ColoRun, field: str) -> None:
    """Exit code 2, a `colo:` message that contains `field`, and no traceback anywhere."""
    assert run.code == 2, f"exit {run.code}\nstdout: {run.out[-2000:]}\nstderr: {run.err[-2000:]}"
    assert "Traceback" not in run.out + run.err
    assert run.err.startswith("colo: "), run.err[:500]
    assert field.lower() in run.err.lower(), f"message does not name {field!r}:\n{run.err[:2000]}"
    assert len(run.err) < 20_000, "the message repeats the input instead of naming the problem"


@pytest.fixture(scope="module")
def ready_for_capacity(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, Path]:
    """A register holding one request that has passed step 2: (environment, request id, tmp root)."""
    from provisioner.register.db import open_register
    from provisioner.request import load_request
    from provisioner.steps.submit import submit_request
    from provisioner.workflow import Step, perform_step

    root = tmp_path_factory.mktemp("badinput")
    url = f"sqlite:///{root / 'reg' / 'register.db'}"
    register = open_register(url)
    spec, text = load_request(EXAMPLE_REQUEST)
    request_id = submit_request(register, spec.model_dump(mode="json"), text, actor="test")
    perform_step(register, request_id, Step.DISPOSE, "kabid", {"to": "kasi"})
    register.close()
    env = {"COLO_DB": url, "COLO_OUTPUT": str(root / "documents")}
    (root / "documents").mkdir()
    return env, request_id, root


def _unchanged(env: dict[str, str], root: Path, before: tuple[object, dict[str, int]]) -> None:
    assert (dump_register(env["COLO_DB"]), _files(root / "documents")) == before


def _snapshot(env: dict[str, str], root: Path) -> tuple[object, dict[str, int]]:
    return dump_register(env["COLO_DB"]), _files(root / "documents")


def test_corpus_is_large_enough() -> None:
    assert len(REQUEST_CASES) + len(FACILITY_CASES) >= 50
    assert len({c.name for c in REQUEST_CASES}) == len(REQUEST_CASES)
    assert len({c.name for c in FACILITY_CASES}) == len(FACILITY_CASES)


@pytest.mark.parametrize("case", REQUEST_CASES, ids=lambda c: c.name)
def test_bad_request_refused(
    case: Case, ready_for_capacity: tuple[dict[str, str], str, Path], figures: Figures
) -> None:
    env, _request_id, root = ready_for_capacity
    path = root / "requests" / f"{case.name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(case.data)
    before = _snapshot(env, root)
    figures.case()
    assert_refused(run_colo(["request", "submit", str(path)], env), case.field)
    _unchanged(env, root, before)


@pytest.mark.parametrize("case", FACILITY_CASES, ids=lambda c: c.name)
def test_bad_facility_refused(
    case: Case, ready_for_capacity: tuple[dict[str, str], str, Path], figures: Figures
) -> None:
    env, request_id, root = ready_for_capacity
    site = root / "sites" / case.name
    site.mkdir(parents=True, exist_ok=True)
    (site / "facility.yml").write_bytes(case.data)
    before = _snapshot(env, root)
    figures.case()
    assert_refused(run_colo(["--site", str(site), "capacity", request_id], env), case.field)
    _unchanged(env, root, before)


def test_missing_and_odd_paths_refused(
    ready_for_capacity: tuple[dict[str, str], str, Path], figures: Figures
) -> None:
    """A request path that is missing or a folder; a site without facility.yml or with a folder there."""
    env, request_id, root = ready_for_capacity
    odd = root / "odd"
    (odd / "facility.yml").mkdir(parents=True)
    before = _snapshot(env, root)
    runs = [
        (["request", "submit", str(root / "no-such.yaml")], "no-such.yaml"),
        (["request", "submit", str(odd)], "cannot read"),
        (["--site", str(root / "no-such-site"), "capacity", request_id], "facility.yml"),
        (["--site", str(odd), "capacity", request_id], "facility.yml"),
    ]
    for args, field in runs:
        figures.case()
        assert_refused(run_colo(args, env), field)
    _unchanged(env, root, before)


def test_fifo_is_not_waited_on(
    ready_for_capacity: tuple[dict[str, str], str, Path], figures: Figures
) -> None:
    """A named pipe given as the request file is refused at once, not read until someone writes to it."""
    env, _request_id, root = ready_for_capacity
    fifo = root / "request.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    figures.case()
    try:
        run = run_colo_process(["request", "submit", str(fifo)], env, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("`colo request submit FIFO` still waits for a writer after 20 s")
    assert_refused(run, "request.fifo")


@pytest.mark.parametrize("name", ["billion-laughs", "python-object-tag", "binary-random", "huge-8m-string",
                                  "hostname-newline-cmd", "unknown-nested-key"])
def test_sample_through_real_process(
    name: str, ready_for_capacity: tuple[dict[str, str], str, Path], figures: Figures
) -> None:
    """The same refusals from the console script run as its own process."""
    env, _request_id, root = ready_for_capacity
    case = next(c for c in REQUEST_CASES if c.name == name)
    path = root / "process" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(case.data)
    before = _snapshot(env, root)
    figures.case()
    assert_refused(run_colo_process(["request", "submit", str(path)], env), case.field)
    _unchanged(env, root, before)
    assert not Path("/tmp/colo-pwned").exists()
