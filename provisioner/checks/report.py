"""The access check's findings and verdict, as saved in the register and shown in the documents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, JsonValue, PlainSerializer, computed_field

from provisioner.errors import AccessCheckFailed

Evidence = dict[str, JsonValue]
Timestamp = Annotated[datetime, PlainSerializer(datetime.isoformat, when_used="json")]
"""Saved as datetime.isoformat() gives it ("+00:00"), as the register has always held it."""


class Failure(StrEnum):
    """Why a check by name failed, recorded as the item's evidence["failure"]."""

    NAME_NOT_RESOLVED = "name does not resolve"
    NAME_POINTS_ELSEWHERE = "name points to another address"
    CERTIFICATE_FOR_ANOTHER_NAME = "certificate for another name"
    CERTIFICATE_EXPIRED = "certificate expired"
    CERTIFICATE_UNTRUSTED = "certificate not trusted"


class CheckItem(BaseModel):
    """One finding. `required` False: a failure is a warning and does not fail the check."""

    model_config = ConfigDict(frozen=True)

    kind: str
    target: str
    ok: bool
    detail: str
    evidence: Evidence = {}
    required: bool = True

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """ok, failed, warning or not checkable."""
        if self.ok:
            return "ok"
        if self.evidence.get("checkable") is False:
            return "not checkable"
        return "failed" if self.required else "warning"

    @property
    def retryable(self) -> bool:
        """A failed required item that can be checked: worth another attempt (a warning does not change
        the verdict)."""
        return not self.ok and self.required and self.evidence.get("checkable") is not False


class AccessCheckReport(BaseModel):
    """The whole check; `model_dump(mode="json")` is what the register and the documents hold."""

    model_config = ConfigDict(frozen=True)

    target: str
    started: Timestamp
    finished: Timestamp
    passed: bool
    items: list[CheckItem]

    def failures(self) -> list[CheckItem]:
        return [item for item in self.items if not item.ok and item.required]

    def warnings(self) -> list[CheckItem]:
        return [item for item in self.items if not item.ok and not item.required]

    def raise_if_failed(self) -> None:
        """Raise AccessCheckFailed (exit code 3) listing every failed item."""
        if not self.passed:
            raise AccessCheckFailed(
                f"access check of {self.target} failed",
                [f"{i.kind} {i.target}: {i.detail}" for i in self.failures()],
            )
