"""Which failures a retry can fix: the executor names the kind of every failure it reports, and the
control plane decides with it (public.fail_run and the phase's `retry_on`, see docs/specs.md).

deterministic: the same code, spec and inputs fail the same way again (the entry point cannot be
imported or is missing, DuckDB refused the query while parsing or binding it, the spec is invalid at
execution, a cap was exceeded). transient: anything else, e.g. the network, S3, a lost lease, the
system's OOM killer. An error the executor cannot place is reported as transient, so it is retried
as it always was; a spec narrows that with `retry_on`.
"""

from __future__ import annotations

from typing import Literal

FailureKind = Literal["deterministic", "transient"]
FAILURE_KINDS: tuple[FailureKind, ...] = ("deterministic", "transient")

# Error classes (as reported: the exception's class name, or the executor's own codes).
DETERMINISTIC_CLASSES = frozenset(
    {
        "ImportError",
        "ModuleNotFoundError",
        "EntrypointMissing",  # controlroom.phases.pyentry: no such function, or not callable
        "QueryRejected",  # controlroom.lakehouse.errors: DuckDB parse, binder or catalog error
        "InvalidSpec",
        "uri_outside_workspace",
        "storage_role_missing",
        "reused_artifact_mismatch",  # controlroom.executor.repairs: a repair's reused output changed
        "CapExceeded",
        "cap_exceeded",
    }
)
# Named for the record; everything not deterministic is transient anyway.
TRANSIENT_CLASSES = frozenset(
    {
        "artifact_store_unavailable",
        "storage_credentials_unavailable",
        "ExecutorShutdown",
        "KilledBySignal",
        "ConnectionError",
        "TimeoutError",
    }
)


def failure_kind(error_class: str | None) -> FailureKind:
    """The kind of a failure reported under `error_class`."""
    if error_class is not None and error_class in DETERMINISTIC_CLASSES:
        return "deterministic"
    return "transient"
