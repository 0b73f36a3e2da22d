"""Lab servers: a network namespace, an overlay root filesystem on the cached image, a hardware profile,
and an init running sshd and the agency's HTTPS application, all inside the server's own namespaces."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from provisioner.errors import InfrastructureError
from provisioner.lab import procs
from provisioner.lab.bind import LAB_ZONE
from provisioner.lab.ca import LabCa
from provisioner.lab.identity import install_host_key
from provisioner.lab.layout import STAGING_GATEWAY, HostSlot
from provisioner.lab.profiles import profile_for, write_profile
from provisioner.lab.sh import netns_list, run, succeeds

GUEST_DIR = Path(__file__).with_name("guest")

# Runs as PID 1 of the server's new mount/UTS/PID namespaces: $1 host dir, $2 image dir, $3 host name.
BOOT_SCRIPT = r"""
set -e
H=$1; R=$1/root
mount -t overlay overlay -o "lowerdir=$2,upperdir=$H/upper,workdir=$H/work" "$R"
mount -t proc proc "$R/proc"
mount --bind "$H/hw/cpuinfo" "$R/proc/cpuinfo"
mount --bind "$H/hw/meminfo" "$R/proc/meminfo"
mount -t sysfs sysfs "$R/sys"
mkdir -p "$H/sysfs"; mount -t sysfs sysfs "$H/sysfs"
rebuild() {  # $1: directory under /sys to replace by a tmpfs holding the same entries except dmi
  mount -t tmpfs -o mode=755 tmpfs "$R/sys/$1"
  for d in "$H/sysfs/$1"/*; do
    n=${d##*/}; [ "$n" = dmi ] && continue
    if [ -d "$d" ] && [ ! -L "$d" ]; then mkdir "$R/sys/$1/$n"; mount --bind "$d" "$R/sys/$1/$n"
    else cp -P "$d" "$R/sys/$1/$n" 2>/dev/null || true; fi
  done
}
rebuild devices/virtual
mkdir -p "$R/sys/devices/virtual/dmi/id"; mount --bind "$H/hw/dmi" "$R/sys/devices/virtual/dmi/id"
rebuild class
mkdir "$R/sys/class/dmi"; ln -s ../../devices/virtual/dmi/id "$R/sys/class/dmi/id"
mount --bind "$H/hw/block" "$R/sys/block"
umount "$H/sysfs"
mount -t tmpfs -o mode=755,size=1m tmpfs "$R/dev"
for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mkdir -m 755 "$R/run/sshd"
hostname "$3"
exec chroot "$R" /usr/bin/python3 /usr/local/sbin/colo-lab-init
"""

SSHD_CONFIG = """\
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
"""

PROVISIONED_FILES = (
    "etc/default/prometheus-node-exporter", "etc/ssh/sshd_config", "etc/nftables.conf",
    "etc/chrony/chrony.conf", "etc/default/chrony", "etc/resolv.conf",
)
"""Files provisioning rewrites that the image ships: put back as the image has them."""
PROVISIONED_EXTRAS = ("etc/ssh/sshd_config.d/60-colo-*", "etc/network/interfaces.d/colo-*")
"""Files provisioning adds (globs): removed."""
STAGING_TABLE = "100"
"""The routing table provisioning keeps the staging address's replies in while both addresses exist."""
NODE_EXPORTER_INIT = "/etc/init.d/prometheus-node-exporter"
NODE_EXPORTER_PORT = 9100


def interfaces_file(slot: HostSlot) -> str:
    """/etc/network/interfaces as delivered: eth0 on its staging address."""
    return ("auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
            f"    address {slot.staging_address}/24\n    gateway {STAGING_GATEWAY}\n")


class LabHost:
    """One lab server's files, namespace and processes."""

    def __init__(self, slot: HostSlot, lab_dir: Path) -> None:
        self.slot = slot
        self.dir = lab_dir / "hosts" / slot.name
        self.pid_file = lab_dir / "run" / f"{slot.name}.pid"
        self.log_file = lab_dir / "log" / f"{slot.name}.log"

    @property
    def upper(self) -> Path:
        """The host's writable layer over the image (its changes to the root filesystem)."""
        return self.dir / "upper"

    def prepare(self, authorized_key: str, ca: LabCa) -> None:
        """Write the hardware profile, and on first use the host's own files (keys, certificate from the lab's
        CA for the lab zone's names, config)."""
        write_profile(self.dir / "hw", profile_for(self.slot.index))
        for sub in ("work", "root"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        if (self.dir / "prepared").exists():
            return
        up, name = self.upper, self.slot.name
        files = {
            "etc/hostname": f"{name}\n",
            "etc/hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n",
            "etc/ssh/sshd_config.d/colo-lab.conf": SSHD_CONFIG,
            "etc/network/interfaces": interfaces_file(self.slot),
            "root/.ssh/authorized_keys": authorized_key,
            "usr/local/sbin/colo-lab-init": (GUEST_DIR / "init.py").read_text(),
            "usr/local/lib/colo-lab/app.py": (GUEST_DIR / "app.py").read_text(),
        }
        for rel, content in files.items():
            (up / rel).parent.mkdir(parents=True, exist_ok=True)
            (up / rel).write_text(content)
        (up / "root/.ssh").chmod(0o700)
        (up / "root/.ssh/authorized_keys").chmod(0o600)
        install_host_key(name, up / "etc/ssh/ssh_host_ed25519_key")
        (up / "etc/colo-lab").mkdir(parents=True, exist_ok=True)
        ca.write_server_certificate([f"*.{LAB_ZONE}", name], [self.slot.staging_address],
                                    up / "etc/colo-lab/app.key", up / "etc/colo-lab/app.crt")
        (self.dir / "prepared").write_text("")

    def host_key(self) -> str:
        """The host's own SSH host public key."""
        return (self.upper / "etc/ssh/ssh_host_ed25519_key.pub").read_text().strip()

    def wire(self, bridge: str) -> None:
        """Create the namespace and its cable into `bridge` (staging address) unless they exist."""
        ns, port = self.slot.netns, self.slot.ovs_port
        if ns not in netns_list():
            run(["ip", "netns", "add", ns])
        if not succeeds(["ip", "link", "show", port]):
            run(["ip", "-n", ns, "link", "del", "eth0"], check=False)
            run(["ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            run(["ip", "-n", ns, "addr", "add", f"{self.slot.staging_address}/24", "dev", "eth0"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "link", "set", "eth0", "up"])
            run(["ip", "-n", ns, "route", "replace", "default", "via", STAGING_GATEWAY])
            run(["ethtool", "-K", "eth0", "tx", "off"], netns=ns)
        run(["ovs-vsctl", "--may-exist", "add-port", bridge, port])

    def running(self) -> bool:
        """Whether the host's init runs."""
        return self.init_pid() is not None

    def init_pid(self) -> int | None:
        """The pid (root namespace view) of the host's PID 1."""
        pid = procs.pid_of(self.pid_file)
        if pid is None:
            return None
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def start(self, image_dir: Path) -> None:
        """Boot the host unless it runs."""
        if procs.pid_of(self.pid_file) is not None:
            return
        procs.start(
            ["ip", "netns", "exec", self.slot.netns, "unshare", "--mount", "--uts", "--pid", "--fork",
             "--kill-child", "sh", "-c", BOOT_SCRIPT, "colo-lab-boot", str(self.dir), str(image_dir),
             self.slot.name],
            self.pid_file, self.log_file,
        )

    def listening(self) -> set[int]:
        """TCP ports listening inside the host's namespace."""
        proc = run(["ss", "-Htln"], netns=self.slot.netns, check=False)
        ports = set()
        for line in proc.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[3].rsplit(":", 1)[-1].isdigit():
                ports.add(int(fields[3].rsplit(":", 1)[-1]))
        return ports

    def exec_argv(self, argv: list[str]) -> list[str]:
        """`argv` as a command line that runs it inside the host (its namespaces and root filesystem)."""
        pid = self.init_pid()
        if pid is None:
            raise InfrastructureError(f"{self.slot.name} is not running")
        return ["nsenter", "-t", str(pid), "-m", "-u", "-n", "-p", "-r", "-w", *argv]

    def run_in(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside the host and return its result (never raises on a non-zero exit)."""
        return subprocess.run(self.exec_argv(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)

    def reset(self, image_dir: Path) -> None:
        """The server as delivered (it keeps running): only its staging address and the default route via
        the staging gateway, no firewall rules, the monitoring agent stopped, and the files provisioning
        writes as the image (or the lab, for /etc/network/interfaces) had them."""
        ns = ["ip", "-n", self.slot.netns]
        run([*ns, "-4", "addr", "flush", "dev", "eth0"])
        run([*ns, "addr", "add", f"{self.slot.staging_address}/24", "dev", "eth0"])
        run([*ns, "route", "replace", "default", "via", STAGING_GATEWAY])
        while succeeds([*ns, "rule", "del", "table", STAGING_TABLE]):
            pass
        run([*ns, "route", "flush", "table", STAGING_TABLE], check=False)
        flushed = self.run_in(["nft", "flush", "ruleset"])
        if flushed.returncode != 0:
            raise InfrastructureError(f"{self.slot.name}: nft flush ruleset failed: {flushed.stderr.strip()}")
        self.run_in([NODE_EXPORTER_INIT, "stop"])
        if NODE_EXPORTER_PORT in self.listening():
            raise InfrastructureError(f"{self.slot.name}: the node exporter still listens after "
                                      f"{NODE_EXPORTER_INIT} stop")
        self._restore_files(image_dir)

    def _restore_files(self, image_dir: Path) -> None:
        # Written through the running server's own root (its overlay mount), never into the layers below.
        pid = self.init_pid()
        if pid is None:
            raise InfrastructureError(f"{self.slot.name} is not running")
        root = Path(f"/proc/{pid}/root")
        for rel in PROVISIONED_FILES:
            if (image_dir / rel).is_file():
                shutil.copy2(image_dir / rel, root / rel)
        for pattern in PROVISIONED_EXTRAS:
            for path in root.glob(pattern):
                path.unlink()
        (root / "etc/network/interfaces").write_text(interfaces_file(self.slot))

    def stop(self) -> None:
        """Kill the host's processes, delete its namespace and cable, remove its files."""
        procs.kill(procs.netns_pids(self.slot.netns))  # the init ends the server; unshare follows it
        procs.stop(self.pid_file)
        run(["ovs-vsctl", "--if-exists", "del-port", self.slot.ovs_port], check=False)
        run(["ip", "link", "del", self.slot.ovs_port], check=False)
        if self.slot.netns in netns_list():
            run(["ip", "netns", "del", self.slot.netns], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
