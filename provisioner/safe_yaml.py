"""Reading YAML from outside: a safe loader with limits on size, nesting, alias expansion and tags.

Only plain data comes out (mappings, sequences, strings, numbers, booleans, null, dates). A file that is
too large, not UTF-8 text, expands aliases beyond the limit, repeats a key or carries a tag that would build
an object is refused with :class:`~provisioner.errors.BadInput` before anything else reads it; so is a
value written as a date, time or number that does not exist (2026-02-30, 25:00, 5,000 digits), with the
place of the value in the document (``letter.date``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provisioner.errors import BadInput

MAX_BYTES = 256 * 1024
MAX_NODES = 20_000
"""Nodes after alias expansion: a billion-laughs file reaches this after a few thousand steps."""
MAX_DEPTH = 64

_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp")
)


class _LimitError(Exception):
    """The document breaks one of the limits; the message says which."""


class _ImpossibleValue(Exception):
    """A scalar has the form of a date, time or number but no such value exists (2026-02-30, 25:00)."""

    def __init__(self, node: ScalarNode, reason: str) -> None:
        super().__init__(reason)
        self.node = node


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that builds plain data only and refuses repeated keys."""

    def construct_object(self, node: Node, deep: bool = False) -> object:
        if node.tag not in _PLAIN_TAGS:
            mark = node.start_mark
            raise _LimitError(f"line {mark.line + 1}: the tag {node.tag!r} is not allowed (plain data only)")
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            if not isinstance(node, ScalarNode):
                raise
            raise _ImpossibleValue(node, _impossible(node, exc)) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    line = key_node.start_mark.line + 1
                    raise _LimitError(f"line {line}: the key {key_node.value!r} appears twice")
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _impossible(node: ScalarNode, exc: Exception) -> str:
    """Why a date, time or number cannot be read, without repeating a value of thousands of digits."""
    if node.tag.endswith(":timestamp"):
        return f"{node.value} is not a date or time that exists ({exc})"
    if len(node.value) > 40:
        return f"a number of {len(node.value)} characters is far beyond any allowed value"
    return f"{node.value} is not a number that can be read ({exc})"


def field_path(parts: Iterable[object]) -> str:
    """A value's place in a document as messages name it: ``network.ports[1].protocol``.

    A key that is not printable text is shown quoted and escaped, so a message never carries its controls.
    """
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = part if isinstance(part, str) and part.isprintable() else repr(part)
        path += f".{name}" if path else name
    return path


def _parts_to(root: Node, target: Node) -> list[object] | None:
    """The keys and indices that lead from ``root`` to ``target`` (a key node counts as its key's place)."""
    if root is target:
        return []
    pairs: list[tuple[object, Node]]
    if isinstance(root, SequenceNode):
        pairs = list(enumerate(root.value))
    elif isinstance(root, MappingNode):
        pairs = []
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            pairs += [(key, key_node), (key, value_node)]
    else:
        return None
    for part, child in pairs:
        below = _parts_to(child, target)
        if below is not None:
            return [part, *below]
    return None


def _check_expansion(root: Node) -> None:
    """Count the nodes the document would have with every alias expanded, without expanding them."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _LimitError("an alias refers to the node that contains it (a recursive document)")
        if depth > MAX_DEPTH:
            raise _LimitError(f"nesting deeper than {MAX_DEPTH} levels")
        open_nodes.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_NODES:
                raise _LimitError(f"more than {MAX_NODES} values once aliases are expanded")
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def load_yaml_text(text: str, source: str = "<text>") -> object:
    """Parse one YAML document of plain data within the limits; BadInput names the source and the problem."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise BadInput(f"{source}: the file is empty")
        _check_expansion(node)
        try:
            return loader.construct_document(node)
        except _ImpossibleValue as exc:
            where = field_path(_parts_to(node, exc.node) or []) or "(document)"
            raise BadInput(f"{source}: line {exc.node.start_mark.line + 1}: {where}: {exc}") from None
    except _LimitError as exc:
        raise BadInput(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise BadInput(f"{source}: not valid YAML: {detail}") from None
    finally:
        loader.dispose()


def load_yaml_file(path: Path, max_bytes: int = MAX_BYTES) -> object:
    """Read a YAML file of at most ``max_bytes`` bytes of UTF-8 text and return its plain data."""
    return load_yaml_text(read_text_file(path, max_bytes), str(path))


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a file of at most ``max_bytes`` bytes; larger files are refused unread."""
    try:
        # O_NONBLOCK: a named pipe or device must be refused, not waited on until someone writes to it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise BadInput(f"{path}: not a regular file")
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise BadInput(f"{path}: larger than {max_bytes // 1024} KiB; refused unread")
    if b"\x00" in raw:
        raise BadInput(f"{path}: binary data, not a text file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})") from None
