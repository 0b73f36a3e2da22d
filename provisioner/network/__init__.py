"""Switch configuration: validated intents, per-platform templates, and a safe change with a way back.

    with SessionPool(register) as pool:
        plan = plan_change(switch, intents, pool)          # what would be sent (--check)
        result = apply_change(switch, intents, pool)       # snapshot, diff, push, save, read back
"""

from provisioner.network.change import ChangePlan, ChangeResult, SwitchChangeError, apply_change, plan_change
from provisioner.network.models import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveVlanIntent,
    ResetPortIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    SwitchTarget,
    VlanIntent,
)
from provisioner.network.platforms import PLATFORMS, Platform, platform_for
from provisioner.network.session import LineRefusedError, SessionLostError, SessionPool

__all__ = [
    "PLATFORMS",
    "AccessPortIntent",
    "ChangePlan",
    "ChangeResult",
    "LineRefusedError",
    "Platform",
    "RemoveSviIntent",
    "RemoveVlanIntent",
    "ResetPortIntent",
    "SessionLostError",
    "SessionPool",
    "StagingPortIntent",
    "SviIntent",
    "SwitchChangeError",
    "SwitchIntent",
    "SwitchTarget",
    "VlanIntent",
    "apply_change",
    "plan_change",
    "platform_for",
]
