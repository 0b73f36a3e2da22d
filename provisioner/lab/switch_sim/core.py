"""A switch: the cisco_generic core with the strict processors, the fabric mirror and the drop hook."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fake_switches.cisco.cisco_core import CiscoShellSession, CiscoSwitchCore
from fake_switches.cisco.command_processor.config_vrf import ConfigVRFCommandProcessor
from fake_switches.switch_configuration import Port
from fake_switches.terminal import LoggingTerminalController, NoopTerminalController

from provisioner.lab.fabric import Fabric
from provisioner.lab.switch_sim.config import (
    SERVER_PORT_COUNT,
    UPLINK_COUNT,
    UPLINK_PREFIX,
    SimSwitchConfiguration,
    default_config_lines,
    startup_path,
)
from provisioner.lab.switch_sim.faults import take_drop_after
from provisioner.lab.switch_sim.grammar import invalid_input
from provisioner.lab.switch_sim.mirror import FabricMirror
from provisioner.lab.switch_sim.piping import RegexPiping
from provisioner.lab.switch_sim.processors import (
    SimConfigProcessor,
    SimEnabledProcessor,
    SimInterfaceProcessor,
    SimUserProcessor,
    SimVlanProcessor,
)

log = logging.getLogger("colo.switch_sim")



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
        config = self.switch_configuration
        return default_config_lines((p.name for p in config.get_physical_ports()), config.layer3)

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
        armed, self.drop_after = take_drop_after(Path(self.switch_configuration.state_dir), self.drop_after)
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


def build_core(name: str, state_dir: Path, enable: str, fabric: Fabric,
               drop_after: int | None = None, layer3: bool = True) -> SimSwitchCore:
    """A lab switch with server ports GigabitEthernet1/0/1-24 and uplinks GigabitEthernet1/1/1-4."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ports = [Port(f"GigabitEthernet1/0/{n}") for n in range(1, SERVER_PORT_COUNT + 1)]
    ports += [Port(f"{UPLINK_PREFIX}{n}") for n in range(1, UPLINK_COUNT + 1)]
    config = SimSwitchConfiguration(name, ports, enable, state_dir, layer3)
    return SimSwitchCore(config, fabric, drop_after)
