"""Stage 4, server: the baseline and the monitoring agent, over the server's own address."""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.runner import run_playbook
from provisioner.stages.base import Details, StageContext
from provisioner.stages.servers import known_hosts, run_dir, server_target

PLAYBOOK = "provision.yml"


def run_server_playbook(
    ctx: StageContext, address: str, part: str, extravars: Mapping[str, object]
) -> Details:
    """Run one part (tag) of provision.yml on the server at `address`; InfrastructureError on failure."""
    result = run_playbook(
        PLAYBOOK, [server_target(ctx, address)], dict(extravars), run_dir(ctx), tags=(part,),
        known_hosts=known_hosts(ctx),
    )
    result.raise_for_failure(f"{PLAYBOOK} ({part}) on {ctx.request.server.hostname} at {address}")
    stats = result.stats.get(ctx.request.server.hostname)
    return {"changed": stats.changed if stats else 0, "ok": stats.ok if stats else 0}


class ServerStage:
    name = "server"
    title = "server: baseline dan agen pemantauan (server)"

    def run(self, ctx: StageContext) -> Details:
        address = str(ctx.results["plan"]["address"])
        extravars = {
            "baseline_ntp_servers": [str(s) for s in ctx.facility.ntp],
            "baseline_dns_servers": [str(s) for s in ctx.facility.dns.servers],
        }
        return {"address": address, **run_server_playbook(ctx, address, "server", extravars)}
