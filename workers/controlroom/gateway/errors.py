"""PostgREST error bodies: `{code, message, details, hint}` plus the Proxy-Status header."""

from __future__ import annotations

from typing import Any

import orjson


class ApiError(Exception):
    """An error that becomes an HTTP response as-is (status, PostgREST body, extra headers)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        hint: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers = headers or []

    def body(self) -> bytes:
        if not self.code:  # Kong's own refusals carry only a message
            return orjson.dumps({"message": self.message})
        return orjson.dumps({"code": self.code, "details": self.details, "hint": self.hint, "message": self.message})


def parse_error(message: str, details: str | None = None) -> ApiError:
    return ApiError(400, "PGRST100", message, details)


def not_implemented(feature: str) -> ApiError:
    """Refuse loudly what the stand-in does not implement; silently ignoring it would return wrong data."""
    return ApiError(
        400,
        "PGRST127",
        "Feature not implemented",
        feature,
        "The local stand-in gateway supports RPC and plain read-only selects; use a real "
        "PostgREST (put `postgrest` on PATH) for this feature.",
    )


def invalid_body(details: str | None = None) -> ApiError:
    return ApiError(400, "PGRST102", "Empty or invalid json", details)


def schema_not_exposed(schema: str, exposed: tuple[str, ...]) -> ApiError:
    return ApiError(
        406,
        "PGRST106",
        f"Invalid schema: {schema}",
        None,
        f"Only the following schemas are exposed: {', '.join(exposed)}",
    )


def not_found_path() -> ApiError:
    return ApiError(404, "PGRST125", "Invalid path specified in request URL")
