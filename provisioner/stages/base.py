"""What every stage of step 6 shares: the Stage shape, its typed result, the context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from provisioner.errors import ColoError
from provisioner.register.db import Register
from provisioner.servers import ServerAccess

if TYPE_CHECKING:
    from provisioner.facility import Facility
    from provisioner.request import ColoRequest


class StageResult(BaseModel):
    """What the register keeps of a finished stage (no secrets). Keys a recorded event holds beside the
    result (its duration, an error) are ignored when it is read back."""

    model_config = ConfigDict(frozen=True, extra="ignore")


R = TypeVar("R", bound=StageResult)


@dataclass(frozen=True)
class StagePreview:
    """What a stage would do, changing nothing: a text for the technician, whether anything would change,
    and the result the stage would record where it is known beforehand (the held placement)."""

    text: str
    changes: bool
    result: StageResult | None = None


class Stage(Protocol):
    """One stage of step 6. ``run`` is safe to repeat; ``converged`` (optional) re-checks a finished stage."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def result_type(self) -> type[StageResult]:
        """The model of what ``run`` returns, which validates it again when read back from the register."""
        ...

    def run(self, ctx: StageContext) -> StageResult:
        """Do the stage's work and return what the register keeps of it."""
        ...

    def preview(self, ctx: StageContext) -> StagePreview:
        """What `run` would do (``colo provision --check``); nothing is changed."""
        ...


class StageFailedError(Exception):
    """A stage failed with ``error`` (carrying the exit code); ``evidence`` goes to the register."""

    def __init__(self, error: ColoError, evidence: StageResult) -> None:
        super().__init__(error.message)
        self.error = error
        self.evidence = evidence


class Delivered(BaseModel):
    """What step 4 recorded of the delivered server: its serial and where it answers on the staging VLAN."""

    model_config = ConfigDict(frozen=True)

    serial: str
    staging_address: str


@dataclass
class StageContext:
    """Everything a stage needs; stages take what earlier stages produced (``result``)."""

    register: Register
    request_id: str
    request: ColoRequest
    facility: Facility
    site_dir: Path
    output_dir: Path
    actor: str
    delivered: Delivered
    confirm: Callable[[str], bool]
    """Asked with the placement sheet: is the server racked and cabled?"""
    results: dict[str, StageResult] = field(default_factory=dict)
    """Each finished stage's result, by stage name."""
    ran_now: set[str] = field(default_factory=set)
    """The stages that ran in this run (not read back from the register)."""

    @property
    def server(self) -> ServerAccess:
        """The request's server as Ansible reaches it."""
        return ServerAccess(self.register, self.request_id, self.request.server.hostname,
                            self.facility.credential_source())

    def result(self, kind: type[R]) -> R:
        """The result of the earlier stage whose model is `kind`."""
        for value in self.results.values():
            if isinstance(value, kind):
                return value
        raise LookupError(f"{self.request_id}: no {kind.__name__} yet (its stage has not finished)")
