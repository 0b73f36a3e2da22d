"""The README's "SOP with the CLI" walkthrough, every command as written and in its order, on the lab: a fresh
folder holding only what a checkout has (examples/, inventories/), a fresh register, no COLO_* settings."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.lab.api import Lab
from provisioner.lab.layout import slot_named
from provisioner.steps.provision import all_stages
from tests.e2e.conftest import ROOT

HOST = "lab-srv1"


def walkthrough() -> list[list[str]]:
    """The commands of the ```sh block under "## The SOP with the CLI" in README.md, comments dropped."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## The SOP with the CLI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "README.md: no ```sh block under '## The SOP with the CLI'"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def test_the_walkthrough_parses_as_colo_commands() -> None:
    commands = walkthrough()
    assert len(commands) >= 10 and all(c[0] == "colo" for c in commands), commands
    assert ["colo", "provision", "REQ-2026-0001", "--by", "Rina Marlina, A.Md."] in commands


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`command` as written, `colo` being this checkout's CLI; the technician answers yes when asked."""
    argv = [sys.executable, "-m", "provisioner.cli.main", *command[1:]]
    return subprocess.run(argv, cwd=cwd, env=env, input="y\n", capture_output=True, text=True, timeout=900,
                          check=False)


@pytest.mark.lab
@pytest.mark.slow
def test_every_command_runs_as_written(lab: Lab, tmp_path: Path) -> None:
    commands = walkthrough()
    info = lab.host(HOST)
    apply = next(c for c in commands if c[1] == "apply")
    assert (info.staging_address, info.profile.serial) == (apply[apply.index("--staging-address") + 1],
                                                           apply[apply.index("--serial") + 1]), apply
    cabled_to = info.switch_port
    lab.reset_host(HOST)
    lab.prune_vlans()
    lab.reset_names()  # the names earlier requests made (the demo's simpeg) as if they had left
    lab.cable(HOST, slot_named(HOST).default_switch_port)  # as delivered: the first free port of the rack
    for name in ("examples", "inventories"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLO_")}
    env["PYTHONPATH"] = str(ROOT)
    request_id = next(word for command in commands for word in command if word.startswith("REQ-"))
    outputs: dict[str, str] = {}
    try:
        for command in commands:
            done = _run(command, tmp_path, env)
            assert done.returncode == 0, (command, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
            outputs[" ".join(command[1:])] = done.stdout
    finally:
        _run(["colo", "decommission", request_id], tmp_path, env)
        if cabled_to is not None:
            lab.cable(HOST, cabled_to)
        lab.reset_host(HOST)
        lab.prune_vlans()
    assert outputs[" ".join(commands[0][1:])].strip() == request_id  # step 1 prints the id the rest use
    # step 6 in a pipe: each stage on a line of its own when it ends, in order, before the documents
    lines = outputs[f"provision {request_id} --by Rina Marlina, A.Md."].splitlines()
    titles = [stage.title for stage in all_stages()]
    ended = [i for i, line in enumerate(lines) if line.rsplit(": ", 1)[0] in titles]
    assert [lines[i].rsplit(": ", 1)[0] for i in ended] == titles, lines
    assert all(re.fullmatch(r"done \d+\.\d s", lines[i].rsplit(": ", 1)[1]) for i in ended), lines
    assert ended == list(range(ended[0], ended[0] + len(titles))), lines
    assert any(".pdf" in line for line in lines[ended[-1] + 1:]), lines
