"""YAML for Ansible in which nothing of ours is ever a template.

The inventory and the extra vars are written under an ``!unsafe`` root, which makes every string in them
untrusted, so text from a request or a facility file (a port's purpose, a search domain) reaches the roles
as it was written and ``{{ lookup('pipe', ...) }}`` in it stays text.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml


class _Unsafe(dict[str, object]):
    """The document's root mapping, written with Ansible's `!unsafe` tag."""


class _UnsafeDumper(yaml.SafeDumper):
    """SafeDumper writing strings double-quoted (never read as another type) and the root as `!unsafe`."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')

    def represent_unsafe(self, data: _Unsafe) -> yaml.MappingNode:
        return self.represent_mapping("!unsafe", data)

    def ignore_aliases(self, data: object) -> bool:
        return True


_UnsafeDumper.add_representer(str, _UnsafeDumper.represent_str)
_UnsafeDumper.add_representer(_Unsafe, _UnsafeDumper.represent_unsafe)
_UnsafeDumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def unsafe_yaml(data: Mapping[str, object]) -> str:
    """`data` as YAML for Ansible (inventory, extra vars) in which no string is ever templated.

    The root mapping is tagged `!unsafe`, which Ansible's loader applies to everything beneath it: every
    string comes out untrusted, never rendered as a template wherever a role uses it. Tagging each string
    instead would not do: Ansible re-reads an `!unsafe` scalar as if unquoted, so `!unsafe "12"` becomes the
    integer 12. Values are plain data (strings, numbers, booleans, None, lists, tuples, mappings); anything
    else is a RepresenterError.
    """
    return yaml.dump(_Unsafe(data), Dumper=_UnsafeDumper, allow_unicode=True, sort_keys=False,
                     width=2**31 - 1, default_flow_style=False)
