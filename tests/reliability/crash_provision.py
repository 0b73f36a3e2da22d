"""A provisioning process that kills itself at the crash point $COLO_TEST_CRASH_AT names.

    python crash_provision.py DB_URL REQUEST_ID SITE_DIR OUTPUT_DIR

Stage boundaries come from the processor provisioner.testhooks.CrashPoints. Inside the
switch change: ``switch:half`` sends the first half of the configuration lines and dies; ``switch:unsaved``
dies once all lines are sent, before the switch saves them; ``switch:between`` dies once the first switch
that was sent anything is saved and read back (over the lab's two switches: before sw-lab-02 is touched).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from provisioner import testhooks


def _arm_switch() -> None:
    from provisioner.network.session import SwitchSession

    original = SwitchSession.configure

    def configure(self: SwitchSession, lines: Any, *, stay_in_config: bool = False) -> str:
        lines = list(lines)
        if testhooks.armed("switch:half") and len(lines) > 1:
            original(self, lines[: len(lines) // 2], stay_in_config=True)
            testhooks.checkpoint("switch:half")
        answer = original(self, lines, stay_in_config=stay_in_config)
        if any(line.strip().startswith("interface ") for line in lines):
            testhooks.checkpoint("switch:unsaved")
        return answer

    SwitchSession.configure = configure  # type: ignore[method-assign]

    from provisioner.network import change

    apply_one = change._apply_locked

    def apply_locked(pool: Any, one: Any) -> Any:
        result = apply_one(pool, one)
        if result.lines_sent:
            testhooks.checkpoint("switch:between")
        return result

    change._apply_locked = apply_locked


def main(db_url: str, request_id: str, site: str, output: str) -> int:
    from provisioner.register.db import open_register
    from provisioner.steps import provision

    _arm_switch()
    provision.run(open_register(db_url), request_id, Path(site), Path(output), actor="Yusuf Maulana, S.T.",
                  confirm=lambda _sheet: True, processors=[testhooks.CrashPoints()])
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
