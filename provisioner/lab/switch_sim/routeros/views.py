"""What the bridge's VLAN filtering means for the data plane, as the fabric mirror's views.

A bridge port sends and receives its ``pvid`` untagged; a port in a VLAN's ``tagged`` list carries that
VLAN tagged (a trunk carries exactly those VLANs: one missing from the list is cut off); a disabled port or
one that is not in the bridge carries nothing. An SVI routes when its ``/interface vlan`` is on the bridge,
holds an address, and the bridge itself is tagged in the VLAN.
"""

from __future__ import annotations

from provisioner.lab.switch_sim.mirror import PortView
from provisioner.lab.switch_sim.routeros.model import ETHERNET, Config


def _vlan_ids(text: str) -> list[int]:
    out: list[int] = []
    for part in (p for p in text.split(",") if p):
        first, _, last = part.partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


def views(config: Config) -> tuple[list[int], dict[str, PortView], dict[int, str]]:
    """(VLANs the bridge has, each port's view, each routed SVI's address)."""
    tagged: dict[str, list[int]] = {}
    vlans: set[int] = set()
    for entry in config.items("/interface bridge vlan"):
        if entry.props.get("disabled") == "yes":
            continue
        ids = _vlan_ids(entry.props["vlan-ids"])
        vlans.update(ids)
        for member in (m for m in entry.props.get("tagged", "").split(",") if m):
            tagged.setdefault(member, []).extend(ids)
    ports: dict[str, PortView] = {}
    disabled = {e.props["name"] for e in config.items("/interface ethernet")
                if e.props.get("disabled") == "yes"}
    members = {p.props["interface"]: p for p in config.items("/interface bridge port")
               if p.props.get("disabled") != "yes"}
    for name in ETHERNET:
        port = members.get(name)
        pvid = int(port.props.get("pvid", "1")) if port else 1
        carried = tuple(sorted(set(tagged.get(name, []))))
        ports[name] = PortView(trunk=bool(carried), access_vlan=pvid, native_vlan=None if pvid == 1 else pvid,
                               allowed_vlans=carried, shutdown=port is None or name in disabled)
    svis: dict[int, str] = {}
    for vif in config.items("/interface vlan"):
        vlan = int(vif.props["vlan-id"])
        if vif.props.get("disabled") == "yes" or vlan not in tagged.get(vif.props["interface"], []):
            continue
        for address in config.items("/ip address"):
            if address.props["interface"] == vif.props["name"] and address.props.get("disabled") != "yes":
                svis[vlan] = address.props["address"]
                break
    return sorted(vlans | {p.access_vlan for p in ports.values() if not p.shutdown}), ports, svis
