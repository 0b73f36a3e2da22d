"""Stage 2, verify: the server's facts over its staging address against the request; nothing else runs on a
mismatch."""

from __future__ import annotations

from dataclasses import asdict

from provisioner.errors import SpecMismatch
from provisioner.runner import gather_server_facts
from provisioner.spec import compare_spec, ensure_spec
from provisioner.stages.base import Details, StageContext, StageFailedError
from provisioner.stages.servers import known_hosts, run_dir, server_target


class VerifyStage:
    name = "verify"
    title = "verifikasi spesifikasi (verify)"

    def run(self, ctx: StageContext) -> Details:
        address = ctx.delivered.staging_address
        facts = gather_server_facts(
            server_target(ctx, address), run_dir(ctx), known_hosts=known_hosts(ctx)
        )
        findings = compare_spec(ctx.request.server, facts, ctx.delivered.serial)
        details: Details = {
            "address": address,
            "checks": [asdict(f) for f in findings],
            "facts": facts.model_dump(mode="json"),
        }
        try:
            ensure_spec(findings)
        except SpecMismatch as exc:
            raise StageFailedError(exc, details) from None
        return details
