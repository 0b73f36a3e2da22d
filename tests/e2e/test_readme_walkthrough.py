"""The README's "SOP with the CLI" walkthrough, every command as written and in its order, on the lab: a fresh
folder holding only what a checkout has (examples/, inventories/), a fresh register, no COLO_* settings."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.lab.api import Lab
from provisioner.lab.layout import slot_named
from provisioner.steps.provision import all_stages
from tests.e2e.conftest import ROOT

HOST = "lab-srv1"


ASSIGNED = re.compile(r"^([A-Z_]+)=\$\((.*)\)\s*(?:#.*)?$")
"""`NAME=$(command)  # comment`: the command's output kept in a shell variable."""


@dataclass(frozen=True)
class Line:
    """One line of the walkthrough: its command's words, and the variable its output goes to (if any)."""

    command: list[str]
    keeps: str | None = None

    def expanded(self, variables: dict[str, str]) -> list[str]:
        """The words with each `$NAME` word replaced by the variable's value, as the shell does."""
        return [variables[w[1:]] if w.startswith("$") and w[1:] in variables else w for w in self.command]


def walkthrough() -> list[Line]:
    """The lines of the ```sh block under "## The SOP with the CLI" in README.md, comments dropped."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## The SOP with the CLI\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "README.md: no ```sh block under '## The SOP with the CLI'"
    lines = []
    for text in block.group(1).splitlines():
        if not text.strip():
            continue
        assigned = ASSIGNED.match(text)
        lines.append(Line(shlex.split(assigned.group(2)), assigned.group(1)) if assigned
                     else Line(shlex.split(text, comments=True)))
    return lines


def test_the_walkthrough_parses_as_colo_commands() -> None:
    lines = walkthrough()
    assert len(lines) >= 10 and all(line.command[0] == "colo" for line in lines), lines
    assert lines[0] == Line(["colo", "request", "submit", "examples/request-simpeg.yaml"], "REQ"), lines[0]
    assert ["colo", "provision", "$REQ", "--by", "Rina Marlina, A.Md."] in [line.command for line in lines]
    assert all("$" not in word for line in lines for word in line.expanded({"REQ": "REQ-2026-0001"}))


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`command` as written, `colo` being this checkout's CLI; the technician answers yes when asked."""
    argv = [sys.executable, "-m", "provisioner.cli.main", *command[1:]]
    return subprocess.run(argv, cwd=cwd, env=env, input="y\n", capture_output=True, text=True, timeout=900,
                          check=False)


@pytest.mark.lab
@pytest.mark.slow
def test_every_command_runs_as_written(lab: Lab, tmp_path: Path) -> None:
    lines = walkthrough()
    commands = [line.command for line in lines]
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
    variables: dict[str, str] = {}
    outputs: dict[str, str] = {}
    try:
        for line in lines:
            command = line.expanded(variables)
            done = _run(command, tmp_path, env)
            assert done.returncode == 0, (command, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
            outputs[" ".join(line.command[1:])] = done.stdout
            if line.keeps is not None:
                variables[line.keeps] = done.stdout.strip()  # as $(...) keeps it: trailing newlines dropped
    finally:
        request_id = variables.get("REQ", "")
        if request_id:
            _run(["colo", "decommission", request_id], tmp_path, env)
        if cabled_to is not None:
            lab.cable(HOST, cabled_to)
        lab.reset_host(HOST)
        lab.prune_vlans()
    assert re.fullmatch(r"REQ-\d{4}-0001", request_id), request_id  # step 1 prints the id the rest use
    # step 6 in a pipe: each stage on a line of its own when it ends, in order, before the documents
    printed = outputs["provision $REQ --by Rina Marlina, A.Md."].splitlines()
    titles = [stage.title for stage in all_stages()]
    ended = [i for i, text in enumerate(printed) if text.rsplit(": ", 1)[0] in titles]
    assert [printed[i].rsplit(": ", 1)[0] for i in ended] == titles, printed
    assert all(re.fullmatch(r"done \d+\.\d s", printed[i].rsplit(": ", 1)[1]) for i in ended), printed
    assert ended == list(range(ended[0], ended[0] + len(titles))), printed
    assert any(".pdf" in text for text in printed[ended[-1] + 1:]), printed
