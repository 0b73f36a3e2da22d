"""Stage 3, server: over the staging address, while the port is still on the staging VLAN, provision.yml
stages the agency address beside the staging one, applies the baseline (NTP, SSH, firewall) and starts the
monitoring agent; the network stage then moves the port and removes the staging address."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from provisioner.runner import run_playbook
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.stages.plan import Placement

PLAYBOOK = "provision.yml"
STAGING_PREFIX_LEN = 24
"""The staging VLAN's subnet size; its gateway is the subnet's first host."""


def staging_vars(staging_address: str) -> dict[str, object]:
    """The staging address with its prefix and its gateway (the first host of the staging subnet)."""
    iface = ipaddress.IPv4Interface(f"{staging_address}/{STAGING_PREFIX_LEN}")
    gateway = iface.network.network_address + 1
    return {"colo_staging_address": str(iface), "colo_staging_gateway": str(gateway)}


def server_vars(ctx: StageContext) -> dict[str, object]:
    """provision.yml's variables for this request at this facility."""
    plan, facility = ctx.result(Placement), ctx.facility
    return {
        "colo_address": f"{plan.address}/{plan.prefix_len}",
        "colo_gateway": str(plan.gateway),
        "colo_dns_servers": [str(s) for s in facility.dns.servers],
        "colo_dns_search": list(facility.dns.search),
        "colo_ntp_servers": [str(s) for s in facility.ntp],
        "colo_ports": [p.model_dump() for p in ctx.request.network.ports],
        "colo_monitoring_sources": [str(facility.monitoring.address)],
        "colo_monitoring_kind": facility.monitoring.kind,
        "colo_server_hostname": ctx.request.server.hostname,
    }


class PlaybookRun(StageResult):
    """How many tasks of a playbook run changed the server and how many found it as wanted."""

    changed: int = 0
    ok: int = 0


def run_server_playbook(
    ctx: StageContext, address: str, tags: Sequence[str], extravars: dict[str, object]
) -> PlaybookRun:
    """Run provision.yml's `tags` on the server at `address`; InfrastructureError on failure."""
    server = ctx.server
    result = run_playbook(
        PLAYBOOK, [server.target(address)], extravars, server.run_dir, tags=tags,
        known_hosts=server.known_hosts,
    )
    result.raise_for_failure(f"{PLAYBOOK} ({', '.join(tags)}) on {ctx.request.server.hostname} at {address}")
    stats = result.stats.get(ctx.request.server.hostname)
    return PlaybookRun(changed=stats.changed, ok=stats.ok) if stats else PlaybookRun()


def playbook_vars(ctx: StageContext) -> dict[str, object]:
    """provision.yml's variables for both of its runs: the request's, the facility's and the staging ones."""
    return {**server_vars(ctx), **staging_vars(ctx.delivered.staging_address)}


class ServerConfigured(PlaybookRun):
    """The server configured over `address`, its staging address."""

    address: str


class ServerStage:
    name = "server"
    title = "server: alamat, baseline dan agen pemantauan (server)"
    result_type = ServerConfigured

    def run(self, ctx: StageContext) -> ServerConfigured:
        staging = ctx.delivered.staging_address
        played = run_server_playbook(ctx, staging, ("configure",), playbook_vars(ctx))
        return ServerConfigured(address=staging, **dict(played))

    def preview(self, ctx: StageContext) -> StagePreview:
        plan, facility = ctx.result(Placement), ctx.facility
        ports = ", ".join(f"{p.port}/{p.protocol}" for p in ctx.request.network.ports)
        return StagePreview(
            f"{PLAYBOOK} over {ctx.delivered.staging_address}: the address {plan.address}/{plan.prefix_len} "
            f"(gateway {plan.gateway}) beside the staging one; NTP {', '.join(map(str, facility.ntp))}; the "
            f"firewall open for {ports}; the monitoring agent for {facility.monitoring.address}",
            changes=True,
        )
