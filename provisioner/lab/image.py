"""The lab's Debian 12 server image: built once with debootstrap, cached, and imported into podman.

`python3 -m provisioner.lab.image build` prints the cached root filesystem directory;
`python3 -m provisioner.lab.image podman` prints the podman image name. Both do nothing when up to date.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from provisioner.errors import InfrastructureError

PACKAGES = (
    "python3", "python3-apt", "openssh-server", "sudo", "iproute2", "iputils-ping", "chrony", "nftables",
    "prometheus-node-exporter", "zabbix-agent", "ifupdown", "openssl", "ca-certificates", "procps",
)
SUITE = "bookworm"
BUILD_STEPS = "apt-caches"
"""Names what `_finish` does beyond debootstrap; part of the image id, so changing the steps rebuilds."""
PODMAN_IMAGE = "localhost/colo-debian:12"
CONTAINERS_CONF = Path(__file__).with_name("containers.conf")
_LABEL = "org.colo-provisioner.image-id"


def cache_dir() -> Path:
    """Where the image is cached: $COLO_CACHE_DIR, else ~/.cache/colo-provisioner."""
    return Path(os.environ.get("COLO_CACHE_DIR") or Path.home() / ".cache" / "colo-provisioner")


def image_id() -> str:
    """A short digest of what the image is built from; a change rebuilds it."""
    return hashlib.sha256(f"{SUITE}:minbase:{','.join(PACKAGES)}:{BUILD_STEPS}".encode()).hexdigest()[:12]


def rootfs_dir() -> Path:
    """The extracted root filesystem (read-only lower layer of every lab host)."""
    return cache_dir() / f"debian-12-{image_id()}" / "rootfs"


def _stamp() -> Path:
    return rootfs_dir().parent / "complete"


def is_built() -> bool:
    """Whether the cached image exists and finished building."""
    return _stamp().is_file()


def build(mirror: str | None = None) -> Path:
    """Build the root filesystem unless cached; return its directory."""
    root = rootfs_dir()
    if is_built():
        return root
    if os.geteuid() != 0:
        raise InfrastructureError("building the server image needs root (debootstrap)")
    tmp = root.with_name("rootfs.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    url = mirror or os.environ.get("COLO_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    argv = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(tmp), url]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise InfrastructureError("debootstrap failed", tail)
    _finish(tmp)
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    _stamp().write_text(image_id() + "\n")
    return root


def _finish(root: Path) -> None:
    """Drop downloaded packages and the shared SSH host keys (each lab host makes its own); build apt's
    package caches, as an installed server has them (else each lab host builds them at its first apt run)."""
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    proc = subprocess.run(["chroot", str(root), "apt-cache", "gencaches"], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise InfrastructureError("apt-cache gencaches failed in the image",
                                  proc.stderr.strip().splitlines()[-5:])
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/hostname").write_text("localhost\n")


def podman_env() -> dict[str, str]:
    """The environment for podman on this machine kind (runc, cgroupfs, bounded ulimits)."""
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(CONTAINERS_CONF))
    return env


def import_podman() -> str:
    """Import the root filesystem as PODMAN_IMAGE unless the same build is already there; return its name."""
    root = build()
    env = podman_env()
    inspect = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{index .Labels \"" + _LABEL + "\"}}", PODMAN_IMAGE],
        capture_output=True, text=True, env=env, check=False,
    )
    if inspect.returncode == 0 and inspect.stdout.strip() == image_id():
        return PODMAN_IMAGE
    with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
        proc = subprocess.run(
            ["podman", "import", "--change", f"LABEL {_LABEL}={image_id()}",
             "--change", 'CMD ["sleep", "infinity"]', "-", PODMAN_IMAGE],
            stdin=tar.stdout, capture_output=True, text=True, env=env, check=False,
        )
    if proc.returncode != 0 or tar.returncode != 0:
        raise InfrastructureError("podman import failed", proc.stderr.strip().splitlines()[-5:])
    return PODMAN_IMAGE


def main(argv: list[str]) -> int:
    """`build` or `podman`: make the artefact if needed and print where it is."""
    actions = {"build": lambda: str(build()), "podman": import_podman}
    if len(argv) != 1 or argv[0] not in actions:
        print("usage: python3 -m provisioner.lab.image build|podman", file=sys.stderr)
        return 2
    try:
        print(actions[argv[0]]())
    except InfrastructureError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
