"""Stage 5, monitoring: the server registered on the site's monitoring system, confirmed up by it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from provisioner.errors import InfrastructureError
from provisioner.facility import Facility
from provisioner.monitoring.base import Health, MonitoredHost
from provisioner.monitoring.prometheus import Prometheus, PrometheusAPI, PrometheusFileSD
from provisioner.stages.base import StageContext, StageFailedError, StagePreview, StageResult
from provisioner.stages.plan import Placement

UP_TIMEOUT_S = 60.0


def backend(facility: Facility) -> Prometheus:
    """The site's monitoring system."""
    monitoring = facility.monitoring
    file_sd = PrometheusFileSD(Path(monitoring.file_sd_dir))
    return Prometheus(file_sd, PrometheusAPI(monitoring.url, poll_s=0.5))


def monitored_host(ctx: StageContext) -> MonitoredHost:
    return MonitoredHost(
        request_id=ctx.request_id,
        address=str(ctx.result(Placement).address),
        hostname=ctx.request.server.hostname,
        agency=ctx.request.agency.code,
        site=ctx.facility.site.code,
    )


class Monitored(StageResult):
    """The server's target on the monitoring system, whether registering it changed anything, and what the
    system last reported of it."""

    target: str
    file_changed: bool
    health: Health
    last_error: str = ""
    last_scrape: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class MonitoringStage:
    name = "monitoring"
    title = "pemantauan (monitoring)"
    result_type = Monitored

    def run(self, ctx: StageContext) -> Monitored:
        prometheus, host = backend(ctx.facility), monitored_host(ctx)
        changed = prometheus.register(host)
        state = prometheus.wait_up(host, UP_TIMEOUT_S)
        monitored = Monitored(
            target=prometheus.target(host), file_changed=changed, health=state.health,
            last_error=state.last_error, last_scrape=state.last_scrape, labels=state.labels,
        )
        if not state.up:
            raise StageFailedError(
                InfrastructureError(
                    f"Prometheus does not see {monitored.target} up after {UP_TIMEOUT_S:.0f} s "
                    f"({state.health} {state.last_error}); the target stays registered: run again once the "
                    "monitoring agent answers"
                ),
                monitored,
            )
        return monitored

    def preview(self, ctx: StageContext) -> StagePreview:
        target = backend(ctx.facility).target(monitored_host(ctx))
        return StagePreview(
            f"{target} registered on {ctx.facility.monitoring.kind} at {ctx.facility.monitoring.url}, "
            f"then awaited up (at most {UP_TIMEOUT_S:.0f} s)",
            changes=True,
        )
