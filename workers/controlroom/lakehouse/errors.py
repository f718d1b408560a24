"""Typed failures of the sql phase, so the executor can tell a breached cap from a bad query."""

from __future__ import annotations

from typing import Literal

EngineCap = Literal["query_memory", "query_time", "query_rows", "query_output_bytes"]
_UNITS: dict[EngineCap, str] = {
    "query_memory": "bytes",
    "query_time": "seconds",
    "query_rows": "rows",
    "query_output_bytes": "bytes",
}


class LakehouseError(Exception):
    """A sql or quality phase could not do its work for a reason the spec's author can fix."""


class QueryRejected(LakehouseError):
    """DuckDB refused the query before running it (parse, binder or catalog error, or not exactly one
    SELECT): the same query over the same inputs is refused again, so a retry cannot help."""


class EngineCapExceeded(LakehouseError):
    """The query engine stopped a query at one of the spec's query-engine caps.

    `cap_breach` is the duck-typed contract with the phase wrapper (controlroom.phases.pyentry):
    an exception that carries it is reported as `cap_exceeded` with these numbers, not as `failed`.
    """

    def __init__(self, cap: EngineCap, limit: float, measured: float, detail: str) -> None:
        self.cap = cap
        self.limit = limit
        self.measured = measured
        self.unit = _UNITS[cap]
        self.detail = detail
        super().__init__(
            f"{cap} cap exceeded: limit {_number(limit)}, measured {_number(measured)} ({self.unit}): {detail}"
        )

    @property
    def cap_breach(self) -> dict[str, str | float]:
        return {
            "cap": self.cap,
            "limit": self.limit,
            "measured": self.measured,
            "unit": self.unit,
            "detail": self.detail,
        }

    def __reduce__(self) -> tuple[type[EngineCapExceeded], tuple[EngineCap, float, float, str]]:
        return type(self), (self.cap, self.limit, self.measured, self.detail)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class ExpectationsFailed(LakehouseError):
    """One or more data-quality expectations did not hold; the message lists every one of them."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(f"{len(failures)} expectation(s) failed: " + "; ".join(failures))
