"""Putting the lab back as step 6 finds it in a data centre: servers delivered on the staging VLAN, no agency
VLANs. `deliver` makes a lab server a freshly installed one (staging address only); `clean_switch` puts the
servers' ports on staging and removes agency VLANs and SVIs an interrupted run left. Used by the e2e tests and
bench/provision.py.
"""

from __future__ import annotations

import re
import subprocess

from provisioner.facility import Facility
from provisioner.lab.api import Lab
from provisioner.network import (
    RemoveSviIntent,
    RemoveVlanIntent,
    SessionPool,
    StagingPortIntent,
    SwitchIntent,
    apply_change,
)
from provisioner.register.db import Register

STAGING_GATEWAY = "10.231.250.1"


def running_config(register: Register, facility: Facility) -> str:
    """The switch's whole running configuration, read over its CLI."""
    with SessionPool(register) as pool:
        return pool.get(facility.switches[0]).read_config()


def clean_switch(register: Register, facility: Facility, lab: Lab, hosts: list[str]) -> None:
    """The ports of `hosts` on staging; agency VLANs and SVIs that no port uses any more removed (another
    user's VLAN, with its port, stays)."""
    switch = facility.switches[0]
    ports = [str(lab.host(h).switch_port) for h in hosts]
    with SessionPool(register, "e2e-clean") as pool:
        apply_change(switch, [StagingPortIntent(port=p, staging_vlan=facility.vlans.staging) for p in ports],
                     pool)
        config = pool.get(switch).read_config()
        low, high = facility.vlans.range
        used = {int(v) for v in re.findall(r"switchport access vlan (\d+)", config)}
        unused = [v for v in range(low, high + 1)
                  if v not in used and (f"\nvlan {v}\n" in config or f"interface Vlan{v}\n" in config)]
        removals: list[SwitchIntent] = [RemoveSviIntent(vlan_id=v) for v in unused]
        removals += [RemoveVlanIntent(vlan_id=v) for v in unused]
        apply_change(switch, removals, pool)


def deliver(lab: Lab, host: str) -> None:
    """The server as delivered: only its staging address, its default route via the staging gateway."""
    info = lab.host(host)
    ns = ["ip", "-n", info.netns]
    for argv in (
        [*ns, "-4", "addr", "flush", "dev", "eth0"],
        [*ns, "addr", "add", f"{info.staging_address}/24", "dev", "eth0"],
        [*ns, "route", "replace", "default", "via", STAGING_GATEWAY],
    ):
        subprocess.run(argv, check=True, capture_output=True)
    subprocess.run([*ns, "rule", "del", "table", "100"], check=False, capture_output=True)
