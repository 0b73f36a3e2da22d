"""The router and NOC namespaces and the root namespace's route into the lab."""

from __future__ import annotations

from provisioner.lab.layout import (
    LAB_SUPERNET,
    MGMT_IFACE,
    MGMT_ROOT_ADDRESS,
    MGMT_ROUTER_ADDRESS,
    NOC_ADDRESS,
    NOC_NS,
    NOC_ROUTER_ADDRESS,
    ROUTER_NS,
)
from provisioner.lab.sh import netns_list, run, succeeds

_GATEWAY_MGMT = MGMT_ROUTER_ADDRESS.split("/")[0]
_GATEWAY_NOC = NOC_ROUTER_ADDRESS.split("/")[0]


def ensure_router() -> None:
    """The router namespace (forwarding on), its link to the root namespace, and the route into the lab."""
    if ROUTER_NS not in netns_list():
        run(["ip", "netns", "add", ROUTER_NS])
    run(["ip", "-n", ROUTER_NS, "link", "set", "lo", "up"])
    run(["ip", "netns", "exec", ROUTER_NS, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
    if not succeeds(["ip", "link", "show", MGMT_IFACE]):
        run(["ip", "link", "add", MGMT_IFACE, "type", "veth", "peer", "name", "mgmt0", "netns", ROUTER_NS])
        run(["ip", "addr", "add", MGMT_ROOT_ADDRESS, "dev", MGMT_IFACE])
        run(["ip", "-n", ROUTER_NS, "addr", "add", MGMT_ROUTER_ADDRESS, "dev", "mgmt0"])
    run(["ip", "link", "set", MGMT_IFACE, "up"])
    run(["ip", "-n", ROUTER_NS, "link", "set", "mgmt0", "up"])
    run(["ip", "route", "replace", LAB_SUPERNET, "via", _GATEWAY_MGMT, "dev", MGMT_IFACE])


def ensure_noc() -> None:
    """The NOC namespace, cabled straight to the router, default route through it."""
    if NOC_NS not in netns_list():
        run(["ip", "netns", "add", NOC_NS])
    run(["ip", "-n", NOC_NS, "link", "set", "lo", "up"])
    if not succeeds(["ip", "-n", ROUTER_NS, "link", "show", "noc0"]):
        run(["ip", "-n", ROUTER_NS, "link", "add", "noc0", "type", "veth", "peer", "name", "eth0",
             "netns", NOC_NS])
        run(["ip", "-n", ROUTER_NS, "addr", "add", NOC_ROUTER_ADDRESS, "dev", "noc0"])
        run(["ip", "-n", NOC_NS, "addr", "add", NOC_ADDRESS, "dev", "eth0"])
    run(["ip", "-n", ROUTER_NS, "link", "set", "noc0", "up"])
    run(["ip", "-n", NOC_NS, "link", "set", "eth0", "up"])
    run(["ip", "-n", NOC_NS, "route", "replace", "default", "via", _GATEWAY_NOC])


def remove_namespaces(names: set[str]) -> None:
    """Delete the given namespaces (their veth ends and those ends' peers go with them)."""
    for name in sorted(names & netns_list()):
        run(["ip", "netns", "del", name], check=False)
    run(["ip", "link", "del", MGMT_IFACE], check=False)
