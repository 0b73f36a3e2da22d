"""Stage 5, monitoring: a Prometheus file_sd target with the request's labels, confirmed up by Prometheus."""

from __future__ import annotations

from pathlib import Path

from provisioner.errors import InfrastructureError
from provisioner.facility import Facility
from provisioner.monitoring.base import MonitoredHost
from provisioner.monitoring.prometheus import Prometheus, PrometheusAPI, PrometheusFileSD
from provisioner.stages.base import Details, StageContext, StageFailedError

UP_TIMEOUT_S = 60.0


def backend(facility: Facility) -> Prometheus:
    """The site's monitoring system."""
    monitoring = facility.monitoring
    file_sd = PrometheusFileSD(Path(monitoring.file_sd_dir))
    return Prometheus(file_sd, PrometheusAPI(monitoring.url, poll_s=0.5))


def monitored_host(ctx: StageContext) -> MonitoredHost:
    return MonitoredHost(
        request_id=ctx.request_id,
        address=str(ctx.results["plan"]["address"]),
        hostname=ctx.request.server.hostname,
        agency=ctx.request.agency.code,
        site=ctx.facility.site.code,
    )


class MonitoringStage:
    name = "monitoring"
    title = "pemantauan (monitoring)"

    def run(self, ctx: StageContext) -> Details:
        prometheus, host = backend(ctx.facility), monitored_host(ctx)
        changed = prometheus.register(host)
        state = prometheus.wait_up(host, UP_TIMEOUT_S)
        details: Details = {"target": prometheus.target(host), "file_changed": changed, **state.to_dict()}
        if not state.up:
            raise StageFailedError(
                InfrastructureError(
                    f"Prometheus does not see {details['target']} up after {UP_TIMEOUT_S:.0f} s "
                    f"({state.health} {state.last_error}); the target stays registered: run again once the "
                    "monitoring agent answers"
                ),
                details,
            )
        return details
