"""The lab switch: a Cisco IOS command line over SSH (fake-switches) whose ports drive a `Fabric`.

Built on fake-switches' ``cisco_generic`` model and its port/VLAN state, with what real switches do and the
stock model does not: every line is checked against a grammar per mode (keywords may be abbreviated) and
anything else is answered ``% Invalid input detected at '^' marker.``; ``end`` from any configuration mode;
``show privilege``; ``show startup-config``; ``write memory`` / ``copy running-config startup-config`` save
to ``<state-dir>/startup-config``, which is loaded again at start; ``| include``, ``| exclude``, ``| begin``
and ``| section`` with regular expressions on show commands. After each line, port and SVI changes are
forwarded to the fabric. The SSH host key is kept in the state directory.

Fault hook for tests: ``--drop-after K`` (or a file ``<state-dir>/drop-after`` holding K, read when a
session opens) drops the next session after it has sent K lines in configuration mode, before the next line
is applied. It fires once.

Run: ``python3 -m provisioner.lab.switch_sim --name sw-lab-01 --port 2201 --state-dir DIR
[--fabric ovs|none]`` with the login from ``COLO_CRED_SW_LAB_USERNAME`` / ``_PASSWORD`` / ``_ENABLE``
or ``DIR/credentials.env``.
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from fake_switches.cisco.cisco_core import CiscoShellSession, CiscoSwitchCore
from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
from fake_switches.cisco.command_processor.config_interface import ConfigInterfaceCommandProcessor
from fake_switches.cisco.command_processor.config_vlan import ConfigVlanCommandProcessor
from fake_switches.cisco.command_processor.config_vrf import ConfigVRFCommandProcessor
from fake_switches.cisco.command_processor.default import DefaultCommandProcessor
from fake_switches.cisco.command_processor.enabled import (
    EnabledCommandProcessor,
    build_running_interface,
    build_running_vlan,
    build_static_routes,
)
from fake_switches.command_processing.piping_processor_base import PipingProcessorBase
from fake_switches.switch_configuration import Port, SwitchConfiguration, VlanPort
from fake_switches.terminal import LoggingTerminalController, NoopTerminalController
from netaddr import IPNetwork  # type: ignore[import-untyped]

from provisioner.lab.fabric import Fabric

log = logging.getLogger("colo.switch_sim")

INVALID_INPUT = "% Invalid input detected at '^' marker."
STAGING_VLAN = 999
STAGING_SVI = ("10.231.250.1", "255.255.255.0")
PORT_COUNT = 24
CREDENTIALS_NAME = "sw-lab"

# --------------------------------------------------------------------------------------------- grammar


def _vlan(token: str) -> bool:
    return token.isdigit() and 1 <= int(token) <= 4094


def _vlan_list(token: str) -> bool:
    parts = token.split(",")
    return all(all(_vlan(b) for b in p.split("-", 1)) for p in parts)


def _ipv4(token: str) -> bool:
    try:
        ipaddress.IPv4Address(token)
    except ValueError:
        return False
    return True


def _netmask(token: str) -> bool:
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{token}")
    except ValueError:
        return False
    return True


_PLACEHOLDERS: dict[str, Callable[[str], bool]] = {
    "<vlan>": _vlan,
    "<vlans>": _vlan_list,
    "<ip>": _ipv4,
    "<mask>": _netmask,
    "<int>": str.isdigit,
    "<word>": lambda _t: True,
    "<vlan-name>": lambda t: 1 <= len(t) <= 32,
}


@dataclass(frozen=True)
class Rule:
    """One command form of a mode: keywords (abbreviable), placeholders, and ``<rest>`` (1+ tokens)."""

    words: tuple[str, ...]
    pipeable: bool = False

    def match(self, tokens: Sequence[str]) -> list[str] | None:
        """The tokens with keywords spelled out, or None when the line is not this command."""
        out: list[str] = []
        for index, word in enumerate(self.words):
            if word == "<rest>":
                return [*out, *tokens[index:]] if len(tokens) > index else None
            if index >= len(tokens):
                return None
            token = tokens[index]
            check = _PLACEHOLDERS.get(word)
            if check is not None:
                if not check(token):
                    return None
                out.append(token)
            elif word.startswith(token.lower()):
                out.append(word)
            else:
                return None
        return out if len(tokens) == len(self.words) else None


def rules(*lines: str, pipeable: bool = False) -> tuple[Rule, ...]:
    """Rules from space-separated command forms."""
    return tuple(Rule(tuple(line.split()), pipeable) for line in lines)


class GrammarMixin:
    """Dispatch only lines that match the mode's grammar; a parent handles a line its sub-mode refuses."""

    GRAMMAR: tuple[Rule, ...] = ()
    HANDLES_IN_SUBMODE = False
    """Whether this mode runs its own commands while a sub-mode is active (IOS config modes do)."""

    sub_processor: Any
    continuing_to: Any
    awaiting_keystroke: bool
    is_done: bool
    piping_processor: Any

    def get_command_func(self, line: str) -> tuple[Callable[..., Any] | None, list[str]]:
        tokens = line.split()
        if not tokens or tokens[0].startswith("!"):
            return (lambda: None), []
        pipe: list[str] | None = None
        if "|" in tokens:
            at = tokens.index("|")
            tokens, pipe = tokens[:at], tokens[at + 1:]
        for rule in self.GRAMMAR:
            words = rule.match(tokens)
            if words is None or (pipe is not None and not rule.pipeable):
                continue
            negated = words[0] == "no"
            name, args = (f"do_no_{words[1]}", words[2:]) if negated else (f"do_{words[0]}", words[1:])
            func = getattr(self, name.replace("-", "_"))
            if pipe is None:
                return func, args
            if not self.piping_processor.start_listening(" ".join(pipe)):
                return None, []
            return func, args
        return None, []

    def process_command(self, line: str) -> bool:
        if self.sub_processor is not None:
            if self.delegate_to_sub_processor(line):  # type: ignore[attr-defined]
                return True
            if not self.HANDLES_IN_SUBMODE:
                return False
        if self.continuing_to:
            processed: bool = self.continue_command(line)  # type: ignore[attr-defined]
        else:
            func, args = self.get_command_func(line)
            if func is None:
                return False
            self.sub_processor = None
            func(*args)
            processed = True
        if not (self.continuing_to or self.awaiting_keystroke or self.is_done or self.sub_processor):
            self.finish_piping()  # type: ignore[attr-defined]
            self.show_prompt()  # type: ignore[attr-defined]
        return processed


def invalid_input(write_line: Callable[[str], None]) -> None:
    """Write IOS's refusal of a line."""
    write_line("        ^")
    write_line(INVALID_INPUT)
    write_line("")


# ------------------------------------------------------------------------------------------ processors


class SimInterfaceProcessor(GrammarMixin, ConfigInterfaceCommandProcessor):  # type: ignore[misc]
    """``(config-if)#``."""

    GRAMMAR = rules(
        "description <rest>", "no description", "no description <rest>",
        "switchport mode access", "switchport mode trunk", "no switchport mode",
        "no switchport mode access", "no switchport mode trunk",
        "switchport access vlan <vlan>", "no switchport access vlan", "no switchport access vlan <vlan>",
        "switchport trunk native vlan <vlan>", "no switchport trunk native vlan",
        "switchport trunk allowed vlan add <vlans>", "switchport trunk allowed vlan remove <vlans>",
        "switchport trunk allowed vlan all", "switchport trunk allowed vlan none",
        "switchport trunk allowed vlan <vlans>", "no switchport trunk allowed vlan",
        "shutdown", "no shutdown",
        "ip address <ip> <mask>", "ip address <ip> <mask> secondary",
        "no ip address", "no ip address <ip> <mask>",
        "exit",
    )

    def do_switchport(self, *args: str) -> None:
        if args[:2] == ("access", "vlan") and not self.switch_configuration.get_vlan(int(args[2])):
            self.write_line("% Access VLAN does not exist. Creating vlan " + args[2])
            self.switch_configuration.add_vlan(self.switch_configuration.new("Vlan", int(args[2])))
        super().do_switchport(*args)

    def do_ip(self, _address: str, ip: str, mask: str, *secondary: str) -> None:
        if not isinstance(self.port, VlanPort):
            invalid_input(self.write_line)
            return
        address = IPNetwork(f"{ip}/{mask}")
        owner, _ = self.switch_configuration.get_port_and_ip_by_ip(address.ip)
        if owner is not None and owner is not self.port:
            self.write_line(f"% {address.cidr} overlaps with {owner.name}")
            return
        if secondary and self.port.ips:
            self.port.ips = [*(i for i in self.port.ips if i.ip != address.ip), address]
        else:
            self.port.ips = [address, *(i for i in self.port.ips[1:] if i.ip != address.ip)]

    def do_no_ip(self, *args: str) -> None:
        if not isinstance(self.port, VlanPort):
            invalid_input(self.write_line)
            return
        super().do_no_ip(*args)


class SimVlanProcessor(GrammarMixin, ConfigVlanCommandProcessor):  # type: ignore[misc]
    """``(config-vlan)#``."""

    GRAMMAR = rules("name <vlan-name>", "no name", "no name <rest>", "exit")

    def do_no_name(self, *_: str) -> None:
        self.vlan.name = None


class SimConfigProcessor(GrammarMixin, ConfigCommandProcessor):  # type: ignore[misc]
    """``(config)#``: also handles global commands typed in a sub-mode, leaving the sub-mode like IOS."""

    HANDLES_IN_SUBMODE = True
    GRAMMAR = rules(
        "vlan <vlan>", "no vlan <vlan>",
        "interface <rest>", "no interface <rest>", "default interface <rest>",
        "hostname <word>", "version <word>",
        "end", "exit",
    )

    def do_hostname(self, name: str) -> None:
        self.switch_configuration.name = name

    def do_version(self, _version: str) -> None:
        """The release line of a saved configuration; nothing to set."""

    def do_end(self) -> None:
        self.is_done = True


class SimEnabledProcessor(GrammarMixin, EnabledCommandProcessor):  # type: ignore[misc]
    """``#`` (privileged exec)."""

    GRAMMAR = (
        *rules("enable", "configure", "configure terminal", "terminal length <int>", "terminal width <int>",
               "terminal no monitor", "write", "write memory", "copy running-config startup-config", "exit"),
        *rules(
            "show running-config", "show running-config interface <rest>", "show running-config vlan <vlan>",
            "show startup-config", "show privilege", "show vlan", "show vlan brief", "show version",
            "show ip interface", "show ip interface <rest>", "show etherchannel summary",
            pipeable=True,
        ),
    )

    def do_configure(self, *_: str) -> None:
        self.write_line("Enter configuration commands, one per line.  End with CNTL/Z.")
        self.move_to(self.config_processor)

    def do_show(self, *args: str) -> None:
        if args == ("privilege",):
            self.write_line("Current privilege level is 15")
        elif args == ("startup-config",):
            self.show_startup()
        elif args == ("running-config",):
            self.show_run()
        elif args[:1] == ("running-config",) and args[1] == "interface" and not self._port(args[2:]):
            invalid_input(self.write_line)
        else:
            super().do_show(*args)

    def _port(self, name: Sequence[str]) -> Port | None:
        return self.switch_configuration.get_port_by_partial_name("".join(name))

    def show_run(self) -> None:
        text = running_config(self.switch_configuration)
        self.write_line("Building configuration...")
        self.write_line("")
        self.write_line(f"Current configuration : {len(text)} bytes")
        for line in text.splitlines():
            self.write_line(line)

    def show_startup(self) -> None:
        path = startup_path(self.switch_configuration)
        if not path.exists():
            self.write_line("startup-config is not present")
            return
        text = path.read_text()
        self.write_line(f"Using {len(text)} out of 524288 bytes")
        for line in text.splitlines():
            self.write_line(line)

    def do_write(self, *_: str) -> None:
        self.save()

    def do_copy(self, *_: str) -> None:
        self.write("Destination filename [startup-config]? ")
        self.continue_to(self.continue_copy)

    def continue_copy(self, answer: str) -> None:
        if answer.strip() in ("", "startup-config"):
            self.save()
        else:
            invalid_input(self.write_line)

    def save(self) -> None:
        self.write_line("Building configuration...")
        save_startup(self.switch_configuration)
        self.write_line("[OK]")

    def do_terminal(self, *_: str) -> None:
        """Terminal length/width: accepted, nothing to keep."""


class SimUserProcessor(GrammarMixin, DefaultCommandProcessor):  # type: ignore[misc]
    """``>`` (user exec): ``enable`` asks for the enable secret; an empty answer only works without one."""

    GRAMMAR = rules("enable", "terminal length <int>", "terminal width <int>", "terminal no monitor",
                    "show privilege", "exit")

    def continue_enabling(self, line: str) -> None:
        self.replace_input = False
        if line in self.switch_configuration.privileged_passwords:
            self.move_to(self.enabled_processor)
        else:
            self.write_line("% Access denied")
            self.write_line("")

    def do_show(self, *_: str) -> None:
        self.write_line("Current privilege level is 1")

    def do_terminal(self, *_: str) -> None:
        """Terminal length/width: accepted, nothing to keep."""

    def do_exit(self) -> None:
        self.is_done = True


# --------------------------------------------------------------------------------------------- piping


class _LinePipe:
    """Filters written text line by line; `keep` decides for each complete line."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.partial = ""

    def pipe(self, data: str) -> str | bool:
        text = self.partial + data
        lines = text.split("\n")
        self.partial = lines.pop()
        kept = [line + "\n" for line in lines if self.keep(line)]
        return "".join(kept) if kept else False

    def keep(self, line: str) -> bool:
        raise NotImplementedError


class _Include(_LinePipe):
    def keep(self, line: str) -> bool:
        return self.pattern.search(line) is not None


class _Exclude(_LinePipe):
    def keep(self, line: str) -> bool:
        return self.pattern.search(line) is None


class _Begin(_LinePipe):
    started = False

    def keep(self, line: str) -> bool:
        self.started = self.started or self.pattern.search(line) is not None
        return self.started


class _Section(_LinePipe):
    """A top-level line that matches, with the indented lines under it (or an indented line that matches)."""

    inside = False

    def keep(self, line: str) -> bool:
        if not line.startswith(" "):
            self.inside = self.pattern.search(line) is not None
            return self.inside
        return self.inside or self.pattern.search(line) is not None


class RegexPiping(PipingProcessorBase):  # type: ignore[misc]
    """``| include|exclude|begin|section REGEX``."""

    KINDS: ClassVar[dict[str, type[_LinePipe]]] = {
        "include": _Include, "exclude": _Exclude, "begin": _Begin, "section": _Section,
    }

    def start_listening(self, command: str) -> bool:
        kind, _, expression = command.strip().partition(" ")
        choices = [k for k in self.KINDS if kind and k.startswith(kind.lower())]
        if len(choices) != 1 or not expression.strip():
            return False
        try:
            pattern = re.compile(expression.strip())
        except re.error:
            return False
        self.active_command = self.KINDS[choices[0]](pattern)
        return True


# -------------------------------------------------------------------------------------- configuration


class SimSwitchConfiguration(SwitchConfiguration):  # type: ignore[misc]
    """The switch state, with strict interface names and a place to save the startup configuration."""

    def __init__(self, name: str, ports: list[Port], enable: str, state_dir: Path) -> None:
        super().__init__("127.0.0.1", name=name, privileged_passwords=[enable], ports=ports)
        self.state_dir = state_dir

    def get_port_by_partial_name(self, name: str) -> Port | None:
        """``gi1/0/3``, ``GigabitEthernet1/0/3``, ``Vlan 999``: a type prefix and the exact number."""
        match = re.fullmatch(r"([A-Za-z-]+)\s*(\d[\d/.]*)", name.strip())
        if match is None:
            return None
        kind, number = match.group(1).lower(), match.group(2)
        for port in self.ports:
            port_kind, port_number = re.fullmatch(r"([A-Za-z-]+)(.*)", port.name).groups()  # type: ignore[union-attr]
            if port_number == number and port_kind.lower().startswith(kind):
                return port
        return None


def running_config(config: SwitchConfiguration) -> str:
    """The running configuration as IOS prints it (VLANs in order, then ports, then SVIs)."""
    lines = ["!", "version 12.2", "!", f"hostname {config.name}", "!"]
    for vlan in sorted(config.vlans, key=lambda v: v.number):
        lines += [*build_running_vlan(vlan), "!"]
    for port in config.get_physical_ports() + sorted(config.get_vlan_ports(), key=lambda p: p.vlan_id):
        lines += [*build_running_interface(port), "!"]
    for route in config.static_routes:
        lines.append(build_static_routes(route))
    return "\n".join([*lines, "end", ""])


def startup_path(config: SwitchConfiguration) -> Path:
    return Path(config.state_dir) / "startup-config"


def save_startup(config: SwitchConfiguration) -> None:
    """Write the running configuration to the startup-config file atomically."""
    path = startup_path(config)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(running_config(config))
    os.replace(temporary, path)


def default_config_lines(ports: Iterable[str]) -> list[str]:
    """The factory state of the lab switch: every port an access port in the staging VLAN, with its SVI."""
    lines = [f"vlan {STAGING_VLAN}", " name STAGING"]
    for port in ports:
        lines += [f"interface {port}", f" switchport access vlan {STAGING_VLAN}", " switchport mode access"]
    return [*lines, f"interface Vlan{STAGING_VLAN}", " ip address {} {}".format(*STAGING_SVI), "end"]


# --------------------------------------------------------------------------------------------- fabric


@dataclass(frozen=True)
class PortView:
    """What a physical port's configuration means for the data plane."""

    trunk: bool
    access_vlan: int
    native_vlan: int | None
    allowed_vlans: tuple[int, ...] | None
    shutdown: bool


class FabricMirror:
    """Forwards the difference between the switch state and what the fabric was last told."""

    def __init__(self, config: SwitchConfiguration, fabric: Fabric) -> None:
        self.config = config
        self.fabric = fabric
        self.ports: dict[str, PortView] = {}
        self.svis: dict[int, str] = {}

    def sync(self) -> None:
        for port in self.config.get_physical_ports():
            self._sync_port(port)
        wanted = {
            p.vlan_id: f"{p.ips[0].ip}/{p.ips[0].prefixlen}"
            for p in self.config.get_vlan_ports() if p.ips and not p.shutdown
        }
        for vlan, address in sorted(self.svis.items()):
            if wanted.get(vlan) != address:
                self._call("remove_svi", vlan)
                del self.svis[vlan]
        for vlan, address in sorted(wanted.items()):
            if vlan not in self.svis:
                self._call("add_svi", vlan, address)
                self.svis[vlan] = address

    def _sync_port(self, port: Port) -> None:
        view = PortView(
            trunk=port.mode == "trunk",
            access_vlan=port.access_vlan or 1,
            native_vlan=port.trunk_native_vlan,
            allowed_vlans=tuple(port.trunk_vlans) if port.trunk_vlans is not None else None,
            shutdown=bool(port.shutdown),
        )
        old = self.ports.get(port.name)
        if old is None or (old.trunk, old.access_vlan, old.native_vlan, old.allowed_vlans) != (
            view.trunk, view.access_vlan, view.native_vlan, view.allowed_vlans
        ):
            if view.trunk:
                allowed = list(view.allowed_vlans) if view.allowed_vlans is not None else None
                self._call("set_trunk", port.name, view.native_vlan, allowed)
            else:
                self._call("set_access_vlan", port.name, view.access_vlan)
        if old is None or old.shutdown != view.shutdown:
            self._call("set_shutdown", port.name, view.shutdown)
        self.ports[port.name] = view

    def _call(self, method: str, *args: object) -> None:
        try:
            getattr(self.fabric, method)(*args)
        except Exception:
            log.exception("fabric %s%r failed", method, args)


class RecordingFabric:
    """``--fabric none``: keeps and logs every call, touches nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def _record(self, method: str, *args: object) -> None:
        self.calls.append((method, args))
        log.info("fabric %s%r", method, args)

    def set_access_vlan(self, port: str, vlan: int) -> None:
        self._record("set_access_vlan", port, vlan)

    def set_trunk(self, port: str, native_vlan: int | None, allowed_vlans: list[int] | None) -> None:
        self._record("set_trunk", port, native_vlan, allowed_vlans)

    def set_shutdown(self, port: str, down: bool) -> None:
        self._record("set_shutdown", port, down)

    def add_svi(self, vlan: int, address_with_prefix: str) -> None:
        self._record("add_svi", vlan, address_with_prefix)

    def remove_svi(self, vlan: int) -> None:
        self._record("remove_svi", vlan)


def load_fabric(kind: str) -> Fabric:
    """``none``: a recording fabric; ``ovs``: the lab's Open vSwitch fabric (imported only then)."""
    if kind == "none":
        return RecordingFabric()
    for module_name in ("provisioner.lab.ovs", "provisioner.lab.fabric"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        factory = getattr(module, "OvsFabric", None)
        if factory is not None:
            fabric: Fabric = factory()
            return fabric
    raise SystemExit("--fabric ovs: no OvsFabric in provisioner.lab.ovs or provisioner.lab.fabric")


# -------------------------------------------------------------------------------------- core and SSH


class SimShellSession(CiscoShellSession):  # type: ignore[misc]
    """One SSH session: refuses unknown lines like IOS, mirrors changes, and can be told to drop."""

    def __init__(self, processor: Any, core: SimSwitchCore) -> None:
        self.core = core
        self.drop_after = core.take_drop_after()
        self.config_lines = 0
        super().__init__(processor)

    def handle_unknown_command(self, line: str) -> None:
        log.info("refused: %r", line)
        invalid_input(self.command_processor.terminal_controller.write_line_like)

    def in_config_mode(self) -> bool:
        processor = self.command_processor
        while processor is not None:
            if isinstance(processor, SimConfigProcessor):
                return True
            processor = processor.sub_processor
        return False

    def receive(self, line: str) -> bool:
        if line.strip() and self.in_config_mode():
            if self.drop_after is not None and self.config_lines >= self.drop_after:
                log.warning("fault hook: session dropped after %d configuration lines", self.config_lines)
                return False
            self.config_lines += 1
        try:
            still_open: bool = super().receive(line)
        except Exception:
            log.exception("line %r failed", line)
            invalid_input(self.command_processor.terminal_controller.write_line_like)
            self.command_processor.show_prompt()
            still_open = True
        self.core.mirror.sync()
        return still_open


class _Terminal(LoggingTerminalController):  # type: ignore[misc]
    def write_line_like(self, text: str) -> None:
        self.write(text + "\n")


class SimSwitchCore(CiscoSwitchCore):  # type: ignore[misc]
    """The cisco_generic core with the strict processors, the fabric mirror and the drop hook."""

    def __init__(self, config: SimSwitchConfiguration, fabric: Fabric, drop_after: int | None = None) -> None:
        super().__init__(config)
        self.mirror = FabricMirror(config, fabric)
        self.drop_after = drop_after
        self.replay(self.boot_config())
        self.mirror.sync()

    def boot_config(self) -> list[str]:
        path = startup_path(self.switch_configuration)
        if path.exists():
            return path.read_text().splitlines()
        return default_config_lines(p.name for p in self.switch_configuration.get_physical_ports())

    def replay(self, lines: Iterable[str]) -> None:
        """Apply configuration lines as if typed in configuration mode (at boot)."""
        processor = self.new_command_processor()
        quiet = logging.getLogger("colo.switch_sim.session.boot")
        processor.init(self.switch_configuration, NoopTerminalController(), quiet, RegexPiping(quiet))
        processor.process_command("configure terminal")
        for line in lines:
            if line.strip() and not processor.process_command(line) and line.strip() != "end":
                log.warning("startup-config line refused: %r", line)

    def take_drop_after(self) -> int | None:
        """The armed fault (option or ``drop-after`` file), consumed by the session that gets it."""
        armed, self.drop_after = self.drop_after, None
        trigger = Path(self.switch_configuration.state_dir) / "drop-after"
        if trigger.exists():
            armed = int(trigger.read_text().strip())
            trigger.unlink()
        return armed

    def new_command_processor(self) -> SimEnabledProcessor:
        return SimEnabledProcessor(
            config=SimConfigProcessor(
                config_vlan=SimVlanProcessor(),
                config_vrf=ConfigVRFCommandProcessor(),
                config_interface=SimInterfaceProcessor(),
            )
        )

    def launch(self, protocol: str, terminal_controller: Any) -> SimShellSession:
        self.last_connection_id += 1
        self.logger = logging.getLogger(f"colo.switch_sim.session.{self.last_connection_id}")
        processor = SimUserProcessor(self.new_command_processor())
        processor.init(
            self.switch_configuration,
            _Terminal(self.logger, terminal_controller),
            self.logger,
            RegexPiping(self.logger),
        )
        return SimShellSession(processor, self)


def host_key(state_dir: Path) -> Any:
    """The switch's Ed25519 host key, created on first start and kept in the state directory."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from twisted.conch.ssh import keys

    path = state_dir / "ssh_host_ed25519_key"
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    return keys.Key.fromFile(str(path))  # type: ignore[no-untyped-call]


def listen(core: SimSwitchCore, port: int, username: str, password: str, reactor: Any) -> Any:
    """Serve the core over SSH on 127.0.0.1:`port` with one password login; returns the listening port."""
    from fake_switches.transports.ssh_service import SSHDemoRealm
    from twisted.conch.ssh import factory
    from twisted.cred import checkers, portal

    key = host_key(Path(core.switch_configuration.state_dir))
    ssh_factory: Any = factory.SSHFactory()
    ssh_factory.portal = portal.Portal(SSHDemoRealm(core))
    ssh_factory.portal.registerChecker(
        checkers.InMemoryUsernamePasswordDatabaseDontUse(**{username: password.encode()})
    )
    ssh_factory.publicKeys = {b"ssh-ed25519": key.public()}
    ssh_factory.privateKeys = {b"ssh-ed25519": key}
    return reactor.listenTCP(port=port, factory=ssh_factory, interface="127.0.0.1")


def build_core(name: str, state_dir: Path, enable: str, fabric: Fabric,
               drop_after: int | None = None) -> SimSwitchCore:
    """The lab switch with ports GigabitEthernet1/0/1-24."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ports = [Port(f"GigabitEthernet1/0/{n}") for n in range(1, PORT_COUNT + 1)]
    return SimSwitchCore(SimSwitchConfiguration(name, ports, enable, state_dir), fabric, drop_after)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The lab's Cisco IOS switch simulator over SSH.")
    parser.add_argument("--name", default="sw-lab-01")
    parser.add_argument("--port", type=int, default=2201)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--fabric", choices=("ovs", "none"), default="none")
    parser.add_argument("--credentials", default=CREDENTIALS_NAME, help="credentials name (COLO_CRED_<N>_*)")
    parser.add_argument("--drop-after", type=int, default=os.environ.get("COLO_SWITCH_SIM_DROP_AFTER"),
                        help="drop the first session after K configuration lines (fault test hook)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("colo.switch_sim.session").setLevel(logging.WARNING)

    from provisioner.secrets import switch_credentials

    dotenv = args.state_dir / "credentials.env"
    credentials = switch_credentials(args.credentials, credentials_file=dotenv if dotenv.exists() else None)
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor

    drop_after = int(args.drop_after) if args.drop_after not in (None, "") else None
    core = build_core(args.name, args.state_dir, credentials.enable, load_fabric(args.fabric), drop_after)
    listen(core, args.port, credentials.username, credentials.password, reactor)
    log.info("%s listening on 127.0.0.1:%d (SSH)", args.name, args.port)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
