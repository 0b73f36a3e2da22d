"""`colo` as a user runs it: exit codes, JSON, order rules, repeats and what reaches the register."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.register.db import open_register
from provisioner.workflow import Step, perform_step

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"
BAD = ROOT / "tests" / "data" / "requests"


class Colo:
    """Runs `colo` in a subprocess against one register, site and output directory."""

    def __init__(self, tmp: Path, register_url: str) -> None:
        site = tmp / "site"
        site.mkdir()
        shutil.copy(ROOT / "tests" / "data" / "facilities" / "example.yml", site / "facility.yml")
        self.url = register_url
        self.output = tmp / "documents"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "COLO_DB": register_url, "COLO_SITE": str(site),
                    "COLO_OUTPUT": str(self.output), "COLO_TECHNICIAN": "Rina Teknisi"}
        self.cwd = tmp

    def __call__(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "provisioner.cli.main", *args]
        done = subprocess.run(command, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=99)
        assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done

    def json(self, *args: str, code: int = 0) -> object:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def colo(tmp_path: Path, register_url: str) -> Colo:
    return Colo(tmp_path, register_url)


def test_submit_prints_the_id_and_json(colo: Colo) -> None:
    first = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    assert first.startswith("REQ-") and len(first) == len("REQ-2026-0001")
    second = colo.json("request", "submit", str(EXAMPLE))
    assert isinstance(second, dict) and second["id"] == first[:-4] + "0002"


@pytest.mark.parametrize("name", ["many-problems.yaml", "billion-laughs.yaml", "python-object.yaml",
                                  "duplicate-key.yaml", "not-utf8.yaml"])
def test_bad_request_exits_2_and_writes_nothing(colo: Colo, name: str) -> None:
    done = colo("request", "submit", str(BAD / name), code=2)
    assert done.stdout == ""
    assert colo.json("request", "list") == []


def test_problems_are_one_line_each_with_their_path(colo: Colo) -> None:
    lines = colo("request", "submit", str(BAD / "many-problems.yaml"), code=2).stderr.splitlines()
    assert lines[0].startswith("colo: ") and "6 problem(s)" in lines[0]
    assert [line.strip().split(":")[0] for line in lines[1:]] == [
        "agency.code", "agency.contact.email", "server.hostname", "server.rack_units", "server.colour",
        "network.ports[0].protocol",
    ]


def test_the_sop_in_order_with_documents(colo: Colo) -> None:
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    refused = colo("approve", request_id, "--by", "Drs. Asep", code=3)
    assert "needs step 2 (disposition) first: colo dispose" in refused.stderr

    disposed = colo.json("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi")
    assert isinstance(disposed, dict) and disposed["repeated"] is False
    pdf = Path(disposed["documents"][0]["pdf"])
    assert pdf.is_file() and pdf.parent == colo.output / request_id

    again = colo.json("dispose", request_id, "--by", "Someone", "--to", "Else")
    assert isinstance(again, dict) and again["repeated"] is True
    assert (again["actor"], again["details"], again["at"]) == ("Drs. Asep", {"to": "Dedi"}, disposed["at"])
    assert again["documents"] == disposed["documents"]

    early = colo("apply", request_id, "--serial", "7XK2Q93", code=3)
    assert "needs step 3 (capacity check) first" in early.stderr
    register = open_register(colo.url)
    perform_step(register, request_id, Step.CAPACITY, "Rina Teknisi", {})
    register.close()

    colo("apply", request_id, "--serial", "WRONG1", code=3)
    colo("apply", request_id, "--serial", "7XK2Q93", "--staging-address", "not-an-ip", code=2)
    applied = colo.json("apply", request_id, "--serial", "7XK2Q93", "--staging-address", "10.231.250.11")
    assert isinstance(applied, dict)
    assert applied["details"] == {"serial": "7XK2Q93", "staging_address": "10.231.250.11"}
    assert applied["actor"] == "Budi Santoso"
    colo("approve", request_id, "--by", "Drs. Asep")
    assert "needs step 6 (installation) first" in colo("report", request_id, code=3).stderr

    shown = colo.json("request", "show", request_id)
    assert isinstance(shown, dict) and shown["state"] == "approved" and shown["next_step"] == 6
    assert [s["actor"] for s in shown["steps"][:5]] == [
        "Budi Santoso (disdik)", "Drs. Asep", "Rina Teknisi", "Budi Santoso", "Drs. Asep",
    ]
    assert [d["kind"] for d in shown["documents"]] == ["disposition", "application_form", "approval_form"]
    assert [s["standard_s"] for s in shown["steps"]] == [None, 900, 3600, 86400, 900, 3600, 900]
    human = colo("request", "show", request_id).stdout
    assert "approved" in human and "Timeline" in human


def test_list_shows_state_and_overdue(colo: Colo) -> None:
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    listed = colo.json("request", "list")
    assert listed == [{
        "id": request_id, "agency": "disdik", "hostname": "simpeg", "letter_number": "027/114/Disdik/2026",
        "submitted_at": listed[0]["submitted_at"], "state": "submitted", "next_step": 2, "overdue": [],  # type: ignore[index]
    }]
    assert request_id in colo("request", "list").stdout


def test_cancel_then_steps_are_refused(colo: Colo) -> None:
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    colo("request", "cancel", request_id, "--by", "Drs. Asep", "--reason", "withdrawn")
    assert "closed (cancelled)" in colo("dispose", request_id, "--by", "A", "--to", "B", code=3).stderr
    colo("request", "cancel", request_id, "--by", "Drs. Asep", "--reason", "again", code=3)


def test_unknown_request_and_bad_arguments_exit_2(colo: Colo) -> None:
    assert "no request 'REQ-2026-9999'" in colo("request", "show", "REQ-2026-9999", code=2).stderr
    colo("dispose", "REQ-2026-0001", "--by", "A", code=2)
    colo("dispose", "REQ-2026-0001", "--by", "", "--to", "B", code=2)


def test_a_planted_link_is_replaced_never_written_through(colo: Colo) -> None:
    """`<output>/<REQ>/disposition.html` and `.pdf` planted as links: the documents replace the links; the
    files they pointed to keep their bytes and their mode."""
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    victims = {}
    (colo.output / request_id).mkdir(parents=True)
    for name in ("disposition.html", "disposition.pdf"):
        victim = colo.cwd / f"victim-{name}"
        victim.write_text(f"not a document: {name}\n")
        victim.chmod(0o600)
        (colo.output / request_id / name).symlink_to(victim)
        victims[victim] = victim.read_bytes()
    colo("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi")
    for victim, data in victims.items():
        assert victim.read_bytes() == data and stat.S_IMODE(victim.stat().st_mode) == 0o600
    for name in ("disposition.html", "disposition.pdf"):
        written = colo.output / request_id / name
        assert not written.is_symlink() and stat.S_IMODE(written.stat().st_mode) == 0o640
    assert (colo.output / request_id / "disposition.pdf").read_bytes().startswith(b"%PDF")
    names = sorted(p.name for p in (colo.output / request_id).iterdir())
    assert names == ["disposition.html", "disposition.pdf"]


def test_a_request_folder_that_is_a_link_is_refused(colo: Colo) -> None:
    """`<output>/<REQ>` planted as a link: step 2 is refused (exit 2 naming --output), nothing recorded and
    nothing written where it points; an output root that is itself a link is the operator's and is used."""
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    elsewhere = colo.cwd / "elsewhere"
    elsewhere.mkdir()
    colo.output.mkdir()
    (colo.output / request_id).symlink_to(elsewhere, target_is_directory=True)
    refused = colo("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi", code=2)
    assert "--output" in refused.stderr and "link" in refused.stderr
    assert list(elsewhere.iterdir()) == []
    shown = colo.json("request", "show", request_id)
    assert isinstance(shown, dict) and shown["state"] == "submitted" and shown["documents"] == []
    real_root = colo.cwd / "real-documents"
    real_root.mkdir()
    (colo.cwd / "documents-link").symlink_to(real_root, target_is_directory=True)
    colo.env["COLO_OUTPUT"] = str(colo.cwd / "documents-link")
    colo("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi")
    assert (real_root / request_id / "disposition.pdf").is_file()


def test_document_paths_hold_from_another_folder(colo: Colo) -> None:
    """Documents written under a relative output folder are recorded by a path that `colo request show`,
    run from another folder, still finds."""
    colo.env["COLO_OUTPUT"] = "documents"
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    colo("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi")
    other = colo.cwd / "other"
    other.mkdir()
    colo.cwd = other
    shown = colo.json("request", "show", request_id)
    assert isinstance(shown, dict) and [d["kind"] for d in shown["documents"]] == ["disposition"]
    for key in ("pdf", "html"):
        path = other / shown["documents"][0][key]
        assert path.is_file() and path.parent == colo.output / request_id, path
