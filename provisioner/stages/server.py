"""Stage 4, server: the baseline and the monitoring agent (provision.yml), over the server's own address.

The same play first runs over the staging address in the network stage (it stages the agency address beside
the staging one, hardens the server and starts the agent). When that happened in this same run, the server
is already configured and this stage does not repeat it; on a later run (a resume, a rerun after a failure)
it runs over the agency address, so the rerun repairs whatever drifted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from provisioner.runner import run_playbook
from provisioner.stages.base import StageContext, StageResult
from provisioner.stages.plan import Placement
from provisioner.stages.servers import known_hosts, run_dir, server_target

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
    }


class PlaybookRun(StageResult):
    """How many tasks of a playbook run changed the server and how many found it as wanted."""

    changed: int = 0
    ok: int = 0


def run_server_playbook(
    ctx: StageContext, address: str, tags: Sequence[str], extravars: dict[str, object]
) -> PlaybookRun:
    """Run provision.yml's `tags` on the server at `address`; InfrastructureError on failure."""
    result = run_playbook(
        PLAYBOOK, [server_target(ctx, address)], extravars, run_dir(ctx), tags=tags,
        known_hosts=known_hosts(ctx),
    )
    result.raise_for_failure(f"{PLAYBOOK} ({', '.join(tags)}) on {ctx.request.server.hostname} at {address}")
    stats = result.stats.get(ctx.request.server.hostname)
    return PlaybookRun(changed=stats.changed, ok=stats.ok) if stats else PlaybookRun()


class ServerConfigured(PlaybookRun):
    """The server configured over its own address; `configured_by` names the stage that did it when an
    earlier stage of the same run already had (then nothing ran here)."""

    address: ipaddress.IPv4Address
    configured_by: str | None = None


class ServerStage:
    name = "server"
    title = "server: baseline dan agen pemantauan (server)"
    result_type = ServerConfigured

    def run(self, ctx: StageContext) -> ServerConfigured:
        from provisioner.stages.network import NetworkConfigured, NetworkStage

        address = ctx.result(Placement).address
        if NetworkStage.name in ctx.ran_now and ctx.result(NetworkConfigured).staged_over_staging_address:
            return ServerConfigured(address=address, configured_by=NetworkStage.name)
        played = run_server_playbook(ctx, str(address), ("configure",), server_vars(ctx))
        return ServerConfigured(address=address, **dict(played))
