"""Entry point of data-quality phases: `controlroom.lakehouse.quality:run`. Evaluates every expectation
(so one run reports all that failed), then fails the phase if any did not hold."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from pydantic import ValidationError

from controlroom.lakehouse.engine import connect, run_query
from controlroom.lakehouse.errors import ExpectationsFailed, LakehouseError
from controlroom.lakehouse.models import Expectation, QualityJob
from controlroom.lakehouse.sources import open_input
from controlroom.lakehouse.storage import DataPlane


def run(params: dict[str, Any]) -> dict[str, Any]:
    try:
        job = QualityJob.model_validate(params)
    except ValidationError as exc:
        raise LakehouseError(f"invalid quality phase params: {exc}") from None
    return evaluate(job, DataPlane.from_env())


def evaluate(job: QualityJob, plane: DataPlane) -> dict[str, Any]:
    inputs = [open_input(spec, plane) for spec in job.inputs]
    results = []
    with connect(job.engine, inputs) as con:
        for expectation in job.expectations:
            rows = run_query(con, expectation.query, job.engine).to_pylist()
            results.append(_verdict(expectation, rows))
    failures = [f"{r['name']} (observed {r['observed']})" for r in results if not r["ok"]]
    if failures:
        for result in results:
            print(f"{'ok  ' if result['ok'] else 'FAIL'} {result['name']}: {result['observed']}")
        raise ExpectationsFailed(failures)
    return {"expectations": results, "inputs": [item.lineage() for item in inputs]}


def _verdict(expectation: Expectation, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if len(rows) != 1 or "ok" not in rows[0] or not isinstance(rows[0]["ok"], bool | None):
        raise LakehouseError(
            f"expectation {expectation.name!r} must return exactly one row with a boolean column 'ok' "
            f"(got {len(rows)} row(s){', columns ' + ', '.join(rows[0]) if rows else ''})"
        )
    observed = {k: _json(v) for k, v in rows[0].items() if k != "ok"}
    # NULL is not a pass: an expectation over missing data has not been shown to hold.
    return {"name": expectation.name, "ok": rows[0]["ok"] is True, "observed": observed}


def _json(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value
