"""Exceptions for control-plane refusals, mapped from PostgREST error codes and SQLSTATEs.

docs/errors.md is the table of record: SQLSTATE ↔ HTTP ↔ exception ↔ what to do. The mapping
below is the only place in Python that knows it.
"""

from __future__ import annotations

from typing import Any


class ControlPlaneError(Exception):
    """A refusal or failure reported by the control plane, with PostgREST's error fields."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: str | None = None,
        hint: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.details = details
        self.hint = hint
        self.status = status
        text = message if code is None else f"[{code}] {message}"
        if details:
            text += f" — {details}"
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)


class ConfigurationError(ControlPlaneError):
    """The URL or key is wrong: nothing the control plane said, so nothing to retry."""


class Unavailable(ControlPlaneError):
    """The control plane could not be reached, or answered that it cannot serve now (PostgREST's
    503 PGRST000/PGRST001/PGRST002 while Postgres restarts, a gateway's 502/503/504, a connection
    reset or timeout): retry later. Idempotent calls were retried already (transport.RetryPolicy)."""


class Unauthorized(ControlPlaneError):
    """Missing, expired or forged credentials (HTTP 401)."""


class Forbidden(ControlPlaneError):
    """The caller's role or workspace membership does not allow this (42501 / PT403)."""


class NotFound(ControlPlaneError):
    """Unknown id, spec or function (PT404 / PGRST202 / PGRST205)."""


class InvalidInput(ControlPlaneError):
    """Bad parameters: the request can never succeed as sent (PT400, 22xxx, 23502, 23514)."""


class Conflict(ControlPlaneError):
    """The request conflicts with existing state (PT409 conflicts, 23505)."""


class LeaseLost(Conflict):
    """The attempt's lease is no longer valid: stop the phase, report nothing more for it."""


class InvalidTransition(Conflict):
    """The run is not in a state that allows this change (e.g. completing a cancelled run), or the
    change would take a workspace's last owner away (make another member owner first)."""


class PayloadTooLarge(ControlPlaneError):
    """The batch or document exceeds the control plane's bound (PT413): split the batch, or pass
    large params and spec content by reference (docs/caps.md, "Input bounds")."""


class QueueFull(ControlPlaneError):
    """The workspace already holds its max_queued_runs queued runs (PT429): retry once queued runs
    have been claimed, or ask a workspace admin to raise the limit (docs/caps.md)."""


class ServerError(ControlPlaneError):
    """An unexpected database or gateway failure (HTTP 5xx)."""


class InvalidReply(ServerError):
    """The reply cannot be decoded within the client's bounds (size, nesting depth): the worker
    refuses it rather than crash on it (RecursionError, MemoryError)."""


# Codes the control plane raises with a specific meaning (see docs/errors.md); filled in from the
# control plane's table so that each SQLSTATE has exactly one exception class.
BY_CODE: dict[str, type[ControlPlaneError]] = {
    "42501": Forbidden,
    "PT401": Unauthorized,
    "PT403": Forbidden,
    "PT404": NotFound,
    "PT400": InvalidInput,
    "PT409": LeaseLost,
    "PT422": InvalidTransition,
    "PT413": PayloadTooLarge,
    "PT429": QueueFull,
    "PT503": Unavailable,
    # PostgREST cannot use its database connection (Postgres restarting, crashed, or its schema
    # cache not loaded yet): the request was not served, so it is "try again", never a refusal.
    "PGRST000": Unavailable,
    "PGRST001": Unavailable,
    "PGRST002": Unavailable,
    "PGRST003": Unavailable,  # timed out waiting for a pooled connection (504)
    "PGRST202": NotFound,
    "PGRST205": NotFound,
    "PGRST301": Unauthorized,
    "PGRST302": Unauthorized,
    "PGRST303": Unauthorized,
    "23505": Conflict,
    "23502": InvalidInput,
    "23514": InvalidInput,
    "22023": InvalidInput,
    "22P02": InvalidInput,
}

BY_STATUS: dict[int, type[ControlPlaneError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: QueueFull,
    # A gateway or proxy in front of the API that cannot reach it, or the API itself overloaded.
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}

# The PostgREST code whose request never reached a database transaction (schema cache not loaded):
# retrying it is safe even for calls that are not idempotent. (PGRST000 is not: the local gateway
# also answers it for an internal error, which may come after the transaction.)
NOT_APPLIED_CODES = frozenset({"PGRST002"})

# Errors no retry or restart can fix: the worker stops with a non-zero exit and a clear message
# (wrong URL or key, an expired or forged token, a role without the grant, an API without the
# functions of this version). Everything else a worker meets is survived.
FATAL: tuple[type[ControlPlaneError], ...] = (ConfigurationError, Unauthorized, Forbidden, NotFound)


def is_fatal(exc: BaseException) -> bool:
    """True for errors that need a person (configuration, credentials), not a retry."""
    return isinstance(exc, FATAL)


def is_transient(exc: BaseException) -> bool:
    """True for errors a later retry of the same call may not meet (outages, unexpected 5xx)."""
    return isinstance(exc, (Unavailable, ServerError)) and not isinstance(exc, InvalidReply)


def from_response(body: dict[str, Any], status: int | None) -> ControlPlaneError:
    code = body.get("code")
    code = str(code) if code is not None else None
    cls: type[ControlPlaneError] = ServerError
    if code in BY_CODE:
        cls = BY_CODE[code]
    elif status in BY_STATUS:
        cls = BY_STATUS[status]
    elif status is not None and status < 500:
        cls = InvalidInput
    return cls(
        str(body.get("message") or "request refused"),
        code=code,
        details=body.get("details"),
        hint=body.get("hint"),
        status=status,
    )
