"""The spark phase's entry point against a real Spark Connect server (a private Sail) and the real S3:
results, Delta and Parquet outputs read back, lineage, engine caps and the engine's own error messages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as papq
import pytest
from deltalake import DeltaTable, write_deltalake

from controlroom.lakehouse.errors import EngineCapExceeded, LakehouseError
from controlroom.lakehouse.spark_models import SparkRun
from controlroom.lakehouse.spark_phase import check_query, execute
from controlroom.lakehouse.storage import DataPlane

from .conftest import Sail

JOBS_DIR = str(Path(__file__).resolve().parent)
# A job that takes ~60 s by sleeping in a UDF on the server, far beyond the tests' timeouts. Sleeping, not
# computing, and on a server of the test's own (own_sail): Sail 0.7.2 lets an interrupted plan run on in
# the background (docs/spark.md).
SLOW = {"function": "jobs:slow", "pythonpath": [JOBS_DIR], "params": {"rows": 600, "seconds_per_row": 0.1}}


def _job(endpoint: str, **fields: Any) -> SparkRun:
    return SparkRun.model_validate({"endpoint": endpoint, **fields})


def _events(plane: DataPlane, uri: str) -> None:
    table = pa.table({"key": ["a", "b", "a", "c", "b", "a"], "amount": [1, 2, 3, 4, 5, 6]})
    location, options = plane.delta_location(uri)
    write_deltalake(location, table, storage_options=options)


def _read_delta(plane: DataPlane, uri: str) -> pa.Table:
    location, options = plane.delta_location(uri)
    return DeltaTable(location, storage_options=options).to_pyarrow_table()


def test_a_query_over_a_delta_input_writes_a_delta_table_that_reads_back(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    _events(plane, f"{root}events")
    result = execute(
        _job(
            sail_url,
            query="select key, count(*) as n, sum(amount) as total from events where amount >= :low "
            "group by key order by key",
            query_params={"low": 2},
            inputs=[{"name": "events", "uri": f"{root}events", "format": "delta"}],
            output={"uri": f"{root}totals", "format": "delta"},
        ),
        plane,
    )
    back = _read_delta(plane, f"{root}totals").sort_by("key").to_pylist()
    assert back == [
        {"key": "a", "n": 2, "total": 9},
        {"key": "b", "n": 2, "total": 7},
        {"key": "c", "n": 1, "total": 4},
    ]
    assert result["rows"] == 3
    assert result["inputs"] == [{"name": "events", "uri": f"{root}events", "format": "delta", "delta_version": 0}]
    output = result["output"]
    assert (output["format"], output["delta_version"], output["mode"]) == ("delta", 0, "overwrite")
    assert output["files"] >= 1
    assert output["size_bytes"] > 0
    assert result["engine"]["name"] == "default"
    assert result["engine"]["spark"]  # the server's version, as Spark Connect reports it
    assert result["engine"]["pyspark"] == "4.2.0"
    assert [c["name"] for c in result["schema"]] == ["key", "n", "total"]


def test_a_second_overwrite_is_a_new_table_version_and_counts_only_the_new_files(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    job = _job(sail_url, query="select id from range(5)", output={"uri": f"{root}ids"})
    first = execute(job, plane)
    second = execute(job, plane)
    assert (first["output"]["delta_version"], second["output"]["delta_version"]) == (0, 1)
    assert sorted(int(v or 0) for v in _read_delta(plane, f"{root}ids").column("id").to_pylist()) == [0, 1, 2, 3, 4]
    assert second["output"]["size_bytes"] == first["output"]["size_bytes"]


def test_a_pyspark_function_reads_parquet_and_writes_parquet(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    fs, path = plane.resolve(f"{root}events/part-0.parquet")
    with fs.open_output_stream(path) as stream:
        papq.write_table(pa.table({"key": ["x", "y", "x"], "amount": [10, 1, 5]}), stream)
    result = execute(
        _job(
            sail_url,
            function="jobs:totals_by_key",
            pythonpath=[JOBS_DIR],
            params={"min_amount": 2},
            inputs=[{"name": "events", "uri": f"{root}events", "format": "parquet"}],
            output={"uri": f"{root}out", "format": "parquet"},
        ),
        plane,
    )
    fs, path = plane.resolve(f"{root}out")
    back = papq.read_table(path, filesystem=fs).to_pylist()
    assert back == [{"key": "x", "n": 2, "total": 15}]
    assert result["rows"] == 1
    assert result["output"]["format"] == "parquet"
    assert result["output"]["files"] >= 1
    assert result["output"]["size_bytes"] > 0


def test_a_function_that_returns_no_dataframe_fails_with_the_reason(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    job = _job(sail_url, function="jobs:not_a_frame", pythonpath=[JOBS_DIR], output={"uri": f"{root}never"})
    with pytest.raises(LakehouseError, match="returned int; it must return a Spark DataFrame"):
        execute(job, plane)


def test_a_failing_job_is_reported_with_the_engines_message(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    _events(plane, f"{root}events")
    job = _job(
        sail_url,
        query="select no_such_column from events",
        inputs=[{"name": "events", "uri": f"{root}events", "format": "delta"}],
        output={"uri": f"{root}never"},
    )
    with pytest.raises(LakehouseError) as caught:
        execute(job, plane)
    message = str(caught.value)
    assert message.startswith("the Spark job failed: ")
    assert "no_such_column" in message  # Spark's own analysis message, not a generic failure


def test_a_result_over_max_rows_breaches_the_cap_and_writes_nothing(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    job = _job(sail_url, query="select id from range(1001)", engine={"max_rows": 1000}, output={"uri": f"{root}big"})
    with pytest.raises(EngineCapExceeded) as caught:
        execute(job, plane)
    assert caught.value.cap_breach["cap"] == "query_rows"
    assert caught.value.cap_breach["limit"] == 1000
    assert caught.value.cap_breach["measured"] == 1001
    location, options = plane.delta_location(f"{root}big")
    assert not DeltaTable.is_deltatable(location, storage_options=options)


def test_an_output_over_max_output_bytes_breaches_the_cap(
    sail_url: str, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    _, root = workspace_prefix
    job = _job(
        sail_url,
        query="select id, repeat('x', 100) as pad from range(2000)",
        engine={"max_output_bytes": 1000},
        output={"uri": f"{root}wide"},
    )
    with pytest.raises(EngineCapExceeded) as caught:
        execute(job, plane)
    assert caught.value.cap_breach["cap"] == "query_output_bytes"
    assert caught.value.measured > 1000


def test_a_query_past_its_timeout_is_interrupted_on_the_server(
    own_sail: Sail, plane: DataPlane, workspace_prefix: tuple[str, str]
) -> None:
    sail_url = own_sail.url
    _, root = workspace_prefix
    job = _job(sail_url, **SLOW, engine={"timeout_seconds": 4}, output={"uri": f"{root}never"})
    started = time.monotonic()
    with pytest.raises(EngineCapExceeded) as caught:
        execute(job, plane)
    elapsed = time.monotonic() - started
    assert caught.value.cap_breach["cap"] == "query_time"
    assert caught.value.cap_breach["limit"] == 4
    assert 4 <= caught.value.measured < 5
    assert elapsed < 4 + 5 + 2  # timeout + the worker thread's join bound + session close
    # The server is free again: a small query answers at once (the interrupted one no longer holds it).
    quick = execute(_job(sail_url, query="select 1 as one", output={"uri": f"{root}after"}), plane)
    assert quick["rows"] == 1


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("select * from delta.`s3://other-bucket/other-ws/table`", "names a path or URI"),
        ("select * from parquet.`/etc/passwd`", "names a path or URI"),
        ("select * from events; drop table events", "exactly one statement"),
        ("drop table events", "one Spark SQL SELECT"),
        ("insert into t select 1", "one Spark SQL SELECT"),
    ],
)
def test_a_query_may_read_only_its_declared_inputs(query: str, reason: str) -> None:
    with pytest.raises(LakehouseError, match=reason):
        check_query(query)


def test_a_plain_select_with_comments_and_a_with_clause_passes() -> None:
    check_query("-- totals\n/* by key */ with t as (select 1 as a) select a, concat('x', '/', 'y') from t;")
