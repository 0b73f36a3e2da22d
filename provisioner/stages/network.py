"""Stage 3, network: the agency address staged on the server, the switch port moved to the agency VLAN, the
server answering on its own address, the staging address removed."""

from __future__ import annotations

from provisioner.errors import InfrastructureError
from provisioner.network.models import SwitchIntent
from provisioner.stages.base import Details, StageContext
from provisioner.stages.server import run_server_playbook
from provisioner.stages.servers import answers_ssh
from provisioner.stages.switch import (
    apply_switch,
    port_description,
    provision_intents,
    switch_of,
    switch_plan,
)

STAGING_PROBE_S = 3.0
NEW_ADDRESS_WAIT_S = 30.0


def _network_vars(ctx: StageContext, phase: str) -> dict[str, object]:
    plan = ctx.results["plan"]
    return {
        "server_network_phase": phase,
        "server_network_address": f"{plan['address']}/{plan['prefix_len']}",
        "server_network_gateway": plan["gateway"],
        "server_network_staging_address": f"{ctx.delivered.staging_address}/24",
        "server_network_dns_servers": [str(s) for s in ctx.facility.dns.servers],
        "server_network_dns_search": list(ctx.facility.dns.search),
    }


class NetworkStage:
    name = "network"
    title = "jaringan: switch dan alamat server (network)"

    def _intents(self, ctx: StageContext) -> list[SwitchIntent]:
        req = ctx.request
        description = port_description(req.agency.code, req.server.hostname, ctx.request_id)
        return provision_intents(ctx.facility, ctx.results["plan"], description)

    def converged(self, ctx: StageContext) -> bool:
        """The switch still holds the intents and the server answers on its address."""
        plan = ctx.results["plan"]
        in_place = switch_plan(ctx.register, switch_of(ctx.facility, plan), self._intents(ctx)).empty
        return in_place and answers_ssh(str(plan["address"]), STAGING_PROBE_S)

    def run(self, ctx: StageContext) -> Details:
        plan = ctx.results["plan"]
        address = str(plan["address"])
        staged = answers_ssh(ctx.delivered.staging_address, STAGING_PROBE_S)
        if staged:
            run_server_playbook(ctx, ctx.delivered.staging_address, "network", _network_vars(ctx, "stage"))
        intents = self._intents(ctx)
        change = apply_switch(ctx.register, switch_of(ctx.facility, plan), intents, holder=ctx.request_id)
        if not answers_ssh(address, NEW_ADDRESS_WAIT_S):
            raise InfrastructureError(
                f"{ctx.request_id}: the server does not answer on {address} after the switch change; "
                "the switch change is kept: check the cabling and the port, then run again"
            )
        run_server_playbook(ctx, address, "network", _network_vars(ctx, "finalize"))
        req = ctx.request
        return {
            "description": port_description(req.agency.code, req.server.hostname, ctx.request_id),
            "svi": switch_of(ctx.facility, plan).layer3,
            "staged_over_staging_address": staged,
            "switch": change,
        }
