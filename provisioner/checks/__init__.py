"""The access check: what a user outside the server's VLAN can reach.

`target` says what to check (the server's address, ports and applications, the site's DNS servers and CA
bundle) and `policy` how (timeouts, retries, which findings fail it, the one HTTP pass rule). One probe per
module: `icmp` (echo), `tcp` (connect), `dns` (an application's name through the site's DNS servers) and
`http` (status, response time, the TLS certificate's facts and its trust for the name). `run` puts them
together, each application reached by its name, every failing item retried (bounded) so that a server that
just moved VLAN gets time to appear; `report` holds the findings and the verdict as the register saves them.
"""

from provisioner.checks.dns import check_dns, host_name, resolve_a
from provisioner.checks.http import certificate_facts, check_http, tls_trust
from provisioner.checks.icmp import check_ping, parse_ping
from provisioner.checks.policy import HTTP_OK_STATUSES, CheckPolicy
from provisioner.checks.report import AccessCheckReport, CheckItem, Evidence, Failure
from provisioner.checks.run import check_application, planned_checks, run_access_check, with_retries
from provisioner.checks.target import AccessTarget, AppSpec, NameService, PortSpec, Scheme, access_target_for
from provisioner.checks.tcp import check_tcp

__all__ = [
    "HTTP_OK_STATUSES",
    "AccessCheckReport",
    "AccessTarget",
    "AppSpec",
    "CheckItem",
    "CheckPolicy",
    "Evidence",
    "Failure",
    "NameService",
    "PortSpec",
    "Scheme",
    "access_target_for",
    "certificate_facts",
    "check_application",
    "check_dns",
    "check_http",
    "check_ping",
    "check_tcp",
    "host_name",
    "parse_ping",
    "planned_checks",
    "resolve_a",
    "run_access_check",
    "tls_trust",
    "with_retries",
]
