#!/usr/bin/env bash
# Installs everything colo-provisioner, its lab and its tests need on a fresh Debian 12 machine (run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh installs system packages and builds the lab: run it as root (sudo)." >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
# Every program the code, the lab, the tests and the benches run on the host comes from one of these (or from
# Debian's required packages): provisioner/host_programs.py lists them, tests/unit/test_host_programs.py checks.
apt_packages=(
  # the lab: namespaces, firewall rules, Open vSwitch, server image, monitoring, DNS and NTP in the NOC
  iproute2 procps ethtool iputils-ping nftables openssh-client openssl debootstrap openvswitch-switch prometheus prometheus-blackbox-exporter
  bind9 bind9-utils bind9-dnsutils chrony
  # Zabbix 6.0 in the NOC (colo lab up --monitoring zabbix): php8.2-fpm named before the frontend keeps apache out
  php8.2-fpm nginx zabbix-server-pgsql zabbix-frontend-php php-pgsql zabbix-agent
  # Molecule with podman (no registry, no Docker engine)
  podman runc fuse-overlayfs slirp4netns uidmap
  # the register on PostgreSQL (and psql for the lab's Zabbix database)
  postgresql postgresql-client
  # documents: WeasyPrint's system libraries, fonts, and pdftotext, pdfsig, pdftoppm and zbarimg (the pages'
  # QR codes) for the tests
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils zbar-tools
  # a PKCS#11 token for the signing tests (SoftHSM2)
  softhsm2
  git
  # Python: pip on a machine where python3 is Debian's own
  python3 python3-pip python3-dev
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  # Nothing installed here starts at install time (nginx would take :80): the lab starts each daemon itself.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian marks its own python3 as externally managed; this machine's colo lives in it on purpose (it runs
# as root beside the lab). Where python3 is not Debian's (pyenv, a venv), the setting changes nothing.
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e '.[dev,lab]'
# fake-switches pins an ancient Twisted that does not build on Python 3.11; its real needs are in the lab extra.
python3 -m pip install -q --no-deps 'fake-switches==1.5.0'

for f in scripts/setup.d/*.sh; do
  [ -e "$f" ] || continue
  echo "setup: $f"
  bash "$f"
done
