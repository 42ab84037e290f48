"""What can go wrong talking to MobProc, as exceptions the core can act on."""

from __future__ import annotations


class MobProcError(Exception):
    """MobProc answered with an error. ``message`` is fit to show to a person."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_id = error_id


class MobProcNotFound(MobProcError):
    """404: the service, order or route does not exist."""


class MobProcRefused(MobProcError):
    """4xx: MobProc refused the request; retrying will not help."""


class MobProcAuthError(MobProcError):
    """The token URL refused our credentials, or a fresh token was refused too."""


class MobProcUnavailable(MobProcError):
    """Timeout, connection error or 5xx: MobProc could not answer just now."""


class MobProcOutcomeUnknown(MobProcUnavailable):
    """The request was sent but no answer came back: it may or may not have taken effect."""
