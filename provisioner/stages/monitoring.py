"""Stage 5, monitoring: the server registered on the site's monitoring system, confirmed up by it."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from provisioner.errors import InfrastructureError
from provisioner.facility import Facility
from provisioner.monitoring import Health, MonitoredHost, MonitoringBackend, open_backend
from provisioner.request import ColoRequest
from provisioner.stages.base import StageContext, StageFailedError, StagePreview, StageResult
from provisioner.stages.plan import Placement

UP_TIMEOUT_S = 180.0
"""How long step 6 waits for monitoring to see the server up. A site running the defaults, Prometheus
scraping every minute or Zabbix refreshing its configuration cache every 60 s, sees a new server up only
after up to a minute and a few seconds; the wait leaves room for that twice over."""


def probe_urls(request: ColoRequest, facility: Facility, address: str) -> tuple[tuple[str, str], ...]:
    """Each http(s) application's name and URL as step 7 promises it: by name where the site's DNS zone has
    it (the DNS stage made the record), else by the server's address."""
    zone = facility.dns.zone if facility.dns.update is not None else None
    urls = []
    for app in request.applications:
        if app.scheme == "tcp":
            continue
        host = f"{app.subdomain}.{zone}" if app.subdomain and zone else address
        port = "" if app.port == {"http": 80, "https": 443}[app.scheme] else f":{app.port}"
        urls.append((app.name, f"{app.scheme}://{host}{port}{app.path or '/'}"))
    return tuple(urls)


def monitored_host(request_id: str, request: ColoRequest, facility: Facility, address: str) -> MonitoredHost:
    """The request's server as the monitoring system knows it, with its labels and the URLs it probes."""
    return MonitoredHost(
        request_id=request_id, address=address, hostname=request.server.hostname, agency=request.agency.code,
        site=facility.site.code, urls=probe_urls(request, facility, address),
    )


def backend_of(ctx: StageContext) -> MonitoringBackend:
    """The site's monitoring system, logged in with the site's secrets."""
    return open_backend(ctx.facility.monitoring, ctx.facility.credential_source(), ctx.register)


def host_of(ctx: StageContext) -> MonitoredHost:
    return monitored_host(ctx.request_id, ctx.request, ctx.facility, str(ctx.result(Placement).address))


class Monitored(StageResult):
    """The server's target on the monitoring system, whether registering it changed anything, and what the
    system last reported of it."""

    target: str
    changed: bool = Field(validation_alias=AliasChoices("changed", "file_changed"))
    health: Health
    last_error: str = ""
    last_scrape: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class MonitoringStage:
    name = "monitoring"
    title = "pemantauan (monitoring)"
    result_type = Monitored

    def run(self, ctx: StageContext) -> Monitored:
        backend, host = backend_of(ctx), host_of(ctx)
        changed = backend.register(host)
        state = backend.wait_up(host, UP_TIMEOUT_S)
        monitored = Monitored(
            target=backend.target(host), changed=changed, health=state.health,
            last_error=state.last_error, last_scrape=state.last_scrape, labels=state.labels,
        )
        if not state.up:
            raise StageFailedError(
                InfrastructureError(
                    f"{ctx.facility.monitoring.kind} does not see {monitored.target} up after "
                    f"{UP_TIMEOUT_S:.0f} s "
                    f"({state.health} {state.last_error}); the target stays registered: run again once the "
                    "monitoring agent answers"
                ),
                monitored,
            )
        return monitored

    def preview(self, ctx: StageContext) -> StagePreview:
        host = host_of(ctx)
        target = backend_of(ctx).target(host)
        probed = ctx.facility.monitoring.probes is not None and host.urls
        probes = f" with probes of {', '.join(host.url_list)}" if probed else ""
        settings = ctx.facility.monitoring
        return StagePreview(
            f"{target} registered on {settings.kind} at {settings.url}{probes}, "
            f"then awaited up (at most {UP_TIMEOUT_S:.0f} s)",
            changes=True,
        )
