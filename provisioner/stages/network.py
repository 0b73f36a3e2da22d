"""Stage 4, network: the switch port moved from the staging VLAN to the agency's (the VLAN and its gateway
interface created where missing), the server answering on its own address, then its staging address removed
(provision.yml, `finalize`); then the server's chrony proven synchronised to the site's NTP server, which it
reaches only from its own address."""

from __future__ import annotations

from provisioner.errors import InfrastructureError
from provisioner.network.intents import (
    SwitchApplied,
    apply_switch,
    port_description,
    provision_intents,
    switch_of,
    switch_plan,
)
from provisioner.network.models import SwitchIntent
from provisioner.servers import answers_ssh
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.stages.ntp_sync import Tracking, wait_synchronised
from provisioner.stages.plan import Placement
from provisioner.stages.server import playbook_vars, run_server_playbook

PROBE_S = 3.0
NEW_ADDRESS_WAIT_S = 30.0


class NetworkConfigured(StageResult):
    """The port's description, whether the switch holds the gateway, what the switch was sent, and the
    server's chrony synchronised to the site's NTP server."""

    description: str
    svi: bool
    switch: SwitchApplied
    ntp: Tracking | None = None


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
        return in_place and answers_ssh(plan.address, PROBE_S)

    def run(self, ctx: StageContext) -> NetworkConfigured:
        plan = ctx.result(Placement)
        address, switch = plan.address, switch_of(ctx.facility, plan)
        change = apply_switch(ctx.register, switch, self._intents(ctx), holder=ctx.request_id)
        if not answers_ssh(address, NEW_ADDRESS_WAIT_S):
            raise InfrastructureError(
                f"{ctx.request_id}: the server does not answer on {address} after the switch change; "
                "the switch change is kept: check the cabling and the port, then run again"
            )
        run_server_playbook(ctx, str(address), ("finalize",), playbook_vars(ctx))
        ntp_servers = [str(s) for s in ctx.facility.ntp]
        tracking = wait_synchronised(ctx.server.target(str(address)), ctx.server.known_hosts, ntp_servers)
        return NetworkConfigured(description=self._description(ctx), svi=switch.layer3, switch=change,
                                 ntp=tracking)

    def preview(self, ctx: StageContext) -> StagePreview:
        plan = ctx.result(Placement)
        change = switch_plan(ctx.register, switch_of(ctx.facility, plan), self._intents(ctx))
        return StagePreview(
            f"{change.diff()}\nthen, once the server answers on {plan.address}, its staging address "
            f"{ctx.delivered.staging_address} removed and its chrony synchronised to "
            f"{', '.join(map(str, ctx.facility.ntp))}",
            changes=not change.empty,
        )
