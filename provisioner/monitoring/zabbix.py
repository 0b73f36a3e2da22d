"""Zabbix: the server as a Zabbix host (agent interface, "Linux by Zabbix agent", a web scenario per
application URL) in its agency's host group, through the Zabbix API (zabbix-utils); up once the agent is
available and has sent a first value.

A host carries the tag ``colo-request`` with its request id: that is how a rerun finds what it made, and how a
host of the same name made by someone else is told apart (refused, never changed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zabbix_utils import APIRequestError, ProcessingError, ZabbixAPI

from provisioner.errors import InfrastructureError, Refused
from provisioner.monitoring.base import MonitoredHost, TargetState

if TYPE_CHECKING:
    from provisioner.facility import Monitoring
    from provisioner.register.db import Register
    from provisioner.secrets import CredentialSource

AGENT_PORT = 10050
TEMPLATE = "Linux by Zabbix agent"
REQUEST_TAG = "colo-request"
FIRST_VALUE_KEY = "agent.ping"
ASK_AGAIN_S = 2.0
"""How often a host not yet polled is asked to be polled now (the lab's CacheUpdateFrequency)."""
GROUP_PREFIX = "Instansi/"
"""Host groups are named ``Instansi/<agency code>`` (Zabbix nests groups by ``/``)."""


@dataclass(frozen=True)
class Desired:
    """What the Zabbix host of a monitored server must look like."""

    name: str
    address: str
    group: str
    tags: tuple[tuple[str, str], ...]
    scenarios: tuple[tuple[str, str], ...]
    """(scenario name, URL) per application."""


def desired(host: MonitoredHost) -> Desired:
    tags = ((REQUEST_TAG, host.request_id), ("agency", host.agency), ("site", host.site))
    scenarios = tuple((f"{host.hostname} {name}", url) for name, url in host.urls)
    return Desired(host.hostname, host.address, GROUP_PREFIX + host.agency, tags, scenarios)


class ZabbixBackend:
    """The Zabbix `MonitoringBackend`. Each call logs in anew (a short session) and logs out after."""

    def __init__(
        self,
        url: str,
        credentials: str,
        secrets: CredentialSource,
        *,
        timeout_s: int = 30,
        poll_s: float = 0.5,
        agent_port: int = AGENT_PORT,
    ) -> None:
        self.agent_port = agent_port
        self.url = url
        self.credentials = credentials
        self.secrets = secrets
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    @contextmanager
    def _api(self) -> Iterator[ZabbixAPI]:
        creds = self.secrets.switch_credentials(self.credentials)
        try:
            api = ZabbixAPI(url=self.url, timeout=self.timeout_s)
        except ProcessingError as exc:
            raise InfrastructureError(
                f"the Zabbix API at {self.url} did not answer ({exc}); nothing was changed there: run again "
                "once it answers"
            ) from None
        try:
            api.login(user=creds.username, password=creds.password)
        except APIRequestError:
            raise InfrastructureError(
                f"the Zabbix API at {self.url} refused the login of credentials {self.credentials!r} "
                f"(user {creds.username!r}): check that entry"
            ) from None
        except ProcessingError as exc:
            raise InfrastructureError(
                f"the Zabbix API at {self.url} did not answer a login ({exc})"
            ) from None
        try:
            yield api
        except ProcessingError as exc:
            raise InfrastructureError(f"the Zabbix API at {self.url} stopped answering ({exc})") from None
        except APIRequestError as exc:
            raise InfrastructureError(f"the Zabbix API at {self.url} refused a request: {exc}") from None
        finally:
            with suppress(ProcessingError, APIRequestError):
                api.logout()

    def target(self, host: MonitoredHost) -> str:
        return host.hostname

    @staticmethod
    def _find(api: ZabbixAPI, name: str) -> dict[str, Any] | None:
        found: list[dict[str, Any]] = (
            api.host.get(
                filter={"host": [name]},
                output=["hostid", "host", "status"],
                selectTags="extend",
                selectInterfaces=["interfaceid", "ip", "port", "type", "available", "error"],
                selectHostGroups=["name"],
                selectParentTemplates=["host"],
            )
            if _is_62(api)
            else api.host.get(
                filter={"host": [name]},
                output=["hostid", "host", "status"],
                selectTags="extend",
                selectInterfaces=["interfaceid", "ip", "port", "type", "available", "error"],
                selectGroups=["name"],
                selectParentTemplates=["host"],
            )
        )
        return found[0] if found else None

    @staticmethod
    def _owner(found: dict[str, Any]) -> str | None:
        return next((t["value"] for t in found.get("tags", []) if t["tag"] == REQUEST_TAG), None)

    def _refuse_foreign(self, found: dict[str, Any], host: MonitoredHost) -> None:
        owner = self._owner(found)
        if owner != host.request_id:
            made_by = f"request {owner}" if owner else "someone else"
            raise Refused(
                f"Zabbix already has a host named {host.hostname!r}, made by {made_by}, not by "
                f"{host.request_id}: it is left as it is; rename the server or remove that host first"
            )

    @staticmethod
    def _group_id(api: ZabbixAPI, name: str) -> str:
        found: list[dict[str, Any]] = api.hostgroup.get(filter={"name": [name]}, output=["groupid"])
        if found:
            return str(found[0]["groupid"])
        return str(api.hostgroup.create(name=name)["groupids"][0])

    @staticmethod
    def _template_id(api: ZabbixAPI) -> str:
        found: list[dict[str, Any]] = api.template.get(filter={"host": [TEMPLATE]}, output=["templateid"])
        if not found:
            raise InfrastructureError(f"the Zabbix server has no template {TEMPLATE!r}")
        return str(found[0]["templateid"])

    def _scenarios_changed(self, api: ZabbixAPI, hostid: str, want: Desired) -> bool:
        have: list[dict[str, Any]] = api.httptest.get(
            hostids=[hostid], output=["httptestid", "name"], selectSteps=["url"]
        )
        by_name = {h["name"]: h for h in have}
        wanted = dict(want.scenarios)
        changed = False
        for h in have:
            urls = [s["url"] for s in h.get("steps", [])]
            if h["name"] not in wanted or urls != [wanted[h["name"]]]:
                api.httptest.delete(h["httptestid"])
                by_name.pop(h["name"])
                changed = True
        for name, url in want.scenarios:
            if name not in by_name:
                api.httptest.create(
                    name=name,
                    hostid=hostid,
                    delay="1m",
                    steps=[{"name": "GET", "url": url, "no": 1, "status_codes": "200", "timeout": "10s"}],
                )
                changed = True
        return changed

    def register(self, host: MonitoredHost) -> bool:
        want = desired(host)
        with self._api() as api:
            found = self._find(api, want.name)
            tags = [{"tag": t, "value": v} for t, v in want.tags]
            interface = {
                "type": 1,
                "main": 1,
                "useip": 1,
                "ip": want.address,
                "dns": "",
                "port": str(self.agent_port),
            }
            if found is None:
                hostid = str(
                    api.host.create(
                        host=want.name,
                        groups=[{"groupid": self._group_id(api, want.group)}],
                        interfaces=[interface],
                        templates=[{"templateid": self._template_id(api)}],
                        tags=tags,
                    )["hostids"][0]
                )
                self._scenarios_changed(api, hostid, want)
                return True
            self._refuse_foreign(found, host)
            hostid = str(found["hostid"])
            changed = False
            groups = [g["name"] for g in found.get("hostgroups", found.get("groups", []))]
            templates = [t["host"] for t in found.get("parentTemplates", [])]
            have_tags = sorted((t["tag"], t["value"]) for t in found.get("tags", []))
            if groups != [want.group] or TEMPLATE not in templates or have_tags != sorted(want.tags):
                api.host.update(
                    hostid=hostid,
                    groups=[{"groupid": self._group_id(api, want.group)}],
                    tags=tags,
                    templates=[{"templateid": self._template_id(api)}],
                )
                changed = True
            agent = [i for i in found.get("interfaces", []) if str(i["type"]) == "1"]
            if (
                len(agent) != 1
                or agent[0]["ip"] != want.address
                or str(agent[0]["port"]) != str(self.agent_port)
            ):
                for i in agent:
                    api.hostinterface.delete(i["interfaceid"])
                api.hostinterface.create(hostid=hostid, **interface)
                changed = True
            return self._scenarios_changed(api, hostid, want) or changed

    def remove(self, request_id: str) -> bool:
        with self._api() as api:
            found: list[dict[str, Any]] = api.host.get(
                output=["hostid"],
                tags=[{"tag": REQUEST_TAG, "value": request_id, "operator": 1}],
            )
            if not found:
                return False
            api.host.delete(*[str(h["hostid"]) for h in found])
            return True

    def _state(self, api: ZabbixAPI, host: MonitoredHost) -> TargetState:
        found = self._find(api, host.hostname)
        if found is None or self._owner(found) != host.request_id:
            return TargetState(host.hostname, "absent")
        labels = {t["tag"]: t["value"] for t in found.get("tags", [])}
        agent = next((i for i in found.get("interfaces", []) if str(i["type"]) == "1"), None)
        if agent is None:
            return TargetState(host.hostname, "unknown", "no agent interface", labels=labels)
        available = str(agent.get("available", "0"))
        if available == "2":
            return TargetState(host.hostname, "down", str(agent.get("error", "")), labels=labels)
        if available != "1":
            return TargetState(host.hostname, "unknown", "agent not yet polled", labels=labels)
        items: list[dict[str, Any]] = api.item.get(
            hostids=[found["hostid"]],
            filter={"key_": FIRST_VALUE_KEY},
            output=["lastclock", "lastvalue"],
        )
        clock = int(items[0]["lastclock"]) if items else 0
        if not clock:
            return TargetState(host.hostname, "unknown", f"no value of {FIRST_VALUE_KEY} yet", labels=labels)
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock))
        return TargetState(host.hostname, "up", last_scrape=when, labels=labels)

    @staticmethod
    def _check_now(api: ZabbixAPI, host: MonitoredHost) -> bool:
        """Ask the server to poll the host's agent.ping now rather than at its next turn (up to a minute
        away); False when the item is not there yet or the server does not take the task."""
        items: list[dict[str, Any]] = api.item.get(
            host=host.hostname, filter={"key_": FIRST_VALUE_KEY}, output=["itemid"]
        )
        if not items:
            return False
        try:
            api.task.create(type=6, request={"itemid": str(items[0]["itemid"])})
        except APIRequestError:
            return False
        return True

    def state(self, host: MonitoredHost) -> TargetState:
        with self._api() as api:
            return self._state(api, host)

    def _wait(
        self, host: MonitoredHost, timeout_s: float, done: Callable[[TargetState], bool]
    ) -> TargetState:
        deadline = time.monotonic() + timeout_s
        asked_at = -ASK_AGAIN_S
        with self._api() as api:
            while True:
                last = self._state(api, host)
                if last.health == "unknown" and time.monotonic() - asked_at >= ASK_AGAIN_S:
                    # again while unknown: a task for an item the server's configuration cache does not
                    # hold yet is dropped
                    asked_at = time.monotonic() if self._check_now(api, host) else asked_at
                if done(last) or time.monotonic() + self.poll_s > deadline:
                    return last
                time.sleep(self.poll_s)

    def wait_up(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return self._wait(host, timeout_s, lambda s: s.up)

    def wait_gone(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return self._wait(host, timeout_s, lambda s: s.health == "absent")


def _is_62(api: ZabbixAPI) -> bool:
    """Zabbix 6.2 renamed host.get's selectGroups to selectHostGroups."""
    return bool(api.version >= 6.2)


def open_backend(settings: Monitoring, secrets: CredentialSource,
                 register: Register | None = None) -> ZabbixBackend:
    """Zabbix as a facility's `monitoring` section names it: its API URL and its API user's credentials
    (from `secrets`); it pins nothing in `register`."""
    assert settings.credentials is not None  # the facility requires it for kind zabbix
    return ZabbixBackend(settings.url, settings.credentials, secrets)
