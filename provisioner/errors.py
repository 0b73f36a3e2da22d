"""Errors that end a command, each carrying the contract's exit code.

0 done, 1 unexpected failure or infrastructure that did not answer, 2 bad input (nothing changed),
3 refused by the process (no capacity, step out of order, spec mismatch, access check failed).
"""

from __future__ import annotations

from collections.abc import Sequence


class ColoError(Exception):
    """A failure the CLI reports as a message and an exit code, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def lines(self) -> list[str]:
        """The message followed by one line per problem."""
        return [self.message, *self.problems]


class InfrastructureError(ColoError):
    """A switch, server, monitoring system or database did not answer or failed."""

    exit_code = 1


class BadInput(ColoError):
    """A request file, facility file or argument is invalid; nothing was changed."""

    exit_code = 2


class NotFound(BadInput):
    """A named request, switch, host or record does not exist."""


class Refused(ColoError):
    """The process refuses: no capacity, a step out of order, a spec mismatch, a failed access check."""

    exit_code = 3


class OutOfOrder(Refused):
    """A step was run before the step that must come first."""


class NoCapacity(Refused):
    """The facility lacks a resource the request needs."""


class SpecMismatch(Refused):
    """The delivered server does not match the requested specification."""


class AccessCheckFailed(Refused):
    """The server or one of its applications is not reachable as requested."""
