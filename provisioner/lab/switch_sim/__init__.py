"""The lab switch: a Cisco IOS command line over SSH (fake-switches) whose ports drive a `Fabric`.

Built on fake-switches' ``cisco_generic`` model and its port/VLAN state, with what real switches do and the
stock model does not: every line is checked against a grammar per mode (keywords may be abbreviated) and
anything else is answered ``% Invalid input detected at '^' marker.``; ``end`` from any configuration mode;
``show privilege``; ``show startup-config``; ``write memory`` / ``copy running-config startup-config`` save
to ``<state-dir>/startup-config``, which is loaded again at start; ``| include``, ``| exclude``, ``| begin``
and ``| section`` with regular expressions on show commands. After each line, port and SVI changes are
forwarded to the fabric. The SSH host key is kept in the state directory.

Fault hook for tests: ``--drop-after K`` (or a file ``<state-dir>/drop-after`` holding K, read when a
session opens) drops the next session after it has sent K lines in configuration mode, before the next line
is applied. It fires once.

Ports: servers on GigabitEthernet1/0/1-24, uplinks GigabitEthernet1/1/1-4 (trunks carrying the staging VLAN
at first start). A trunk's fabric carries only those of its allowed VLANs that the switch has.

Run: ``python3 -m provisioner.lab.switch_sim --name sw-lab-01 --port 2201 --state-dir DIR
[--fabric ovs|none] [--layer2] [--credentials NAME]`` with the login from ``COLO_CRED_<NAME>_USERNAME`` /
``_PASSWORD`` / ``_ENABLE`` (NAME ``sw-lab`` by default) or ``DIR/credentials.env``.

Modules: `grammar` (the command forms of each mode), `processors` (the modes), `piping` (``| include``
and the like), `config` (the switch state and its saved configuration), `mirror` (changes forwarded to the
fabric), `core` (a switch and its SSH sessions), `ssh` (the SSH server), `__main__` (the command).
"""
