"""The lab's monitoring host: the NOC namespace gets its own root filesystem (an overlay on the servers'
image) and sshd, so `colo` reaches it over SSH as a site reaches its NOC server; Prometheus reads its
file_sd folders from that root filesystem, and blackbox_exporter probes the applications by name through the
NOC's own DNS."""

from __future__ import annotations

import json
import socket
from pathlib import Path, PurePosixPath

from provisioner.lab import procs
from provisioner.lab.ca import ca_dir
from provisioner.lab.identity import install_host_key
from provisioner.lab.layout import NOC_ADDRESS, NOC_NS

NOC_IP = NOC_ADDRESS.split("/")[0]
NOC_NAME = "lab-noc"
SSH_PORT = 22
NOC_CREDENTIALS = "noc-lab"
"""The SSH login of the monitoring host in the lab site (COLO_CRED_NOC_LAB_USERNAME / _KEY_FILE)."""
FILE_SD_DIR = PurePosixPath("/etc/prometheus/file_sd/colo")
"""The node targets' folder on the NOC (the lab site's monitoring.file_sd_dir)."""
PROBE_SD_DIR = PurePosixPath("/etc/prometheus/file_sd/colo-probes")
"""The probe targets' folder on the NOC (the lab site's monitoring.probes.file_sd_dir)."""
BLACKBOX_LISTEN = f"{NOC_IP}:9115"

# PID 1 of the NOC's new mount/PID namespaces: $1 NOC dir, $2 image dir.
BOOT_SCRIPT = r"""
set -e
H=$1; R=$1/root
mount -t overlay overlay -o "lowerdir=$2,upperdir=$H/upper,workdir=$H/work" "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,size=1m tmpfs "$R/dev"
for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mkdir -m 755 "$R/run/sshd"
exec chroot "$R" /usr/sbin/sshd -D -e
"""

SSHD_CONFIG = f"""\
ListenAddress {NOC_IP}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
"""

# Runs blackbox_exporter with the NOC's resolver (BIND on the NOC) in place of the machine's.
BLACKBOX_SCRIPT = r"""
set -e
mount --bind "$1" /etc/resolv.conf
shift
exec /usr/bin/prometheus-blackbox-exporter "$@"
"""


def noc_dir(lab_dir: Path) -> Path:
    return lab_dir / "noc"


def host_path(lab_dir: Path, path: PurePosixPath) -> Path:
    """Where a file the NOC writes at `path` lies on this machine (its root filesystem's upper layer)."""
    return noc_dir(lab_dir) / "upper" / path.relative_to("/")


def prepare(lab_dir: Path, authorized_key: str) -> None:
    """The NOC's own files, once: host key, sshd configuration, root's key, the file_sd folders."""
    base = noc_dir(lab_dir)
    for sub in ("work", "root"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    if (base / "prepared").exists():
        return
    up = base / "upper"
    files = {
        "etc/hostname": f"{NOC_NAME}\n",
        "etc/ssh/sshd_config.d/colo-lab.conf": SSHD_CONFIG,
        "root/.ssh/authorized_keys": authorized_key,
    }
    for rel, content in files.items():
        (up / rel).parent.mkdir(parents=True, exist_ok=True)
        (up / rel).write_text(content)
    (up / "root/.ssh").chmod(0o700)
    (up / "root/.ssh/authorized_keys").chmod(0o600)
    install_host_key(NOC_NAME, up / "etc/ssh/ssh_host_ed25519_key")
    for folder in (FILE_SD_DIR, PROBE_SD_DIR):
        host_path(lab_dir, folder).mkdir(parents=True, exist_ok=True)
    (base / "prepared").write_text("")


def sshd_pid_file(lab_dir: Path) -> Path:
    return lab_dir / "run" / "noc-sshd.pid"


def blackbox_pid_file(lab_dir: Path) -> Path:
    return lab_dir / "run" / "blackbox.pid"


def start_sshd(lab_dir: Path, image_dir: Path) -> None:
    """Boot the NOC's root filesystem with sshd unless it runs."""
    if procs.pid_of(sshd_pid_file(lab_dir)) is not None:
        return
    procs.start(
        [
            "ip",
            "netns",
            "exec",
            NOC_NS,
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "sh",
            "-c",
            BOOT_SCRIPT,
            "colo-lab-noc",
            str(noc_dir(lab_dir)),
            str(image_dir),
        ],
        sshd_pid_file(lab_dir),
        lab_dir / "log" / "noc-sshd.log",
    )


def blackbox_config(lab_dir: Path) -> str:
    """One module, http_2xx: IPv4, certificates verified against the lab's CA."""
    config = {
        "modules": {
            "http_2xx": {
                "prober": "http",
                "timeout": "4s",
                "http": {
                    "preferred_ip_protocol": "ip4",
                    "ip_protocol_fallback": False,
                    "tls_config": {"ca_file": str(ca_dir(lab_dir) / "ca.crt")},
                },
            }
        }
    }
    return json.dumps(config, indent=2) + "\n"


def start_blackbox(lab_dir: Path) -> None:
    """Run blackbox_exporter in the NOC namespace, resolving through the NOC's DNS, unless it runs."""
    if procs.pid_of(blackbox_pid_file(lab_dir)) is not None:
        return
    base = lab_dir / "blackbox"
    base.mkdir(parents=True, exist_ok=True)
    (base / "blackbox.yml").write_text(blackbox_config(lab_dir))
    (base / "resolv.conf").write_text(f"nameserver {NOC_IP}\n")
    procs.start(
        [
            "ip",
            "netns",
            "exec",
            NOC_NS,
            "unshare",
            "--mount",
            "sh",
            "-c",
            BLACKBOX_SCRIPT,
            "colo-lab-blackbox",
            str(base / "resolv.conf"),
            f"--config.file={base / 'blackbox.yml'}",
            f"--web.listen-address={BLACKBOX_LISTEN}",
        ],
        blackbox_pid_file(lab_dir),
        lab_dir / "log" / "blackbox.log",
    )


def answers(port: int) -> bool:
    """Whether the NOC accepts a TCP connection on `port`."""
    try:
        with socket.create_connection((NOC_IP, port), timeout=1.0):
            return True
    except OSError:
        return False


def sshd_running(lab_dir: Path) -> bool:
    return procs.pid_of(sshd_pid_file(lab_dir)) is not None and answers(SSH_PORT)


def blackbox_running(lab_dir: Path) -> bool:
    running = procs.pid_of(blackbox_pid_file(lab_dir)) is not None
    return running and answers(int(BLACKBOX_LISTEN.split(":")[1]))
