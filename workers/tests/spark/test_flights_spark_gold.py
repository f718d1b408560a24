"""The demo's Spark variant (specs/examples/flights_medallion_spark.yaml): from the bronze tables that the
DuckDB pipeline (flights_medallion.yaml) writes, Sail computes silver and gold again, and both gold tables
hold the same rows as the DuckDB ones (floating-point aggregates to 1e-9 relative)."""

from __future__ import annotations

import importlib
import math
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from deltalake import DeltaTable

from controlroom.lakehouse.storage import DataPlane
from controlroom.phases.models import PythonPhase
from controlroom.specs.load import load_spec
from controlroom.specs.params import resolve_params
from controlroom.specs.render import RunContext, render_phases

EXAMPLES = Path(__file__).resolve().parents[3] / "specs" / "examples"
DUCKDB_SPEC = EXAMPLES / "flights_medallion.yaml"
SPARK_SPEC = EXAMPLES / "flights_medallion_spark.yaml"
LATE_MINUTES = 30
GOLD = ("delays_by_carrier_month", "delays_by_origin_weather")
KEYS = {
    "delays_by_carrier_month": ("carrier", "month"),
    "delays_by_origin_weather": ("origin", "precip_bucket", "visibility_bucket"),
}


def _run_spec(path: Path, params: dict[str, Any], bucket: str, endpoint: str | None, skip: set[str]) -> dict[str, Any]:
    spec = load_spec(path)
    resolved = resolve_params(spec, params)
    run = RunContext.for_spec(spec, run_id=str(uuid.uuid4()), attempt=1, bucket=bucket)
    results: dict[str, Any] = {}
    for phase in render_phases(spec, resolved, run):
        runtime = phase.runtime
        assert isinstance(runtime, PythonPhase)
        if runtime.name in skip:
            continue
        call = dict(runtime.params)
        if phase.kind == "spark":
            call["endpoint"] = endpoint  # what the executor adds from CONTROLROOM_SPARK_ENDPOINTS
        module, _, function = runtime.entrypoint.partition(":")
        # The entry point counts its engine timeout from its process's start (a phase is a fresh
        # subprocess); called in this long-lived test process, it must count from now instead.
        with mock.patch("controlroom.lakehouse.spark_phase.process_age_seconds", return_value=0.0):
            results[runtime.name] = getattr(importlib.import_module(module), function)(call)
    return results


def _rows(plane: DataPlane, uri: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    location, options = plane.delta_location(uri)
    rows = DeltaTable(location, storage_options=options).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda r: tuple(r[k] for k in keys))


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.fixture(scope="module")
def lakes(sail_url: str, s3_env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    bucket = s3_env["CONTROLROOM_BUCKET"]
    prefix = f"tests/flights-spark-{uuid.uuid4().hex[:12]}"
    params = {"lake_prefix": prefix, "late_minutes": LATE_MINUTES}
    _run_spec(DUCKDB_SPEC, params, bucket, None, skip={"quality"})
    spark = _run_spec(SPARK_SPEC, params, bucket, sail_url, skip=set())
    return f"s3://{bucket}/{load_spec(DUCKDB_SPEC).workspace}/{prefix}", spark


@pytest.mark.parametrize("table", GOLD)
def test_spark_gold_rows_equal_the_duckdb_gold_rows(
    lakes: tuple[str, dict[str, Any]], plane: DataPlane, table: str
) -> None:
    lake, _ = lakes
    duckdb_rows = _rows(plane, f"{lake}/gold/{table}", KEYS[table])
    spark_rows = _rows(plane, f"{lake}/spark/gold/{table}", KEYS[table])
    assert len(spark_rows) == len(duckdb_rows) > 10
    assert set(spark_rows[0]) == set(duckdb_rows[0])
    mismatches = [
        (d, s)
        for d, s in zip(duckdb_rows, spark_rows, strict=True)
        if not all(_same(d[column], s[column]) for column in d)
    ]
    assert not mismatches, f"{len(mismatches)} rows differ, first: {mismatches[0]}"


def test_spark_silver_keeps_every_flight_and_records_its_lineage(lakes: tuple[str, dict[str, Any]]) -> None:
    _, results = lakes
    silver = results["silver_flights"]
    assert silver["rows"] == 336_776
    assert [i["name"] for i in silver["inputs"]] == ["flights", "airlines", "airports", "planes", "weather"]
    assert all(i["delta_version"] == 0 for i in silver["inputs"])
    assert silver["output"]["delta_version"] == 0
    assert silver["engine"]["name"] == "default"
