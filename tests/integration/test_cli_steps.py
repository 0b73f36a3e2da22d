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
import yaml

from provisioner.register.db import open_register
from provisioner.workflow import Step, perform_step

# The SOP's walk runs on PostgreSQL in CI; the other commands' PostgreSQL runs are twins.
POSTGRESQL_KEPT = frozenset({"test_the_sop_in_order_with_documents"})

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


def _request_file(tmp: Path, name: str, changes: dict[str, object]) -> Path:
    """The example request with the fields at dotted paths (list indices as numbers) set, as a file."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    out = tmp / name
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


MARKUP_NAMES = ["Budi [/b]", "Dinas [/x] Ciamis", "[/x]", "[bold]Budi[/bold] :warning:", "[link=x]a"]


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_markup_in_names_is_printed_as_text(colo: Colo, tmp_path: Path, name: str) -> None:
    colo.env["COLUMNS"] = "250"
    path = _request_file(tmp_path, "markup.yaml", {"agency.contact.name": name, "agency.name": name})
    request_id = colo("request", "submit", str(path)).stdout.strip()
    colo("dispose", request_id, "--by", name, "--to", name)
    for _repeat in range(2):
        shown = colo("request", "show", request_id).stdout
        assert f"{request_id}  {name}  host simpeg" in shown
        assert f"│ {name} (disdik) " in shown
        [disposition] = [line for line in shown.splitlines() if "│ disposition " in line]
        assert f"│ {name} " in disposition
        assert "\u26a0" not in shown
    assert request_id in colo("request", "list").stdout
    cancelled = colo("request", "cancel", request_id, "--by", name, "--reason", name).stdout
    assert f"cancelled by {name} at" in cancelled
    assert f"cancelled by {name}\n" in colo("request", "show", request_id).stdout


def test_show_keeps_its_own_styling(colo: Colo, tmp_path: Path) -> None:
    colo.env.update(COLUMNS="250", FORCE_COLOR="1")
    path = _request_file(tmp_path, "bold.yaml", {"agency.name": "[bold]Dinas[/bold]"})
    request_id = colo("request", "submit", str(path)).stdout.strip()
    shown = colo("request", "show", request_id).stdout
    assert f"\x1b[1m{request_id}\x1b[0m" in shown
    assert "[bold]Dinas[/bold]" in shown


def test_markup_in_an_error_message_reaches_stderr_as_written(colo: Colo) -> None:
    done = colo("request", "show", "[/x] :warning:", code=2)
    assert "no request '[/x] :warning:'" in done.stderr


@pytest.mark.parametrize(("old", "new", "field"), [
    ("date: 2026-11-20", "date: 2026-02-30", "letter.date"),
    ("date: 2026-11-20", "date: 2026-11-20 25:00:00", "letter.date"),
    ("date: 2026-11-20", "date: 0000-01-01", "letter.date"),
    ("memory_gb: 64", "memory_gb: " + "9" * 5000, "server.memory_gb"),
    ("{port: 443,", "{port: 4" + "3" * 4999 + ",", "network.ports[1].port"),
    ("number: \"027/114/Disdik/2026\"", "number: 2026-11-20T10:00:00+25:00", "letter.number"),
], ids=["feb-30", "hour-25", "year-0", "int-5000-digits", "port-5000-digits", "offset-25h"])
def test_impossible_values_exit_2_naming_the_field(
    colo: Colo, tmp_path: Path, old: str, new: str, field: str
) -> None:
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "impossible.yaml"
    path.write_text(text.replace(old, new, 1))
    done = colo("request", "submit", str(path), code=2)
    assert f"{field}: " in done.stderr and "unexpected" not in done.stderr
    assert len(done.stderr) < 1000
    assert colo.json("request", "list") == []


@pytest.mark.parametrize(("field", "char"), [
    ("agency.name", "\u2028"), ("agency.name", "\u2029"), ("agency.name", "\u202e"),
    ("agency.name", "\u200b"), ("agency.contact.name", "\ufeff"), ("letter.subject", "\u2066"),
    ("network.ports.0.purpose", "\u2028"), ("applications.0.name", "\u200d"), ("server.vendor", "\x9b"),
    ("letter.number", "\u2029"),
])
def test_invisible_and_line_breaking_characters_exit_2(
    colo: Colo, tmp_path: Path, field: str, char: str
) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    node = data
    *parents, last = field.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    value = node[last][:2] + char + node[last][2:]
    done = colo("request", "submit", str(_request_file(tmp_path, "char.yaml", {field: value})), code=2)
    shown = field.replace(".0.", "[0].")
    assert f"{shown}: " in done.stderr, done.stderr
    assert colo.json("request", "list") == []


@pytest.mark.parametrize("address", [
    "bédi@disdik.ciamiskab.go.id", 'bu"di@disdik.ciamiskab.go.id', "a>,<evil@disdik.ciamiskab.go.id",
    "bu\x9bdi@disdik.ciamiskab.go.id", "budi@disdik..go.id", ".budi@disdik.ciamiskab.go.id",
    "budi@localhost", "budi@[10.0.0.1]",
])
def test_addresses_the_mailer_cannot_use_exit_2(colo: Colo, tmp_path: Path, address: str) -> None:
    path = _request_file(tmp_path, "mail.yaml", {"agency.contact.email": address})
    done = colo("request", "submit", str(path), code=2)
    assert "agency.contact.email: " in done.stderr
    assert colo.json("request", "list") == []


def test_apply_out_of_order_is_refused_as_out_of_order_whatever_the_serial(colo: Colo) -> None:
    request_id = colo("request", "submit", str(EXAMPLE)).stdout.strip()
    colo("dispose", request_id, "--by", "Drs. Asep", "--to", "Dedi")
    early = colo("apply", request_id, "--serial", "WRONG1", code=3)
    assert "needs step 3 (capacity check) first" in early.stderr and "WRONG1" not in early.stderr
    register = open_register(colo.url)
    perform_step(register, request_id, Step.CAPACITY, "Rina Teknisi", {})
    register.close()
    mismatch = colo("apply", request_id, "--serial", "WRONG1", code=3)
    assert "names serial 7XK2Q93, the server is WRONG1" in mismatch.stderr
    colo("apply", request_id, "--serial", "7XK2Q93")
    again = colo("apply", request_id, "--serial", "WRONG1", code=3)
    assert "names serial 7XK2Q93, the server is WRONG1" in again.stderr
