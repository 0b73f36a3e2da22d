"""The switches' fabric as a graph: trunks between switches, loops, and each switch's path to layer 3.

Pure and name-based: `provisioner.facility` validates the `links:` of the facility file, spells every port
the platform's way, and builds a `Topology` from them. An agency VLAN is carried from a server's switch over
the trunks of its `UplinkPath` to the layer-3 switch that holds the VLAN's gateway (SVI).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class TrunkEnd:
    """One end of a trunk: a switch and its port (in the platform's spelling)."""

    switch: str
    port: str

    def __str__(self) -> str:
        return f"{self.switch}:{self.port}"


@dataclass(frozen=True)
class Trunk:
    """A link between two switches, as the facility file gives it."""

    a: TrunkEnd
    b: TrunkEnd


@dataclass(frozen=True)
class Hop:
    """One trunk of a path: `down` is its end on the switch farther from layer 3, `up` the nearer one."""

    down: TrunkEnd
    up: TrunkEnd


@dataclass(frozen=True)
class UplinkPath:
    """From a switch to the layer-3 switch that holds its VLANs' gateways: the switches in that order and
    the trunks between them (`hops[i]` joins `switches[i]` to `switches[i + 1]`). A layer-3 switch's own
    path is itself, with no hops."""

    switches: tuple[str, ...]
    hops: tuple[Hop, ...]

    @property
    def access(self) -> str:
        """The switch the path starts from."""
        return self.switches[0]

    @property
    def layer3(self) -> str:
        """The layer-3 switch at its end."""
        return self.switches[-1]

    @property
    def trunk_ends(self) -> tuple[TrunkEnd, ...]:
        """Every trunk port on the path, in path order (each hop's lower end, then its upper end)."""
        return tuple(end for hop in self.hops for end in (hop.down, hop.up))


class Topology:
    """Switches (some of them layer 3) joined by trunks."""

    def __init__(self, switches: Iterable[str], layer3: Iterable[str], trunks: Sequence[Trunk]) -> None:
        self.switches = tuple(switches)
        self.layer3 = frozenset(layer3)
        self.trunks = tuple(trunks)
        self._neighbours: dict[str, list[tuple[str, Hop]]] = {name: [] for name in self.switches}
        for trunk in self.trunks:
            self._neighbours.setdefault(trunk.a.switch, []).append((trunk.b.switch, Hop(trunk.a, trunk.b)))
            self._neighbours.setdefault(trunk.b.switch, []).append((trunk.a.switch, Hop(trunk.b, trunk.a)))

    def first_loop(self) -> int | None:
        """The index of the first trunk that closes a loop (a trunk from a switch to itself included)."""
        parent = {name: name for name in self._neighbours}

        def root(name: str) -> str:
            while parent[name] != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name

        for index, trunk in enumerate(self.trunks):
            a, b = root(trunk.a.switch), root(trunk.b.switch)
            if a == b:
                return index
            parent[a] = b
        return None

    def path_to_layer3(self, switch: str) -> UplinkPath | None:
        """The shortest path from `switch` to a layer-3 switch (the only one, in a tree); None if none."""
        came_from: dict[str, tuple[str, Hop] | None] = {switch: None}
        queue = deque([switch])
        while queue:
            here = queue.popleft()
            if here in self.layer3:
                return self._walk_back(here, came_from)
            for there, hop in self._neighbours.get(here, ()):
                if there not in came_from:
                    came_from[there] = (here, hop)
                    queue.append(there)
        return None

    @staticmethod
    def _walk_back(end: str, came_from: dict[str, tuple[str, Hop] | None]) -> UplinkPath:
        switches, hops = [end], []
        step = came_from[end]
        while step is not None:
            previous, hop = step
            switches.append(previous)
            hops.append(hop)
            step = came_from[previous]
        return UplinkPath(tuple(reversed(switches)), tuple(reversed(hops)))
