"""Zabbix 6.0 from Debian's packages, started from nothing in one directory: a private PostgreSQL cluster, the
server, the frontend (php-fpm behind nginx) and an agent, each daemon with its own configuration and pid file.

The lab keeps the server's configuration cache short (``CacheUpdateFrequency``) so that a new host is polled
within seconds; a real site keeps Zabbix's default (60 s) or what its load allows, and step 6 then waits up to
that long for a new server's agent to be seen.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from provisioner.errors import InfrastructureError
from provisioner.lab import procs

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SCHEMA_DIR = Path("/usr/share/zabbix-server-pgsql")
FRONTEND_DIR = Path("/usr/share/zabbix")
FRONTEND_CONF = Path("/etc/zabbix/zabbix.conf.php")
PHP_FPM = "php-fpm8.2"
LAB_CACHE_UPDATE_S = 2
ADMIN_USER = "Admin"
_FIRST_PASSWORD = "zabbix"  # noqa: S105  (the packages' documented first password, changed at once)


@dataclass(frozen=True)
class ZabbixPorts:
    """Where the lab's Zabbix listens: the frontend (HTTP), the server (trapper), PostgreSQL (socket only)."""

    address: str = "127.0.0.1"
    http: int = 8080
    server: int = 10051
    postgres: int = 5433


@dataclass(frozen=True)
class RunningZabbix:
    """A started Zabbix: its API URL, its admin login, its server's address and port."""

    dir: Path
    url: str
    user: str
    password: str
    server_address: str
    server_port: int


def _run(
    argv: list[str], *, user: str | None = None, stdin: bytes | None = None, netns: str | None = None
) -> None:
    if netns is not None:
        argv = ["ip", "netns", "exec", netns, *argv]
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    done = subprocess.run(argv, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise InfrastructureError(
            f"lab zabbix: {' '.join(argv)} failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-600:]}"
        )


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _postgres(root: Path, ports: ZabbixPorts) -> Path:
    """A private cluster (trust on its own socket only) holding the Zabbix schema, analysed."""
    data, run = root / "pg", root / "pg-run"
    fresh = not (data / "PG_VERSION").exists()
    for d in (data, run):
        d.mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "postgres", "postgres")
    if fresh:
        _run(
            [str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            user="postgres",
        )
    _run(
        [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(run / "postgres.log"),
            "-o",
            f"-c listen_addresses='' -c unix_socket_directories={run} -p {ports.postgres}",
            "start",
        ],
        user="postgres",
    )
    if fresh:
        psql = [
            str(PG_BIN / "psql"),
            "-h",
            str(run),
            "-p",
            str(ports.postgres),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
        ]
        _run(
            [*psql, "-d", "postgres", "-c", "CREATE DATABASE zabbix ENCODING 'UTF8' TEMPLATE template0"],
            user="postgres",
        )
        for part in ("schema", "images", "data"):
            sql = gzip.decompress((SCHEMA_DIR / f"{part}.sql.gz").read_bytes())
            _run([*psql, "-d", "zabbix"], user="postgres", stdin=sql)
        _run([*psql, "-d", "zabbix", "-c", "ANALYZE"], user="postgres")
    return run


def _server(root: Path, ports: ZabbixPorts, pg_run: Path, netns: str | None) -> None:
    conf = root / "zabbix_server.conf"
    _write(
        conf,
        "\n".join(
            [
                f"ListenIP={ports.address}",
                f"ListenPort={ports.server}",
                f"PidFile={root}/zabbix_server.pid",
                f"LogFile={root}/zabbix_server.log",
                f"SocketDir={root}",
                f"DBHost={pg_run}",
                f"DBPort={ports.postgres}",
                "DBName=zabbix",
                "DBUser=postgres",
                f"CacheUpdateFrequency={LAB_CACHE_UPDATE_S}",
                "StartPollers=2",
                "StartPreprocessors=1",
                "StartPingers=1",
                "StartDiscoverers=1",
                "StartHTTPPollers=1",
                "AllowRoot=1",
                "",
            ]
        ),
    )
    _run(["zabbix_server", "-c", str(conf)], netns=netns)


def _agent(root: Path, name: str, server: str, port: int, address: str, netns: str | None = None) -> None:
    conf = root / f"zabbix_agentd-{name}.conf"
    _write(
        conf,
        "\n".join(
            [
                f"Server={server}",
                f"Hostname={name}",
                f"ListenIP={address}",
                f"ListenPort={port}",
                f"PidFile={root}/zabbix_agentd-{name}.pid",
                f"LogFile={root}/zabbix_agentd-{name}.log",
                "AllowRoot=1",
                "",
            ]
        ),
    )
    _run(["zabbix_agentd", "-c", str(conf)], netns=netns)


def start_agent(root: Path, name: str, server: str, *, port: int = 10050, address: str = "127.0.0.1") -> None:
    """An agent named `name` answering `server`'s polls on `address:port` (a test's stand-in server)."""
    _agent(root, name, server, port, address)


def write_frontend_conf(ports: ZabbixPorts, pg_run: Path) -> None:
    """Debian's frontend configuration (one per machine) for this Zabbix's database and server."""
    _write(
        FRONTEND_CONF,
        "\n".join(
            [
                "<?php",
                "global $DB;",
                "$DB['TYPE'] = 'POSTGRESQL';",
                f"$DB['SERVER'] = '{pg_run}';",
                f"$DB['PORT'] = '{ports.postgres}';",
                "$DB['DATABASE'] = 'zabbix';",
                "$DB['USER'] = 'postgres';",
                "$DB['PASSWORD'] = '';",
                "$DB['SCHEMA'] = '';",
                f"$ZBX_SERVER = '{ports.address}';",
                f"$ZBX_SERVER_PORT = '{ports.server}';",
                "$ZBX_SERVER_NAME = 'colo lab';",
                "$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;",
                "",
            ]
        ),
        0o640,
    )
    shutil.chown(FRONTEND_CONF, "root", "www-data")


def _frontend(root: Path, ports: ZabbixPorts, pg_run: Path, netns: str | None) -> None:
    sock = root / "php-fpm.sock"
    _write(
        root / "php-fpm.conf",
        "\n".join(
            [
                "[global]",
                f"pid = {root}/php-fpm.pid",
                f"error_log = {root}/php-fpm.log",
                "",
                "[zabbix]",
                "user = www-data",
                "group = www-data",
                f"listen = {sock}",
                "listen.owner = www-data",
                "listen.group = www-data",
                "pm = static",
                "pm.max_children = 2",
                "php_value[date.timezone] = UTC",
                "php_value[post_max_size] = 16M",
                "php_value[max_execution_time] = 300",
                "php_value[max_input_time] = 300",
                "",
            ]
        ),
    )
    _write(
        root / "nginx.conf",
        "\n".join(
            [
                "user www-data;",
                "worker_processes 1;",
                f"pid {root}/nginx.pid;",
                f"error_log {root}/nginx-error.log;",
                "events { worker_connections 64; }",
                "http {",
                "  include /etc/nginx/mime.types;",
                f"  access_log {root}/nginx-access.log;",
                f"  client_body_temp_path {root}/nginx-tmp;",
                f"  fastcgi_temp_path {root}/nginx-tmp;",
                f"  proxy_temp_path {root}/nginx-tmp;",
                f"  uwsgi_temp_path {root}/nginx-tmp;",
                f"  scgi_temp_path {root}/nginx-tmp;",
                f"  server {{ listen {ports.address}:{ports.http}; root {FRONTEND_DIR}; index index.php;",
                "    location ~ \\.php$ { include /etc/nginx/fastcgi_params;",
                "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
                f"      fastcgi_pass unix:{sock}; fastcgi_read_timeout 300; }}",
                "  }",
                "}",
                "",
            ]
        ),
    )
    (root / "nginx-tmp").mkdir(exist_ok=True)
    _run([PHP_FPM, "-y", str(root / "php-fpm.conf")], netns=netns)
    _run(["nginx", "-c", str(root / "nginx.conf"), "-e", str(root / "nginx-error.log")], netns=netns)


def _api_ready(url: str, timeout_s: float) -> None:
    from zabbix_utils import ProcessingError, ZabbixAPI

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ZabbixAPI(url=url, timeout=10)
            return
        except ProcessingError as exc:
            if time.monotonic() > deadline:
                raise InfrastructureError(f"lab zabbix: the API at {url} did not answer: {exc}") from None
            time.sleep(0.3)


def _first_login(root: Path, url: str, wanted: str | None) -> str:
    """Change Admin's first password to one of the lab's own (kept in the directory) and disable the stock
    "Zabbix server" host (it polls an agent on 127.0.0.1)."""
    from zabbix_utils import ZabbixAPI

    saved = root / "admin-password"
    if saved.exists():
        return saved.read_text(encoding="utf-8").strip()
    password = wanted or secrets.token_urlsafe(18)
    api = ZabbixAPI(url=url, timeout=60)
    api.login(user=ADMIN_USER, password=_FIRST_PASSWORD)
    admin = api.user.get(filter={"username": ADMIN_USER}, output=["userid"])[0]
    api.user.update(userid=admin["userid"], passwd=password)
    stock = api.host.get(filter={"host": ["Zabbix server"]}, output=["hostid"])
    if stock:
        api.host.update(hostid=stock[0]["hostid"], status=1)
    _write(saved, password + "\n", 0o600)
    return password


def running(root: Path) -> bool:
    """Whether the server, php-fpm and nginx started from `root` all run."""
    return all(procs.daemon_pid(root / name) is not None
               for name in ("zabbix_server.pid", "php-fpm.pid", "nginx.pid"))


def start(
    root: Path,
    ports: ZabbixPorts = ZabbixPorts(),
    *,
    timeout_s: float = 120.0,
    netns: str | None = None,
    password: str | None = None,
) -> RunningZabbix:
    """Zabbix running from `root` (created from nothing, or restarted on the data kept there), its daemons in
    `netns` when given; Admin's password becomes `password` (else one generated) on the first start."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    url = f"http://{ports.address}:{ports.http}/"
    write_frontend_conf(ports, root / "pg-run")  # every start: the file may have been another Zabbix's
    if not running(root):
        stop(root)
        pg_run = _postgres(root, ports)
        _server(root, ports, pg_run, netns)
        _frontend(root, ports, pg_run, netns)
    _api_ready(url, timeout_s)
    password = _first_login(root, url, password)
    return RunningZabbix(root, url, ADMIN_USER, password, ports.address, ports.server)


def stop(root: Path) -> None:
    """Stop every daemon started from `root` (by its pid file), then PostgreSQL; a daemon already gone (a
    machine restarted, a killed run) leaves only its stale pid file, which is removed."""
    pids = [pid for pid in map(procs.daemon_pid, sorted(root.glob("*.pid"))) if pid is not None]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if Path(f"/proc/{p}").exists()]
        time.sleep(0.1)
    postmaster = root / "pg" / "postmaster.pid"
    if procs.daemon_pid(postmaster) is not None:
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(postmaster.parent), "-w", "-m", "fast", "stop"]
        _run(pg_ctl, user="postgres")
    else:
        postmaster.unlink(missing_ok=True)


LAB_PORTS = ZabbixPorts(address="10.231.253.2", http=8080, server=10051, postgres=5433)
"""The lab's Zabbix in the NOC: the frontend and API on :8080, the server's trapper on :10051."""
LAB_URL = f"http://{LAB_PORTS.address}:{LAB_PORTS.http}/"


def lab_dir_of(lab_dir: Path) -> Path:
    return lab_dir / "zabbix"


def start_lab(lab_dir: Path, netns: str, password: str) -> RunningZabbix:
    """The lab's Zabbix in the NOC namespace `netns`, its state under the lab's folder."""
    return start(lab_dir_of(lab_dir), LAB_PORTS, netns=netns, password=password)


def lab_running(lab_dir: Path) -> bool:
    return running(lab_dir_of(lab_dir))
