"""The lab as one object: bring it up, take it down, report on it, re-cable a server, run inside a server, put
a server back as delivered.

Two racks: sw-lab-01 (layer 3, the router holds its SVIs) and sw-lab-02 (layer 2), each driving its own Open
vSwitch bridge, joined by a trunk. A server stays on sw-lab-01 unless cabled to sw-lab-02."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import BadInput, InfrastructureError
from provisioner.lab import bind, chrony, image, network, noc, ovs, procs, services, zabbix
from provisioner.lab.ca import ensure_lab_ca
from provisioner.lab.credentials import (
    ZABBIX_PASSWORD_VARIABLE,
    credentials_file,
    ensure_credentials,
    public_key,
    ssh_key,
)
from provisioner.lab.hosts import LabHost
from provisioner.lab.layout import (
    BRIDGE,
    DEFAULT_HOSTS,
    LAB_SWITCHES,
    MAX_HOSTS,
    NETNS_PREFIX,
    NOC_NS,
    PROMETHEUS_URL,
    ROUTER_NS,
    STAGING_SVI,
    STAGING_VLAN,
    SWITCH_NAME,
    SWITCH_PORTS,
    HostSlot,
    SwitchSlot,
    host_slots,
    slot_named,
    state_dir,
    svi_iface,
    switch_slot,
    trunk_peer,
)
from provisioner.lab.profiles import HardwareProfile, profile_for
from provisioner.lab.sh import netns_list, run

if TYPE_CHECKING:
    from provisioner.network import SessionPool, SwitchIntent

READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class HostInfo:
    """A lab server as the tests and the demo see it."""

    name: str
    netns: str
    staging_address: str
    switch_port: str | None
    profile: HardwareProfile
    switch: str | None = None


@dataclass(frozen=True)
class LabSwitch:
    """A lab switch as the network layer addresses it."""

    name: str
    platform: str
    host: str
    port: int
    credentials: str

    @classmethod
    def of(cls, slot: SwitchSlot) -> LabSwitch:
        return cls(slot.name, slot.platform, slot.host, slot.ssh_port, slot.credentials)


@dataclass(frozen=True)
class TrunkEndInfo:
    """A switch's end of a trunk: its port, the switch at the other end, the VLANs it carries (None: all)."""

    port: str
    peer: str
    allowed_vlans: list[int] | None


@dataclass(frozen=True)
class SwitchInfo:
    """A lab switch as its simulator last told the fabric."""

    name: str
    platform: str
    layer3: bool
    address: str
    vlans: list[int]
    svis: dict[int, str]
    trunks: list[TrunkEndInfo]


@dataclass(frozen=True)
class PartStatus:
    """One part of the lab and whether it works."""

    name: str
    healthy: bool
    detail: str


@dataclass(frozen=True)
class LabStatus:
    """Every part's health, and the servers."""

    parts: list[PartStatus]
    hosts: list[HostInfo]
    switches: list[SwitchInfo]

    @property
    def healthy(self) -> bool:
        return bool(self.parts) and all(p.healthy for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "parts": [asdict(p) for p in self.parts],
                "hosts": [asdict(h) for h in self.hosts], "switches": [asdict(s) for s in self.switches]}


def require_root() -> None:
    """The lab makes namespaces, mounts and OVS ports: refuse clearly (exit 2) when not root."""
    if os.geteuid() != 0:
        raise BadInput("the lab needs root (network namespaces, mounts, Open vSwitch): run it with sudo")


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _prometheus_ready() -> bool:
    try:
        with urllib.request.urlopen(f"{PROMETHEUS_URL}/-/ready", timeout=2.0) as resp:  # noqa: S310 - lab URL
            return bool(resp.status == 200)
    except OSError:
        return False


class Lab:
    """The local lab: servers, switch, router, NOC and Prometheus, with its state in `lab_dir`."""

    def __init__(self, lab_dir: Path | None = None) -> None:
        self.dir = lab_dir or state_dir()
        self.fabrics = {slot.name: ovs.OvsFabric(self.dir, slot) for slot in LAB_SWITCHES}
        self.fabric = self.fabrics[SWITCH_NAME]

    # ---- facts -------------------------------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        """The private key that logs in to every server as root."""
        return ssh_key(self.dir)

    @property
    def credentials_path(self) -> Path:
        return credentials_file(self.dir)

    @property
    def file_sd_dir(self) -> Path:
        """Where Prometheus in the NOC reads its targets (*.json, *.yml) every second: the NOC's
        /etc/prometheus/file_sd/colo as this machine sees it."""
        return services.file_sd_dir(self.dir)

    @property
    def probe_sd_dir(self) -> Path:
        """The NOC's probe target folder as this machine sees it."""
        return services.probe_sd_dir(self.dir)

    def credentials_env(self) -> dict[str, str]:
        """The credentials file's variables (switch login, SSH identity) for a child's environment."""
        return ensure_credentials(self.dir) if self.credentials_path.exists() else {}

    def _meta(self) -> dict[str, Any]:
        path = self.dir / "lab.json"
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def _save_meta(self, **values: Any) -> None:
        meta = {**self._meta(), **values}
        (self.dir / "lab.json").write_text(json.dumps(meta) + "\n")

    def host_count(self) -> int:
        """How many servers the lab has (0 when it is down)."""
        return int(self._meta().get("hosts", 0))

    def hosts(self) -> list[HostInfo]:
        """The servers: name, namespace, staging address, the port they are cabled to, profile, its switch."""
        cabling = self.fabric.snapshot().cabling
        return [HostInfo(s.name, s.netns, s.staging_address, cable.port if cable else None,
                         profile_for(s.index), cable.switch if cable else None)
                for s in host_slots(self.host_count()) for cable in [cabling.get(s.name)]]

    def host(self, name: str) -> HostInfo:
        """One server by name; BadInput for a name the lab does not have."""
        for info in self.hosts():
            if info.name == name:
                return info
        raise BadInput(f"the lab has no host {name!r} (it has {self.host_count()})")

    def host_key(self, name: str) -> str:
        """Server `name`'s own SSH host public key (`ssh-ed25519 AAAA... root@name`)."""
        self.host(name)
        return LabHost(slot_named(name), self.dir).host_key()

    # ---- life cycle --------------------------------------------------------------------------------
    def up(self, hosts: int | None = None, monitoring: str = "prometheus") -> LabStatus:
        """Create whatever part is missing (idempotent) with `hosts` servers (default: as before, else 3);
        `monitoring` ``zabbix`` adds Zabbix in the NOC."""
        require_root()
        count = hosts if hosts is not None else (self.host_count() or DEFAULT_HOSTS)
        if not 1 <= count <= MAX_HOSTS:
            raise BadInput(f"--hosts: between 1 and {MAX_HOSTS}")
        if not ovs.ovs_running() and (self.dir / "lab.json").exists():
            # Open vSwitch stopped under a built lab (the machine restarted, or its processes were ended):
            # the SVIs' ports went with it, so the lab is built again from a clean slate.
            ovs.ensure_ovs()
            self.down()
        self.dir.mkdir(parents=True, exist_ok=True)
        rootfs = image.build()
        credentials = ensure_credentials(self.dir)
        if ovs.ensure_ovs():
            self._save_meta(ovs_started=True)
        ovs.ensure_bridges()
        network.ensure_router()
        network.ensure_noc()
        for slot in host_slots(MAX_HOSTS)[count:]:
            self._remove_host(slot)
        self._save_meta(hosts=count)
        slots = host_slots(count)
        self._cable_new(slots)
        machines = [LabHost(s, self.dir) for s in slots]
        key, lab_ca = public_key(self.dir), ensure_lab_ca(self.dir, credentials)
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda m: m.prepare(key, lab_ca), machines))
        noc.prepare(self.dir, key)
        cabling = self.fabric.snapshot().cabling
        for machine in machines:
            machine.wire(switch_slot(cabling[machine.slot.name].switch).bridge)
        for fabric in self.fabrics.values():
            fabric.reapply()
        for machine in machines:
            machine.start(rootfs)
        noc.start_sshd(self.dir, rootfs)
        services.start_prometheus(self.dir)
        noc.start_blackbox(self.dir)
        if monitoring == "zabbix":
            zabbix.start_lab(self.dir, NOC_NS, credentials[ZABBIX_PASSWORD_VARIABLE])
        bind.start_bind(self.dir, credentials)
        chrony.start_chrony(self.dir)
        services.start_tsa(self.dir)
        for switch in LAB_SWITCHES:
            running = procs.pid_of(services.switch_pid_file(self.dir, switch)) is not None
            if not running and _tcp_open(switch.host, switch.ssh_port):
                raise InfrastructureError(f"{switch.host}:{switch.ssh_port} is taken by a process that is "
                                          f"not the lab's {switch.name}; stop it and run `colo lab up` again")
            services.start_switch(self.dir, credentials, switch)
        self._wait_ready(machines)
        return self.status()

    def _cable_new(self, slots: list[HostSlot]) -> None:
        taken = {c.port for c in self.fabric.snapshot().cabling.values() if c.switch == SWITCH_NAME}
        for slot in slots:
            if slot.name in self.fabric.snapshot().cabling:
                continue
            port = slot.default_switch_port
            if port in taken:
                port = next(p for p in SWITCH_PORTS if p not in taken)
            taken.add(port)
            self.fabric.record_cable(slot.name, port)

    def _remove_host(self, slot: HostSlot) -> None:
        LabHost(slot, self.dir).stop()
        self.fabric.uncable(slot.name)

    def _wait_ready(self, machines: list[LabHost]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        waiting = self._not_ready(machines)
        while waiting and time.monotonic() < deadline:
            time.sleep(0.1)
            waiting = self._not_ready(machines)
        if waiting:
            raise InfrastructureError("the lab did not come up: " + ", ".join(waiting),
                                      [f"logs: {self.dir / 'log'}", "`colo lab status` shows each part"])

    def _not_ready(self, machines: list[LabHost]) -> list[str]:
        waiting = [f"{m.slot.name} sshd/https" for m in machines if not {22, 443} <= m.listening()]
        if not _prometheus_ready():
            waiting.append("prometheus")
        if not bind.bind_answers():
            waiting.append("dns")
        if not chrony.ntp_answers():
            waiting.append("ntp")
        waiting += [name for name, port in (("noc sshd", noc.SSH_PORT), ("blackbox", 9115))
                    if not noc.answers(port)]
        down = [switch.name for switch in LAB_SWITCHES if not self._switch_up(switch)]
        if down:
            waiting += down
        elif STAGING_SVI not in run(["ip", "-o", "addr", "show"], netns=ROUTER_NS, check=False).stdout:
            waiting.append("the staging SVI")  # the layer-3 switch gives the router its SVIs as it starts
        return waiting

    def _switch_up(self, switch: SwitchSlot) -> bool:
        """Whether the lab's own switch process runs and answers (not some other process on the port)."""
        running = procs.pid_of(services.switch_pid_file(self.dir, switch)) is not None
        return running and _tcp_open(switch.host, switch.ssh_port)

    def down(self) -> None:
        """Remove every process, namespace, OVS port, mount and file the lab made."""
        require_root()
        for switch in LAB_SWITCHES:
            procs.stop(services.switch_pid_file(self.dir, switch))
        for name in ("prometheus", "named", "chronyd", "blackbox", "noc-sshd", "tsa"):
            procs.stop(self.dir / "run" / f"{name}.pid")
        if zabbix.lab_dir_of(self.dir).exists():
            zabbix.stop(zabbix.lab_dir_of(self.dir))
        for slot in host_slots(MAX_HOSTS):
            LabHost(slot, self.dir).stop()
        ours = {ns for ns in netns_list() if ns.startswith(NETNS_PREFIX)}
        for ns in ours:
            procs.kill(procs.netns_pids(ns))
        started = ovs.installed() and ovs.ensure_ovs()  # a stopped OVS keeps the bridges in its database
        if ovs.ovs_running():
            ovs.remove_bridges()
        network.remove_namespaces(ours)
        if started or self._meta().get("ovs_started"):
            ovs.stop_ovs()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- operations --------------------------------------------------------------------------------
    def cable(self, host: str, port: str, switch: str = SWITCH_NAME) -> None:
        """Move `host`'s cable to `port` of `switch` (the technician's hands): it gets that port's VLAN."""
        require_root()
        self.host(host)
        fabric = self.fabrics.get(switch)
        if fabric is None:
            raise BadInput(f"--switch: the lab has no switch {switch!r} ({', '.join(self.fabrics)})")
        fabric.cable(host, port)

    def run_in(self, host: str, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside server `host` (its namespaces and root filesystem)."""
        require_root()
        self.host(host)
        return LabHost(slot_named(host), self.dir).run_in(argv, timeout)

    def reachable_from_noc(self, address: str, port: int, timeout: float = 2.0) -> bool:
        """Whether a TCP connection from the NOC (the outside vantage) to `address:port` opens."""
        require_root()
        probe = f"exec 3<>/dev/tcp/{ipaddress.ip_address(address)}/{int(port)}"
        return run(["timeout", str(timeout), "bash", "-c", probe], netns=NOC_NS, check=False).returncode == 0

    def reset_host(self, name: str) -> None:
        """Put server `name` back as delivered to the data centre: its switch port on the staging VLAN
        (configured through the switch), only its staging address with the default route via the staging
        gateway, no firewall rules, its monitoring agent stopped, the files provisioning writes as delivered.
        Agency VLANs stay (another server may use them); `prune_vlans` removes the unused ones."""
        require_root()
        from provisioner.network import StagingPortIntent

        info = self.host(name)
        if info.switch_port is not None and info.switch is not None:
            self._configure_switch([StagingPortIntent(port=info.switch_port, staging_vlan=STAGING_VLAN)],
                                   switch_slot(info.switch))
        LabHost(slot_named(name), self.dir).reset(image.rootfs_dir())

    def prune_vlans(self) -> list[int]:
        """Remove the VLANs and SVIs on sw-lab-01 that no port uses (VLAN 1 and staging stay); their ids."""
        require_root()
        from provisioner.network import RemoveSviIntent, RemoveVlanIntent

        config = self.switch_config()
        used = {1, STAGING_VLAN} | {int(v) for v in re.findall(r"switchport access vlan (\d+)", config)}
        defined = {int(v) for v in re.findall(r"^(?:vlan |interface Vlan)(\d+)$", config, re.MULTILINE)}
        unused = sorted(defined - used)
        intents: list[SwitchIntent] = [RemoveSviIntent(vlan_id=v) for v in unused]
        self._configure_switch(intents + [RemoveVlanIntent(vlan_id=v) for v in unused])
        return unused

    def reset_names(self) -> None:
        """The lab's DNS zones back as `colo lab up` made them: the records requests added are gone."""
        require_root()
        bind.reset_bind(self.dir, ensure_credentials(self.dir))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not bind.bind_answers():
            if time.monotonic() > deadline:
                raise InfrastructureError("the lab's DNS server did not answer after its reset",
                                          [f"log: {self.dir / 'log' / 'named.log'}"])
            time.sleep(0.1)

    def switch_config(self, switch: str = SWITCH_NAME) -> str:
        """A switch's whole running configuration, read over its CLI, without the comment lines a RouterOS
        export starts with (they carry the time of reading): two readings of one configuration are equal."""
        require_root()
        slot = switch_slot(switch)
        with self._switch_pool(slot) as pool:
            text = pool.get(LabSwitch.of(slot)).read_config()
        return "\n".join(line for line in text.splitlines() if not line.startswith("# "))

    @contextmanager
    def _switch_pool(self, slot: SwitchSlot) -> Iterator[SessionPool]:
        """A session pool on the lab's own register (the switch's host-key pin and lock), logged in with
        the lab's generated credentials of switch `slot`."""
        from provisioner.network import SessionPool
        from provisioner.register.db import open_register
        from provisioner.secrets import SwitchCredentials, env_prefix

        values, prefix = ensure_credentials(self.dir), env_prefix(slot.credentials)
        fields = (values[f"{prefix}_{field}"] for field in ("USERNAME", "PASSWORD", "ENABLE"))
        credentials = SwitchCredentials(slot.credentials, *fields)
        register = open_register(f"sqlite:///{self.dir / 'register.db'}")
        try:
            with SessionPool(register, f"colo-lab:{os.getpid()}", credentials) as pool:
                yield pool
        finally:
            register.close()

    def _configure_switch(self, intents: Sequence[SwitchIntent], slot: SwitchSlot = LAB_SWITCHES[0]) -> None:
        from provisioner.network import apply_change

        if intents:
            with self._switch_pool(slot) as pool:
                apply_change(LabSwitch.of(slot), intents, pool)

    # ---- health ------------------------------------------------------------------------------------
    def status(self) -> LabStatus:
        """Each part and whether it works."""
        require_root()
        count = self.host_count()
        if count == 0:
            return LabStatus([PartStatus("lab", False, f"down (no state in {self.dir})")], [], [])
        namespaces = netns_list()
        ports = {slot.bridge: ovs.bridge_ports(slot.bridge) for slot in LAB_SWITCHES}
        state = self.fabric.snapshot()
        bridges = self._bridges()
        bridges_ok = ovs.ovs_running() and all(
            s.bridge in bridges and s.trunk_patch in ports[s.bridge] for s in LAB_SWITCHES)
        parts = [
            PartStatus("openvswitch", bridges_ok, "; ".join(
                f"bridge {s.bridge}, {len(ports[s.bridge])} ports, trunk end {s.trunk_patch}"
                for s in LAB_SWITCHES)),
            self._router_status(namespaces, ports[BRIDGE], state.switch(SWITCH_NAME).svis),
            PartStatus("noc", NOC_NS in namespaces, NOC_NS),
            PartStatus("prometheus", procs.pid_of(self.dir / "run" / "prometheus.pid") is not None
                       and _prometheus_ready(), PROMETHEUS_URL),
            *(PartStatus(f"switch {s.name}", self._switch_up(s), f"{s.host}:{s.ssh_port}")
              for s in LAB_SWITCHES),
            *([PartStatus("zabbix", zabbix.lab_running(self.dir), f"Zabbix 6.0 at {zabbix.LAB_URL}")]
              if zabbix.lab_dir_of(self.dir).exists() else []),
            PartStatus("dns", bind.bind_running(self.dir), f"BIND 9 on {bind.DNS_ADDRESS}:{bind.DNS_PORT}, "
                       f"zones {bind.LAB_ZONE} and {bind.REVERSE_ZONE}"),
            PartStatus("ntp", chrony.chrony_running(self.dir),
                       f"chrony on {chrony.NTP_ADDRESS}:{chrony.NTP_PORT}, stratum {chrony.STRATUM}"),
            PartStatus("noc sshd", noc.sshd_running(self.dir),
                       f"monitoring host sshd on {noc.NOC_IP}:{noc.SSH_PORT}, file_sd {noc.FILE_SD_DIR}"),
            PartStatus("blackbox", noc.blackbox_running(self.dir),
                       f"blackbox_exporter on {noc.BLACKBOX_LISTEN}"),
        ]
        for slot in host_slots(count):
            machine = LabHost(slot, self.dir)
            listening = machine.listening() if slot.netns in namespaces else set()
            cable = state.cabling.get(slot.name)
            vlan = state.switch(cable.switch).port(cable.port).vlan if cable else None
            where = f"{cable.switch} {cable.port}" if cable else None
            on_bridge = cable is not None and slot.ovs_port in ports[switch_slot(cable.switch).bridge]
            ok = machine.running() and {22, 443} <= listening and on_bridge
            parts.append(PartStatus(slot.name, ok, f"{slot.netns}, cabled to {where} (vlan {vlan}), "
                                    f"listening {sorted(listening)}"))
        return LabStatus(parts, self.hosts(), self.switches())

    def switches(self) -> list[SwitchInfo]:
        """Each switch as its simulator last told the fabric: VLANs, SVIs, its trunk end's allowed VLANs."""
        state = self.fabric.snapshot()
        infos = []
        for switch in LAB_SWITCHES:
            mine = state.switch(switch.name)
            trunk = mine.port(switch.trunk_port)
            allowed = trunk.allowed_vlans if trunk.mode == "trunk" else [trunk.vlan]
            end = TrunkEndInfo(switch.trunk_port, trunk_peer(switch).name, allowed)
            infos.append(SwitchInfo(switch.name, switch.platform, switch.layer3,
                                    f"{switch.host}:{switch.ssh_port}", mine.vlans, mine.svis, [end]))
        return infos

    @staticmethod
    def _bridges() -> set[str]:
        return set(run(["ovs-vsctl", "--timeout=2", "list-br"], check=False).stdout.split())

    @staticmethod
    def _router_status(namespaces: set[str], ports: set[str], svis: dict[int, str]) -> PartStatus:
        if ROUTER_NS not in namespaces:
            return PartStatus("router", False, f"{ROUTER_NS} missing")
        links = run(["ip", "-n", ROUTER_NS, "-br", "addr"], check=False).stdout
        missing = [f"Vlan{v}" for v, address in svis.items()
                   if svi_iface(v) not in ports or address not in links]
        detail = "SVIs " + ", ".join(f"Vlan{v} {a}" for v, a in sorted(svis.items()))
        if missing:
            detail += "; missing " + ", ".join(missing)
        return PartStatus("router", not missing, detail)
