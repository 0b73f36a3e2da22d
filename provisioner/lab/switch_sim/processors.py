"""The modes of the command line: user exec, privileged exec, configuration, VLAN and interface."""

from __future__ import annotations

from collections.abc import Sequence

from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
from fake_switches.cisco.command_processor.config_interface import ConfigInterfaceCommandProcessor
from fake_switches.cisco.command_processor.config_vlan import ConfigVlanCommandProcessor
from fake_switches.cisco.command_processor.default import DefaultCommandProcessor
from fake_switches.cisco.command_processor.enabled import EnabledCommandProcessor
from fake_switches.switch_configuration import Port, VlanPort
from netaddr import IPNetwork  # type: ignore[import-untyped]

from provisioner.lab.switch_sim.config import running_config, save_startup, startup_path
from provisioner.lab.switch_sim.grammar import GrammarMixin, invalid_input, rules


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
        if args[:3] == ("trunk", "allowed", "vlan") and self.port.trunk_vlans is not None:
            self.port.trunk_vlans = sorted(set(self.port.trunk_vlans))  # IOS lists each once, in order

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
