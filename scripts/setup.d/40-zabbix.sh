#!/usr/bin/env bash
# Zabbix 6.0 from Debian's packages for `colo lab up --monitoring zabbix` (server, frontend on php-fpm + nginx,
# agent). php8.2-fpm comes first so that apache is not pulled in. policy-rc.d keeps the postinst scripts from
# starting anything: the lab starts each daemon itself with its own configuration.
set -euo pipefail

packages=(php8.2-fpm nginx zabbix-server-pgsql zabbix-frontend-php php-pgsql zabbix-agent)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
fi
trap '[ "$had_policy" = 0 ] && rm -f "$policy"' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
