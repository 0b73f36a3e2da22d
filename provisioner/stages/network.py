"""Stage 3, network: the agency address staged on the server, the switch port moved to the agency VLAN, the
server answering on its own address, the staging address removed."""

from __future__ import annotations

from provisioner.errors import InfrastructureError
from provisioner.network.models import SwitchIntent
from provisioner.stages.base import StageContext, StageResult
from provisioner.stages.plan import Placement
from provisioner.stages.server import run_server_playbook, server_vars, staging_vars
from provisioner.stages.servers import answers_ssh
from provisioner.stages.switch import (
    SwitchApplied,
    apply_switch,
    port_description,
    provision_intents,
    switch_of,
    switch_plan,
)

STAGING_PROBE_S = 3.0
NEW_ADDRESS_WAIT_S = 30.0


class NetworkConfigured(StageResult):
    """The port's description, whether the switch holds the gateway, whether the server was configured over
    its staging address first, and what the switch was sent."""

    description: str
    svi: bool
    staged_over_staging_address: bool
    switch: SwitchApplied


class NetworkStage:
    name = "network"
    title = "jaringan: switch dan alamat server (network)"
    result_type = NetworkConfigured

    def _description(self, ctx: StageContext) -> str:
        req = ctx.request
        return port_description(req.agency.code, req.server.hostname, ctx.request_id)

    def _intents(self, ctx: StageContext) -> list[SwitchIntent]:
        return provision_intents(ctx.facility, ctx.result(Placement), self._description(ctx))

    def converged(self, ctx: StageContext) -> bool:
        """The switch still holds the intents and the server answers on its address."""
        plan = ctx.result(Placement)
        in_place = switch_plan(ctx.register, switch_of(ctx.facility, plan), self._intents(ctx)).empty
        return in_place and answers_ssh(str(plan.address), STAGING_PROBE_S)

    def run(self, ctx: StageContext) -> NetworkConfigured:
        plan = ctx.result(Placement)
        address = str(plan.address)
        staging = ctx.delivered.staging_address
        staged = answers_ssh(staging, STAGING_PROBE_S)
        if staged:
            run_server_playbook(ctx, staging, ("configure",), {**server_vars(ctx), **staging_vars(staging)})
        intents = self._intents(ctx)
        change = apply_switch(ctx.register, switch_of(ctx.facility, plan), intents, holder=ctx.request_id)
        if not answers_ssh(address, NEW_ADDRESS_WAIT_S):
            raise InfrastructureError(
                f"{ctx.request_id}: the server does not answer on {address} after the switch change; "
                "the switch change is kept: check the cabling and the port, then run again"
            )
        run_server_playbook(ctx, address, ("finalize",), {**server_vars(ctx), **staging_vars(staging)})
        return NetworkConfigured(
            description=self._description(ctx), svi=switch_of(ctx.facility, plan).layer3,
            staged_over_staging_address=staged, switch=change,
        )
