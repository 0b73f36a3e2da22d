"""`colo capacity ID` as a user runs it: the report, the hold, exit code 3 and rejection when short."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allocate_support import ROOT, submit

from provisioner.register.db import open_register

pytestmark = pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)


def colo(
    args: list[str], db: str, cwd: Path, site: Path = ROOT / "inventories" / "example"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT), "COLO_TECHNICIAN": "Rina Teknisi"}
    cmd = [sys.executable, "-m", "provisioner.cli.main", "--site", str(site), *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_sufficient_capacity_is_held_and_reported(register_url: str, tmp_path: Path) -> None:
    rid = submit(open_register(register_url), "disdik", units=2)
    done = colo(["--output", str(tmp_path / "docs"), "capacity", rid, "--json"], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["id"], out["outcome"], out["repeated"], out["actor"]) == (rid, "ok", False, "Rina Teknisi")
    assert out["report"]["placement"]["rack"] == "R01" and out["report"]["placement"]["units"] == [3, 4]
    [document] = out["documents"]
    html = Path(document["html"]).read_text()
    assert "LAPORAN PENGECEKAN KAPASITAS" in html and "kapasitas TERSEDIA" in html and rid in html
    assert Path(document["pdf"]).read_bytes().startswith(b"%PDF")
    again = colo(["capacity", rid], register_url, tmp_path)
    assert again.returncode == 0 and "checked before" in again.stdout


def test_insufficient_capacity_exits_3_and_closes_the_request(register_url: str, tmp_path: Path) -> None:
    rid = submit(open_register(register_url), "disdik", mbps=900)  # ISP-TELKOM has 550 Mbps free
    done = colo(["--output", str(tmp_path / "docs"), "capacity", rid, "--json"], register_url, tmp_path)
    assert done.returncode == 3
    out = json.loads(done.stdout)
    assert out["outcome"] == "rejected" and out["report"]["sufficient"] is False
    assert "closed as rejected" in done.stderr
    assert "uplink ISP-TELKOM: needs 900 Mbps, 550 available" in done.stderr
    assert "TIDAK TERSEDIA" in Path(out["documents"][0]["html"]).read_text()
    shown = colo(["request", "show", rid, "--json"], register_url, tmp_path)
    assert "rejected" in shown.stdout


def test_unknown_request_and_bad_facility_exit_2(register_url: str, tmp_path: Path) -> None:
    assert colo(["capacity", "REQ-2026-0999"], register_url, tmp_path).returncode == 2
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "facility.yml").write_text("site: {code: x}\n")
    bad = colo(["capacity", "REQ-2026-0001"], register_url, tmp_path, site=tmp_path / "site")
    assert bad.returncode == 2 and "site.name" in bad.stderr
