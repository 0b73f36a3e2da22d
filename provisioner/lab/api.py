"""The lab as one object: bring it up, take it down, report on it, re-cable a server, run inside a server, put
a server back as delivered."""

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
from provisioner.lab import bind, chrony, image, network, ovs, procs, services
from provisioner.lab.ca import ensure_lab_ca
from provisioner.lab.credentials import credentials_file, ensure_credentials, public_key, ssh_key
from provisioner.lab.hosts import LabHost
from provisioner.lab.layout import (
    BRIDGE,
    DEFAULT_HOSTS,
    MAX_HOSTS,
    NETNS_PREFIX,
    NOC_NS,
    PROMETHEUS_URL,
    ROUTER_NS,
    STAGING_SVI,
    STAGING_VLAN,
    SWITCH_CREDENTIALS,
    SWITCH_HOST,
    SWITCH_NAME,
    SWITCH_PLATFORM,
    SWITCH_PORTS,
    SWITCH_SSH_PORT,
    HostSlot,
    host_slots,
    slot_named,
    state_dir,
    svi_iface,
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


@dataclass(frozen=True)
class LabSwitch:
    """The lab's switch as the network layer addresses it."""

    name: str = SWITCH_NAME
    platform: str = SWITCH_PLATFORM
    host: str = SWITCH_HOST
    port: int = SWITCH_SSH_PORT
    credentials: str = SWITCH_CREDENTIALS


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

    @property
    def healthy(self) -> bool:
        return bool(self.parts) and all(p.healthy for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "parts": [asdict(p) for p in self.parts],
                "hosts": [asdict(h) for h in self.hosts]}


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
        self.fabric = ovs.OvsFabric(self.dir)

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
        """Where Prometheus in the NOC reads its targets (*.json, *.yml) every 5 s."""
        return services.file_sd_dir(self.dir)

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
        """The servers: name, namespace, staging address, the switch port they are cabled to, profile."""
        cabling = self.fabric.snapshot().cabling
        return [HostInfo(s.name, s.netns, s.staging_address, cabling.get(s.name), profile_for(s.index))
                for s in host_slots(self.host_count())]

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
    def up(self, hosts: int | None = None) -> LabStatus:
        """Create whatever part is missing (idempotent) with `hosts` servers (default: as before, else 3)."""
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
        ovs.ensure_bridge()
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
        for machine in machines:
            machine.wire()
        self.fabric.reapply()
        for machine in machines:
            machine.start(rootfs)
        services.start_prometheus(self.dir)
        bind.start_bind(self.dir, credentials)
        chrony.start_chrony(self.dir)
        if procs.pid_of(self.dir / "run" / "switch.pid") is None and _tcp_open(SWITCH_HOST, SWITCH_SSH_PORT):
            raise InfrastructureError(f"{SWITCH_HOST}:{SWITCH_SSH_PORT} is taken by a process that is not "
                                      "the lab's switch; stop it and run `colo lab up` again")
        services.start_switch(self.dir, credentials)
        self._wait_ready(machines)
        return self.status()

    def _cable_new(self, slots: list[HostSlot]) -> None:
        taken = set(self.fabric.snapshot().cabling.values())
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
        if not self._switch_up():
            waiting.append("switch")
        elif STAGING_SVI not in run(["ip", "-o", "addr", "show"], netns=ROUTER_NS, check=False).stdout:
            waiting.append("the switch's staging SVI")  # the switch gives the router its SVIs as it starts
        return waiting

    def _switch_up(self) -> bool:
        """Whether the lab's own switch process runs and answers (not some other process on the port)."""
        return procs.pid_of(self.dir / "run" / "switch.pid") is not None and _tcp_open(SWITCH_HOST,
                                                                                       SWITCH_SSH_PORT)

    def down(self) -> None:
        """Remove every process, namespace, OVS port, mount and file the lab made."""
        require_root()
        for name in ("switch", "prometheus", "named", "chronyd"):
            procs.stop(self.dir / "run" / f"{name}.pid")
        for slot in host_slots(MAX_HOSTS):
            LabHost(slot, self.dir).stop()
        ours = {ns for ns in netns_list() if ns.startswith(NETNS_PREFIX)}
        for ns in ours:
            procs.kill(procs.netns_pids(ns))
        if ovs.ovs_running():
            run(["ovs-vsctl", "--if-exists", "del-br", BRIDGE])
        network.remove_namespaces(ours)
        if self._meta().get("ovs_started"):
            ovs.stop_ovs()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- operations --------------------------------------------------------------------------------
    def cable(self, host: str, port: str) -> None:
        """Move `host`'s cable to switch `port` (the technician's hands): it gets that port's VLAN."""
        require_root()
        self.host(host)
        self.fabric.cable(host, port)

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
        if info.switch_port is not None:
            self._configure_switch([StagingPortIntent(port=info.switch_port, staging_vlan=STAGING_VLAN)])
        LabHost(slot_named(name), self.dir).reset(image.rootfs_dir())

    def prune_vlans(self) -> list[int]:
        """Remove the VLANs and SVIs on the switch that no port uses (VLAN 1 and staging stay); their ids."""
        require_root()
        from provisioner.network import RemoveSviIntent, RemoveVlanIntent

        config = self.switch_config()
        used = {1, STAGING_VLAN} | {int(v) for v in re.findall(r"switchport access vlan (\d+)", config)}
        defined = {int(v) for v in re.findall(r"^(?:vlan |interface Vlan)(\d+)$", config, re.MULTILINE)}
        unused = sorted(defined - used)
        intents: list[SwitchIntent] = [RemoveSviIntent(vlan_id=v) for v in unused]
        self._configure_switch(intents + [RemoveVlanIntent(vlan_id=v) for v in unused])
        return unused

    def switch_config(self) -> str:
        """The switch's whole running configuration, read over its CLI."""
        require_root()
        with self._switch_pool() as pool:
            return pool.get(LabSwitch()).read_config()

    @contextmanager
    def _switch_pool(self) -> Iterator[SessionPool]:
        """A session pool on the lab's own register (the switch's host-key pin and lock), logged in with
        the lab's generated switch credentials."""
        from provisioner.network import SessionPool
        from provisioner.register.db import open_register
        from provisioner.secrets import SwitchCredentials, env_prefix

        values, prefix = ensure_credentials(self.dir), env_prefix(SWITCH_CREDENTIALS)
        fields = (values[f"{prefix}_{field}"] for field in ("USERNAME", "PASSWORD", "ENABLE"))
        credentials = SwitchCredentials(SWITCH_CREDENTIALS, *fields)
        register = open_register(f"sqlite:///{self.dir / 'register.db'}")
        try:
            with SessionPool(register, f"colo-lab:{os.getpid()}", credentials) as pool:
                yield pool
        finally:
            register.close()

    def _configure_switch(self, intents: Sequence[SwitchIntent]) -> None:
        from provisioner.network import apply_change

        if intents:
            with self._switch_pool() as pool:
                apply_change(LabSwitch(), intents, pool)

    # ---- health ------------------------------------------------------------------------------------
    def status(self) -> LabStatus:
        """Each part and whether it works."""
        require_root()
        count = self.host_count()
        if count == 0:
            return LabStatus([PartStatus("lab", False, f"down (no state in {self.dir})")], [])
        namespaces = netns_list()
        ports = ovs.bridge_ports()
        state = self.fabric.snapshot()
        parts = [
            PartStatus("openvswitch", ovs.ovs_running() and BRIDGE in self._bridges(),
                       f"bridge {BRIDGE}, {len(ports)} ports"),
            self._router_status(namespaces, ports, state.svis),
            PartStatus("noc", NOC_NS in namespaces, NOC_NS),
            PartStatus("prometheus", procs.pid_of(self.dir / "run" / "prometheus.pid") is not None
                       and _prometheus_ready(), PROMETHEUS_URL),
            PartStatus("switch", self._switch_up(), f"{SWITCH_HOST}:{SWITCH_SSH_PORT}"),
            PartStatus("dns", bind.bind_running(self.dir), f"BIND 9 on {bind.DNS_ADDRESS}:{bind.DNS_PORT}, "
                       f"zones {bind.LAB_ZONE} and {bind.REVERSE_ZONE}"),
            PartStatus("ntp", chrony.chrony_running(self.dir),
                       f"chrony on {chrony.NTP_ADDRESS}:{chrony.NTP_PORT}, stratum {chrony.STRATUM}"),
        ]
        for slot in host_slots(count):
            machine = LabHost(slot, self.dir)
            listening = machine.listening() if slot.netns in namespaces else set()
            port = state.cabling.get(slot.name)
            vlan = state.port(port).vlan if port else None
            ok = machine.running() and {22, 443} <= listening and slot.ovs_port in ports
            parts.append(PartStatus(slot.name, ok, f"{slot.netns}, cabled to {port} (vlan {vlan}), "
                                    f"listening {sorted(listening)}"))
        return LabStatus(parts, self.hosts())

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
