"""The lab's DNS server configuration, checked by BIND's own `named-checkconf`, and its TSIG secret in the
lab's credentials file (a file from before the lab had DNS gains one, keeping the rest)."""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

from provisioner.lab import bind
from provisioner.lab.credentials import credentials_file, ensure_credentials, tsig_secret
from provisioner.secrets import read_dotenv


def test_named_conf_and_zone_files_are_valid_for_bind(tmp_path: Path) -> None:
    conf = tmp_path / "named.conf"
    conf.write_text(bind.named_conf(tmp_path, tsig_secret()))
    checked = subprocess.run(["named-checkconf", str(conf)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    zone = tmp_path / "zone.db"
    zone.write_text(bind.zone_file(f"ns A {bind.DNS_ADDRESS}\n"))
    checked = subprocess.run(["named-checkzone", bind.LAB_ZONE, str(zone)], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert bind.REVERSE_ZONE == "231.10.in-addr.arpa"


def test_credentials_file_from_before_dns_gains_a_secret(tmp_path: Path) -> None:
    first = ensure_credentials(tmp_path)
    assert len(base64.b64decode(first[bind.DNS_SECRET_VARIABLE], validate=True)) == 32
    path = credentials_file(tmp_path)
    older = {k: v for k, v in first.items() if k != bind.DNS_SECRET_VARIABLE}
    path.write_text("".join(f"{k}={v}\n" for k, v in older.items()))
    again = ensure_credentials(tmp_path)
    assert {k: v for k, v in again.items() if k != bind.DNS_SECRET_VARIABLE} == older
    assert again[bind.DNS_SECRET_VARIABLE] and again == read_dotenv(path) == ensure_credentials(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
