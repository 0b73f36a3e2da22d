"""The whole check: one item per probe, run in parallel, each retried (tenacity) while it fails."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt, wait_fixed

from provisioner.checks.dns import check_dns, resolve_a
from provisioner.checks.http import check_http
from provisioner.checks.icmp import check_ping
from provisioner.checks.policy import CheckPolicy
from provisioner.checks.report import AccessCheckReport, CheckItem, Failure
from provisioner.checks.target import AccessTarget, AppSpec
from provisioner.checks.tcp import check_tcp


def _not_checkable(kind: str, label: str) -> CheckItem:
    return CheckItem(kind=kind, target=label, ok=False, detail="not checkable", evidence={"checkable": False},
                     required=False)


def check_application(app: AppSpec, target: AccessTarget, policy: CheckPolicy) -> CheckItem:
    """The application by its name where it has one: resolved through the site's DNS servers, then reached
    at the address the name gives (TLS with that name as SNI and verified for it). A name that does not
    resolve fails the item when the policy requires DNS; otherwise the server's own address is used."""
    name = target.name_of(app)
    address = target.address
    if name and target.name_service:
        addresses, tried = resolve_a(name, target.name_service, policy.timeout_s)
        if addresses:
            address = target.address if target.address in addresses else addresses[0]
        elif policy.require_dns:
            reason = Failure.NAME_NOT_RESOLVED.value
            return CheckItem(kind=app.scheme, target=app.label(name), ok=False, detail=f"{reason}: {name}",
                             evidence={"failure": reason, "host": name, "tried": list(tried)})
    if app.scheme == "tcp":
        return check_tcp(address, app.port, policy.timeout_s, app.label(name or address))
    return check_http(address, app, policy, name, target.ca_bundle)


def planned_checks(target: AccessTarget, policy: CheckPolicy) -> list[Callable[[], CheckItem]]:
    """One callable per item of the check (a single attempt each), in report order."""
    addr, timeout = target.address, policy.timeout_s
    plan: list[Callable[[], CheckItem]] = [
        partial(check_ping, addr, policy.ping_count, timeout, policy.require_ping)
    ]
    app_ports = {app.port for app in target.applications}
    for spec in target.ports:
        if spec.protocol == "tcp":
            plan.append(partial(check_tcp, addr, spec.port, timeout))
        elif spec.port not in app_ports:
            plan.append(partial(_not_checkable, "udp", f"{addr}:{spec.port}/udp"))
    for app in target.applications:
        plan.append(partial(check_application, app, target, policy))
        if name := target.name_of(app):
            plan.append(partial(check_dns, name, addr, target.name_service, timeout, policy.require_dns))
    return plan


def _last_item(state: RetryCallState) -> CheckItem:
    assert state.outcome is not None
    item: CheckItem = state.outcome.result()
    return item


def with_retries(check: Callable[[], CheckItem], policy: CheckPolicy) -> CheckItem:
    """The check's item, attempted again (policy.attempts in all, retry_delay_s apart) while it is a failed
    required item; its evidence says how many attempts it took."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_fixed(policy.retry_delay_s),
        retry=retry_if_result(lambda item: bool(item.retryable)),
        retry_error_callback=_last_item,
    )
    item = retrying(check)
    attempts = retrying.statistics["attempt_number"]
    return item.model_copy(update={"evidence": {**item.evidence, "attempts": attempts}})


def run_access_check(target: AccessTarget, policy: CheckPolicy | None = None) -> AccessCheckReport:
    """Run every check (in parallel, each retried while it fails) and decide pass/fail by the policy."""
    policy = policy or CheckPolicy()
    started = datetime.now(UTC)
    plan = planned_checks(target, policy)
    with ThreadPoolExecutor(max_workers=min(8, len(plan))) as pool:
        items = list(pool.map(partial(with_retries, policy=policy), plan))
    return AccessCheckReport(
        target=target.address,
        started=started,
        finished=datetime.now(UTC),
        items=items,
        passed=all(item.ok or not item.required for item in items),
    )
