"""Files the tool leaves in the operator's folders: written whole or not at all, 0640, never through a link.

Each file is written to a new temporary file in its folder (``O_EXCL | O_NOFOLLOW``, mode set on the open
descriptor) and renamed over its name: a link planted at that name is replaced, its target never touched.
A document's own folder (``<output>/<REQ-ID>``) must be a real folder; the folders above it are the
operator's and may be links.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from provisioner.errors import BadInput

FILE_MODE = 0o640
FOLDER_MODE = 0o750
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _not_a_folder(path: Path, option: str, exc: OSError, *, own: bool) -> BadInput:
    if own and path.is_symlink():
        return BadInput(f"{option}: {path} is a symbolic link; files are not written through links")
    if exc.errno == errno.ENOENT:
        return BadInput(f"{option}: folder {path} does not exist")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return BadInput(f"{option}: {path} (or a folder above it) is not a folder")
    return BadInput(f"{option}: cannot write in {path} ({exc.strerror})")


def _make_folder(path: Path, option: str) -> None:
    """Create the folder (0750) and those above it when missing."""
    try:
        path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        with suppress(FileExistsError):
            path.mkdir(mode=FOLDER_MODE)
    except OSError as exc:
        raise _not_a_folder(path, option, exc, own=True) from exc


@contextmanager
def _folder(path: Path, option: str, *, own: bool) -> Iterator[int]:
    """The open folder; ``own`` (a folder of the tool's): refused when it is a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (os.O_NOFOLLOW if own else 0))
    except OSError as exc:
        raise _not_a_folder(path, option, exc, own=own) from exc
    try:
        yield fd
    finally:
        os.close(fd)


def _write_at(folder: int, name: str, data: bytes, option: str) -> None:
    """Write ``data`` to a temporary file in the open folder, then rename it to ``name``."""
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(temporary, _NEW_FILE, FILE_MODE, dir_fd=folder)
    except PermissionError as exc:
        raise BadInput(f"{option}: cannot write {name} there ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except IsADirectoryError as exc:
        raise BadInput(f"{option}: {name} is a folder, not a file") from exc
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=folder)


def write_documents(folder: Path, files: Mapping[str, bytes]) -> Path:
    """Write each named file into ``folder`` (created; not a link); returns the folder's absolute path."""
    _make_folder(folder, "--output")
    with _folder(folder, "--output", own=True) as fd:
        for name, data in files.items():
            _write_at(fd, name, data, "--output")
    return folder.resolve()


def read_document(path: Path) -> bytes:
    """The bytes of a file written by :func:`write_documents`; refused when it or its folder is a link."""
    with _folder(path.parent, "--output", own=True) as folder:
        try:
            fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
        except OSError as exc:
            raise BadInput(f"--output: cannot read {path} ({exc.strerror})") from exc
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise BadInput(f"--output: {path} is not a regular file")
            return handle.read()


def write_file(path: Path, data: bytes, option: str) -> None:
    """Write one file in its existing folder (links above it are followed), replacing what has the name."""
    with _folder(path.parent, option, own=False) as fd:
        _write_at(fd, path.name, data, option)
