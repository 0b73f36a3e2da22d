"""`colo lab up|down|status|cable`: the local lab the demo and the tests run against (needs root)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from provisioner.cli.common import JsonFlag, console, print_json
from provisioner.errors import BadInput

if TYPE_CHECKING:
    from provisioner.lab.api import Lab, LabStatus

lab_app = typer.Typer(help="The local lab: servers, two switches, router, NOC and Prometheus (needs root).",
                      no_args_is_help=True)


def _lab() -> Lab:
    """The lab, imported on use so that `colo --help` stays fast."""
    from provisioner.lab.api import Lab

    return Lab()


def register(app: typer.Typer) -> None:
    app.add_typer(lab_app, name="lab")


def _show(status: LabStatus, json_out: bool) -> None:
    if json_out:
        print_json(status.to_dict())
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("part", "state", "detail")
    for part in status.parts:
        state = Text("ok", style="green") if part.healthy else Text("FAILED", style="red")
        table.add_row(part.name, state, part.detail)
    console().print(table)
    if status.switches:
        switches = Table("switch", "platform", "VLANs", "trunk ends (allowed VLANs)")
        for switch in status.switches:
            ends = ", ".join(f"{t.port} to {t.peer}: {'all' if t.allowed_vlans is None else t.allowed_vlans}"
                             for t in switch.trunks)
            kind = f"{switch.platform}, layer {3 if switch.layer3 else 2}"
            switches.add_row(switch.name, kind, ", ".join(map(str, switch.vlans)), ends)
        console().print(switches)


@lab_app.command("up")
def up(
    hosts: Annotated[int | None, typer.Option("--hosts", help="Number of servers, 1..8 [as before, else 3].")]
    = None,
    monitoring: Annotated[
        str, typer.Option("--monitoring", help="prometheus, or zabbix to add Zabbix 6.0 in the NOC.")
    ] = "prometheus",
    json_out: JsonFlag = False,
) -> None:
    """Create whatever part of the lab is missing and wait until every part answers."""
    if monitoring not in ("prometheus", "zabbix"):
        raise BadInput(f"--monitoring: prometheus or zabbix, not {monitoring!r}")
    _show(_lab().up(hosts, monitoring), json_out)


@lab_app.command("down")
def down() -> None:
    """Remove every namespace, OVS port, process and file of the lab."""
    _lab().down()
    typer.echo("lab down")


@lab_app.command("status")
def status(json_out: JsonFlag = False) -> None:
    """Each part of the lab and whether it works; exit 1 when one does not."""
    result = _lab().status()
    _show(result, json_out)
    if not result.healthy:
        raise typer.Exit(1)


@lab_app.command("cable")
def cable(
    host: Annotated[str, typer.Argument(help="A lab server, e.g. lab-srv1.")],
    port: Annotated[str, typer.Argument(help="A switch port, e.g. GigabitEthernet1/0/5.")],
    switch: Annotated[str, typer.Option("--switch", help="sw-lab-01 (rack R01) or sw-lab-02 (R02).")]
    = "sw-lab-01",
) -> None:
    """Move a server's cable to a port of a lab switch (what the technician's hands do in step 6)."""
    _lab().cable(host, port, switch)
    typer.echo(f"{host} cabled to {switch} {port}")
