"""One small class per switch platform: how to talk to it, declared as data, and its command templates.

Templates live in ``templates/<platform>/<operation>.j2`` (operations: vlan, svi, access, staging, reset,
save unless the device saves by itself, confirm where the platform commits in two steps; remove_svi,
remove_vlan, trunk_vlan and remove_trunk_vlan where written) and are rendered with ``StrictUndefined`` from
validated intents only (values, never templates); a value holding anything but letters, digits and
``_ . : / @ -`` is refused there too, so that no value can start a second command on any platform (a newline,
``;``, ``$``, ``[`` on RouterOS, ``|`` or ``?`` on the others). The RouterOS templates also quote free text
with the ``ros`` filter (`provisioner.network.routeros.words.quote`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar

from jinja2 import Environment, PackageLoader, StrictUndefined

from provisioner.errors import BadInput
from provisioner.network.models import SwitchIntent
from provisioner.network.routeros.words import quote

_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/@-]*")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("provisioner.network", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - switch commands, not HTML
        keep_trailing_newline=False,
    )
    environment.filters["ros"] = quote
    return environment


class Platform:
    """A switch platform: the Netmiko device type, how its configuration reads, and its templates."""

    name: ClassVar[str]
    device_type: ClassVar[str]
    show_config: ClassVar[str]
    """The command whose output is the configuration the diff compares against."""
    hierarchical: ClassVar[bool] = True
    """Configuration in blocks (a header line, indented lines under it) rather than one line per setting."""
    negation: ClassVar[tuple[str, str] | None] = ("no ", "")
    """(prefix that removes a setting, prefix the setting has in the configuration); None: no such form."""
    implied_by_absence: ClassVar[dict[str, str]] = {}
    """Lines the configuration never shows, mapped to the line whose absence means they hold."""
    trunk_allowed: ClassVar[str | None] = None
    """The line that lists a trunk port's allowed VLANs (`<it> 1,100-120,999`, added to by `<it> add N` and
    taken from by `<it> remove N`; no such line: the trunk carries every VLAN); None: no such list."""
    indent: ClassVar[str] = " "
    """How lines under a block header are indented when sent."""
    save_in_config: ClassVar[bool] = False
    """The save (commit) is sent inside configuration mode, and confirmed after the read-back."""
    error_pattern: ClassVar[str] = r"% ?(?:Invalid|Incomplete|Ambiguous)|overlaps with|[Ee]rror:"
    confirm_minutes: ClassVar[int] = 5
    saves_itself: ClassVar[bool] = False
    """The device writes every change to its own storage as it is made: there is no save step."""
    safe_mode: ClassVar[bool] = False
    """Changes run in a mode of the device that undoes them by itself when the session dies before they are
    released (RouterOS safe mode); the change path is then `provisioner.network.routeros.change`."""

    @classmethod
    def render(cls, operation: str, **values: object) -> list[str]:
        """The non-empty lines of one operation's template, refusing a value outside the safe characters."""
        for key, value in values.items():
            if not _SAFE_VALUE.fullmatch(str(value)):
                raise BadInput(f"{cls.name}/{operation}: refusing {key}={value!r}: it holds a control "
                               "character, a space or a character other than letters, digits and _ . : / @ -")
        template = _environment().get_template(f"{cls.name}/{operation}.j2")
        return [line.rstrip() for line in template.render(**values).split("\n") if line.strip()]

    @classmethod
    def supports(cls, operation: str) -> bool:
        """Whether the platform has a template for `operation` (removals exist only where written)."""
        return f"{cls.name}/{operation}.j2" in _environment().list_templates()

    @classmethod
    def render_intent(cls, intent: SwitchIntent) -> list[str]:
        values: dict[str, object] = {k: v for k, v in intent.model_dump(mode="json").items() if k != "kind"}
        if intent.kind == "svi":
            values["netmask"] = intent.netmask
        return cls.render(intent.kind, **values)

    @classmethod
    def save_lines(cls) -> list[str]:
        return [] if cls.saves_itself else cls.render("save", confirm_minutes=cls.confirm_minutes)

    @classmethod
    def confirm_lines(cls) -> list[str]:
        return cls.render("confirm") if cls.save_in_config else []


class CiscoIos(Platform):
    name = "cisco_ios"
    device_type = "cisco_ios"
    show_config = "show running-config"
    trunk_allowed = "switchport trunk allowed vlan"


class MikrotikRouteros(Platform):
    """RouterOS v7 on a CRS3xx switch with bridge VLAN filtering: ``/interface bridge port`` (pvid, comment),
    ``/interface bridge vlan`` (tagged), ``/interface ethernet`` (disabled), SVIs as ``/interface vlan`` +
    ``/ip address``. Templates state items (see `provisioner.network.routeros.items`); the change sends only
    the differing properties, in safe mode."""

    name = "mikrotik_routeros"
    device_type = "mikrotik_routeros"
    show_config = "/export terse"
    hierarchical = False
    negation = None
    saves_itself = True
    safe_mode = True
    error_pattern = (r"(?m)^\s*(?:failure: |bad command name |expected end of command |syntax error "
                     r"|no such item|input does not match any value of |invalid value for argument "
                     r"|value of \S+ out of range|ambiguous value of |missing value\(s\) of argument)")


PLATFORMS: dict[str, type[Platform]] = {
    "cisco_ios": CiscoIos,
    "mikrotik_routeros": MikrotikRouteros,
}


def platform_for(name: str) -> type[Platform]:
    """The platform class for a facility's platform name; BadInput names the supported ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(PLATFORMS)
        raise BadInput(f"switch platform {name!r} is not supported (one of: {known})") from None
