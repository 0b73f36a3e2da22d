"""The fault hook both simulators share: drop a session after K configuration lines (tests arm it)."""

from __future__ import annotations

from pathlib import Path


def take_drop_after(state_dir: Path, armed: int | None) -> tuple[int | None, None]:
    """The armed fault for the session that opens now (the option's, or a ``drop-after`` file holding K, which
    is consumed), and what stays armed after it (nothing: it fires once)."""
    trigger = state_dir / "drop-after"
    if trigger.exists():
        armed = int(trigger.read_text().strip())
        trigger.unlink()
    return armed, None
