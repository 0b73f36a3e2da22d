"""`chronyc -c tracking`'s CSV line read into a typed result, and what counts as synchronised to the site."""

from __future__ import annotations

import pytest

from provisioner.stages.ntp_sync import parse_tracking

SYNCED = ("0AE7FD02,10.231.253.2,9,1796212345.123456789,-0.000012345,0.000001000,0.000020000,-3.210,0.001,"
          "0.050,0.000150000,0.000200000,2.0,Normal\n")
UNSYNCED = ("00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,"
            "1.000000000,0.0,Not synchronised\n")


def test_synchronised_line_gives_reference_stratum_offset() -> None:
    t = parse_tracking(SYNCED)
    assert (t.reference, t.stratum, t.offset_s, t.leap_status) == ("10.231.253.2", 9, -0.000012345, "Normal")
    assert t.synchronised_to(["10.231.253.2"])
    assert not t.synchronised_to(["10.20.255.123"])


def test_unsynchronised_line_is_not_synchronised() -> None:
    t = parse_tracking(UNSYNCED)
    assert t.reference == "" and not t.synchronised_to(["10.231.253.2", ""])


BAD = ["", "506 Cannot talk to daemon", SYNCED + SYNCED, SYNCED.replace(",Normal", ""),
       SYNCED.replace("0AE7FD02", "xyz")]


@pytest.mark.parametrize("text", BAD)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_tracking(text)
