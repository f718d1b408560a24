"""DuckDB under the query-engine caps.

The connection is extension-free and sealed: no file or network access from SQL (inputs arrive
only as registered datasets, so a query can read nothing its spec does not declare), and the
configuration is locked after the caps are set, so a query cannot `SET memory_limit` its way out.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import duckdb
import pyarrow as pa
from pydantic import JsonValue

from controlroom.lakehouse.errors import EngineCapExceeded, LakehouseError, QueryRejected
from controlroom.lakehouse.models import EngineCaps
from controlroom.lakehouse.sources import OpenedInput

BATCH_ROWS = 64 * 1024
_UNITS = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
# "failed to allocate data of size 32.0 MiB (33.6 MiB/61.0 MiB used)"
_OOM = re.compile(r"size ([\d.]+) (bytes|KiB|MiB|GiB|TiB) \(([\d.]+) (bytes|KiB|MiB|GiB|TiB)/")


@contextmanager
def connect(caps: EngineCaps, inputs: list[OpenedInput]) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="controlroom-duckdb-") as spill_dir:
        con = duckdb.connect(
            config={
                "memory_limit": f"{caps.memory_limit_bytes}B",
                "threads": caps.threads,
                # Empty: nowhere to spill, so memory_limit is a hard cap.
                "temp_directory": spill_dir if caps.spill_bytes else "",
                "max_temp_directory_size": f"{caps.spill_bytes}B",
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
            }
        )
        try:
            # After connecting: ICU (statically linked) is loaded only then, and the temp directory
            # cannot be set once external access is off.
            con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ results reach Arrow and Delta as UTC
            for item in inputs:
                con.register(item.spec.name, item.dataset)
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            yield con
        finally:
            con.close()


def run_query(
    con: duckdb.DuckDBPyConnection, query: str, caps: EngineCaps, params: Mapping[str, JsonValue] | None = None
) -> pa.Table:
    """The full result, or EngineCapExceeded; never a silently truncated result."""
    _check_statement(con, query, params or {})
    timeout = caps.timeout_seconds
    fired = threading.Event()

    def interrupt() -> None:  # DuckDB has no statement timeout; interrupt() is its cancel
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout, interrupt) if timeout is not None else None
    started = time.monotonic()
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        return _fetch(con, query, dict(params or {}), caps.max_rows)
    except duckdb.InterruptException:
        if timeout is None or not fired.is_set():
            raise
        raise EngineCapExceeded(
            "query_time", timeout, round(time.monotonic() - started, 3), "the query was interrupted at its timeout"
        ) from None
    except duckdb.OutOfMemoryException as exc:
        raise EngineCapExceeded(
            "query_memory",
            caps.memory_limit_bytes,
            _oom_measured(str(exc), caps),
            "DuckDB could not allocate within memory_limit"
            + ("" if caps.spill_bytes else " (spilling to disk is off: spill_bytes is 0)"),
        ) from None
    except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException) as exc:
        raise QueryRejected(f"the query was refused: {exc}") from None
    except duckdb.Error as exc:
        raise LakehouseError(f"the query failed: {exc}") from None
    finally:
        if timer is not None:
            timer.cancel()


def _check_statement(con: duckdb.DuckDBPyConnection, query: str, params: Mapping[str, JsonValue]) -> None:
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRejected(f"the query does not parse: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name for s in statements) or "none"
        raise QueryRejected(
            f"the query must be exactly one SELECT statement (found: {kinds}); the phase writes "
            "its result to the output itself"
        )
    wanted = set(statements[0].named_parameters)
    if wanted != set(params):
        raise QueryRejected(
            f"the query uses parameters {sorted(wanted)} but query_params gives {sorted(params)}; "
            "give exactly one value per $name"
        )


def _fetch(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, JsonValue], max_rows: int) -> pa.Table:
    reader = con.sql(query, params=params or None).to_arrow_reader(BATCH_ROWS)
    batches: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        rows += batch.num_rows
        if rows > max_rows:
            raise EngineCapExceeded(
                "query_rows",
                max_rows,
                rows,
                f"stopped after {rows} rows; the result has more rows than the cap (it is "
                "never truncated): aggregate or filter further, or raise engine.max_rows",
            )
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=reader.schema)


def _oom_measured(message: str, caps: EngineCaps) -> float:
    """What DuckDB held plus what it asked for when the allocation failed; the limit if unparseable."""
    match = _OOM.search(message)
    if match is None:
        return float(caps.memory_limit_bytes)
    wanted = float(match.group(1)) * _UNITS[match.group(2)]
    used = float(match.group(3)) * _UNITS[match.group(4)]
    return round(wanted + used)
