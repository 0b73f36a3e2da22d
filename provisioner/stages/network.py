"""Stage 4, network: the switch port moved from the staging VLAN to the agency's (the VLAN on every switch of
the uplink path, allowed at both ends of each trunk on it, and its gateway interface on the layer-3 switch,
each created where missing), the server answering on its own address, then its staging address removed
(provision.yml, `finalize`); then the server's chrony proven synchronised to the site's NTP server, which it
reaches only from its own address."""

from __future__ import annotations

from provisioner.errors import InfrastructureError
from provisioner.network.change import SwitchChange
from provisioner.network.intents import (
    SwitchApplied,
    apply_path,
    path_plans,
    port_description,
    provision_changes,
)
from provisioner.servers import answers_ssh
from provisioner.stages.base import StageContext, StagePreview, StageResult
from provisioner.stages.ntp_sync import Tracking, wait_synchronised
from provisioner.stages.plan import Placement
from provisioner.stages.server import playbook_vars, run_server_playbook

PROBE_S = 3.0
NEW_ADDRESS_WAIT_S = 30.0


class NetworkConfigured(StageResult):
    """The port's description, whether a switch holds the gateway, what the server's own switch was sent,
    and the server's chrony synchronised to the site's NTP server; since the fabric: what every switch of
    the path was sent (layer-3 switch first) and the trunk ends left alone because they carry every VLAN."""

    description: str
    svi: bool
    switch: SwitchApplied
    ntp: Tracking | None = None
    switches: tuple[SwitchApplied, ...] = ()
    left_alone: tuple[str, ...] = ()


class NetworkStage:
    name = "network"
    title = "jaringan: switch dan alamat server (network)"
    result_type = NetworkConfigured

    def _description(self, ctx: StageContext) -> str:
        req = ctx.request
        return port_description(req.agency.code, req.server.hostname, ctx.request_id)

    def _changes(self, ctx: StageContext) -> tuple[SwitchChange, ...]:
        return provision_changes(ctx.facility, ctx.result(Placement), self._description(ctx))

    def converged(self, ctx: StageContext) -> bool:
        """Every switch of the path still holds the intents and the server answers on its address."""
        plan = ctx.result(Placement)
        plans = path_plans(ctx.register, self._changes(ctx), ctx.facility.credential_source())
        in_place = all(p.empty for p in plans)
        return in_place and answers_ssh(plan.address, PROBE_S)

    def run(self, ctx: StageContext) -> NetworkConfigured:
        plan = ctx.result(Placement)
        address = plan.address
        secrets = ctx.facility.credential_source()
        change = apply_path(ctx.register, self._changes(ctx), ctx.request_id, secrets)
        if not answers_ssh(address, NEW_ADDRESS_WAIT_S):
            raise InfrastructureError(
                f"{ctx.request_id}: the server does not answer on {address} after the switch change "
                f"({', '.join(change.changed) or 'nothing'} changed); the switch change is kept: check the "
                "cabling and the port, then run again"
            )
        run_server_playbook(ctx, str(address), ("finalize",), playbook_vars(ctx))
        ntp_servers = [str(s) for s in ctx.facility.ntp]
        tracking = wait_synchronised(ctx.server.target(str(address)), ctx.server.known_hosts, ntp_servers)
        own = next(s for s in change.switches if s.switch == plan.switch)
        return NetworkConfigured(description=self._description(ctx), svi=True, switch=own, ntp=tracking,
                                 switches=change.switches, left_alone=change.left_alone)

    def preview(self, ctx: StageContext) -> StagePreview:
        plan = ctx.result(Placement)
        plans = path_plans(ctx.register, self._changes(ctx), ctx.facility.credential_source())
        return StagePreview(
            "\n".join(p.diff() for p in plans)
            + f"\nthen, once the server answers on {plan.address}, its staging address "
            f"{ctx.delivered.staging_address} removed and its chrony synchronised to "
            f"{', '.join(map(str, ctx.facility.ntp))}",
            changes=not all(p.empty for p in plans),
        )
