"""The environment Ansible runs in: an allowlist, since ansible-runner records it in the artifacts."""

from __future__ import annotations

import re
from collections.abc import Mapping

_KEPT_ENV = frozenset({"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME",
                       "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION"})
_KEPT_ENV_PREFIXES = ("ANSIBLE_", "RUNNER_", "AWX_", "AD_HOC_COMMAND_ID", "ORIGINAL_STDOUT_CALLBACK")
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|CRED|PRIVATE|KEY_DATA", re.IGNORECASE)


def run_environment(runner_env: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """Cut ansible-runner's environment (a copy of ours plus its own) down to what Ansible needs.

    ansible-runner records this environment in the run's artifacts, so nothing named like a secret stays.
    """
    kept = {k: v for k, v in runner_env.items()
            if (k in _KEPT_ENV or k.startswith(_KEPT_ENV_PREFIXES)) and not _SECRET_NAME.search(k)}
    return {**kept, **extra}


def refuse_secrets(env: Mapping[str, str]) -> None:
    """ValueError when a variable a caller adds is named like a secret (names ending in _FILE may pass)."""
    secret_names = sorted(k for k in env if _SECRET_NAME.search(k) and not k.endswith("_FILE"))
    if secret_names:
        raise ValueError(f"secrets reach Ansible through files, not the environment: {secret_names}")
