"""Switch configuration: validated intents, per-platform templates, and a safe change with a way back.

    with SessionPool(register) as pool:
        plan = plan_change(switch, intents, pool)          # what would be sent (--check)
        result = apply_change(switch, intents, pool)       # snapshot, diff, push, save, read back
        results = apply_changes([SwitchChange(core, at_core), SwitchChange(access, at_access)], pool)
"""

from provisioner.network.change import (
    ChangePlan,
    ChangeResult,
    SwitchChange,
    SwitchChangeError,
    apply_change,
    apply_changes,
    plan_change,
    plan_changes,
)
from provisioner.network.models import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveTrunkVlanIntent,
    RemoveVlanIntent,
    ResetPortIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    SwitchTarget,
    TrunkVlanIntent,
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
    "RemoveTrunkVlanIntent",
    "RemoveVlanIntent",
    "ResetPortIntent",
    "SessionLostError",
    "SessionPool",
    "StagingPortIntent",
    "SviIntent",
    "SwitchChange",
    "SwitchChangeError",
    "SwitchIntent",
    "SwitchTarget",
    "TrunkVlanIntent",
    "VlanIntent",
    "apply_change",
    "apply_changes",
    "plan_change",
    "plan_changes",
    "platform_for",
]
