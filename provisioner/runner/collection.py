"""Where the playbooks and roles are: the checkout this code runs from, as the collection diskominfo.colo."""

from __future__ import annotations

from pathlib import Path

from provisioner.errors import InfrastructureError

ANSIBLE_DIR = Path(__file__).resolve().parent.parent.parent
PLAYBOOK_DIR = ANSIBLE_DIR / "playbooks"
COLLECTION = ("diskominfo", "colo")
"""The collection (galaxy.yml) whose roles the playbooks name: diskominfo.colo.baseline and so on."""


def playbook_path(playbook: str) -> Path:
    """A playbook of the project by name (`provision.yml`), or any path to one."""
    path = Path(playbook)
    if not path.is_absolute() and path.parent == Path("."):
        path = PLAYBOOK_DIR / path
    if not path.is_file():
        raise InfrastructureError(f"playbook not found: {path}")
    return path.resolve()


def collections_path(data_dir: Path) -> Path:
    """A collections path in the run's data dir on which diskominfo.colo is the tree this code runs from.

    The roles then always come from the same checkout as the playbooks and the code (a collection installed
    elsewhere, maybe of another version, is not on the path), edits need no reinstall, and a fresh clone
    needs no build step.
    """
    root = data_dir / "collections"
    link = root.joinpath("ansible_collections", *COLLECTION)
    link.parent.mkdir(parents=True, mode=0o700)
    link.symlink_to(ANSIBLE_DIR, target_is_directory=True)
    return root
