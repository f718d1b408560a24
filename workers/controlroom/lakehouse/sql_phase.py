"""Entry point of the sql phase kind: `controlroom.lakehouse.sql_phase:run`, called by the python
phase runner in its own subprocess, so the executor-level caps (wall, CPU, memory, output) hold on
top of the query-engine caps enforced here."""

from __future__ import annotations

import time
from typing import Any

import deltalake
import duckdb
import pyarrow as pa
from pydantic import ValidationError

from controlroom.lakehouse.engine import connect, run_query
from controlroom.lakehouse.errors import LakehouseError
from controlroom.lakehouse.models import SqlJob
from controlroom.lakehouse.sinks import write_output
from controlroom.lakehouse.sources import open_input
from controlroom.lakehouse.storage import DataPlane


def run(params: dict[str, Any]) -> dict[str, Any]:
    """Params: a SqlJob as JSON (query, inputs, output, engine). Returns the lineage record."""
    try:
        job = SqlJob.model_validate(params)
    except ValidationError as exc:
        raise LakehouseError(f"invalid sql phase params: {exc}") from None
    return execute(job, DataPlane.from_env())


def execute(job: SqlJob, plane: DataPlane) -> dict[str, Any]:
    started = time.monotonic()
    inputs = [open_input(spec, plane) for spec in job.inputs]
    with connect(job.engine, inputs) as con:
        table = run_query(con, job.query, job.engine, job.query_params)
    queried = time.monotonic()
    output = write_output(table, job.output, plane)
    return {
        "rows": table.num_rows,
        "schema": schema_of(table.schema),
        "output": output,
        "inputs": [item.lineage() for item in inputs],
        "engine": engine_versions(),
        "query_seconds": round(queried - started, 3),
        "write_seconds": round(time.monotonic() - queried, 3),
    }


def schema_of(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": field.name, "type": str(field.type)} for field in schema]


def engine_versions() -> dict[str, str]:
    return {"duckdb": duckdb.__version__, "deltalake": deltalake.__version__, "pyarrow": pa.__version__}
