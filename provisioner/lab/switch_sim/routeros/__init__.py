"""The lab's MikroTik RouterOS v7 switch (a CRS326-24G-2S+ with bridge VLAN filtering) over SSH.

Menus ``/interface bridge`` (``port``, ``vlan``), ``/interface ethernet``, ``/interface vlan``,
``/ip address`` and ``/system identity`` with ``add``, ``set`` (``numbers``, ``*id``, ``[find ...]``),
``remove``, ``enable``, ``disable``, ``print``, ``print detail``, ``find``, ``export`` and ``export terse``,
and ``/export``; safe mode (Ctrl-X) undone when its session ends; RouterOS's own refusals. Every change
is kept at once in ``<state-dir>/routeros.json`` and forwarded to the fabric through the same mirror as
the Cisco simulator.
Fault hook: ``--drop-after K`` or a file ``<state-dir>/drop-after`` cuts the next session's connection
before its (K+1)th configuration change.

Ports: ether1-ether24 (servers, untagged in the staging VLAN at first start), sfp-sfpplus1 (the trunk, the
staging VLAN tagged), sfp-sfpplus2.

Run: ``python3 -m provisioner.lab.switch_sim.routeros --name sw-lab-02 --port 2202 --state-dir DIR
[--fabric ovs|none] [--layer2] [--credentials NAME]``.

Modules: `model` (items, factory state, storage), `menus` (properties and checks), `console` (the language),
`output` (print and export), `views` (what VLAN filtering does to the data plane), `core` (the switch and
safe mode), `shell` (a session's terminal), `login` (SSH login), `__main__` (the command).
"""
