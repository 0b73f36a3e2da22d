"""ICMP echo with the system `ping`."""

from __future__ import annotations

import re
import subprocess

from provisioner.checks.report import CheckItem, Evidence

_PING_COUNTS = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_PING_RTT = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def parse_ping(output: str) -> Evidence:
    """Packets sent/received and round-trip times from iputils `ping` output."""
    evidence: Evidence = {"transmitted": 0, "received": 0}
    counts = _PING_COUNTS.search(output)
    if counts:
        evidence["transmitted"], evidence["received"] = int(counts[1]), int(counts[2])
    rtt = _PING_RTT.search(output)
    if rtt:
        evidence.update(rtt_min_ms=float(rtt[1]), rtt_avg_ms=float(rtt[2]), rtt_max_ms=float(rtt[3]))
    return evidence


def check_ping(address: str, count: int, timeout_s: float, required: bool = True) -> CheckItem:
    """ICMP echo; ok when at least one reply came back."""
    wait = max(1, round(timeout_s))
    cmd = ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", str(wait), "--", address]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=count + wait + 5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CheckItem(kind="icmp", target=address, ok=False, detail=f"ping could not run: {exc}",
                         evidence={"error": str(exc)}, required=required)
    evidence = parse_ping(proc.stdout)
    received = evidence["received"]
    if received:
        detail = f"{received}/{evidence['transmitted']} replies"
        return CheckItem(kind="icmp", target=address, ok=True, detail=detail, evidence=evidence,
                         required=required)
    evidence["error"] = (proc.stderr.strip() or proc.stdout.strip().splitlines()[-1:] or [""])[0][:200]
    return CheckItem(kind="icmp", target=address, ok=False, detail="no echo reply", evidence=evidence,
                     required=required)
