"""The sql phase over CSV, Parquet and Delta inputs (local and on S3), writing Delta or Parquet,
with the lineage it returns."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as papq
import pytest

from controlroom.lakehouse.errors import LakehouseError
from controlroom.lakehouse.sql_phase import engine_versions, run
from controlroom.lakehouse.storage import DataPlane

from .helpers import get, put, read_delta, run_sql

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CSV = b"carrier,month,arr_delay,tailnum\nUA,7,10,N1\nUA,7,-4,NA\nAA,7,NA,N2\nUA,8,30,\n"


def test_csv_on_s3_to_a_delta_table_on_s3(plane: DataPlane, s3: S3Client, prefix: str) -> None:
    put(s3, f"{prefix}/raw/flights.csv", CSV)
    lineage = run_sql(
        plane,
        query="select carrier, month, count(*) as flights, avg(arr_delay) as mean_delay, count(tailnum) as tails "
        "from raw group by all order by all",
        inputs=[{"name": "raw", "uri": f"{prefix}/raw/flights.csv", "format": "csv"}],
        output={"uri": f"{prefix}/gold/delays", "format": "delta"},
    )
    assert lineage["rows"] == 3
    assert lineage["schema"] == [
        {"name": "carrier", "type": "string"},
        {"name": "month", "type": "int64"},
        {"name": "flights", "type": "int64"},
        {"name": "mean_delay", "type": "double"},
        {"name": "tails", "type": "int64"},
    ]
    assert lineage["output"] == {
        "uri": f"{prefix}/gold/delays",
        "format": "delta",
        "mode": "overwrite",
        "delta_version": 0,
        "sha256": None,
        "size_bytes": None,
    }
    assert lineage["inputs"] == [
        {"name": "raw", "uri": f"{prefix}/raw/flights.csv", "format": "csv", "delta_version": None}
    ]
    assert lineage["engine"] == engine_versions()
    # "NA" and "" are NULL, in text columns too, so the 2 UA July flights have 1 known tail.
    assert read_delta(plane, f"{prefix}/gold/delays").to_pylist() == [
        {"carrier": "AA", "month": 7, "flights": 1, "mean_delay": None, "tails": 1},
        {"carrier": "UA", "month": 7, "flights": 2, "mean_delay": 3.0, "tails": 1},
        {"carrier": "UA", "month": 8, "flights": 1, "mean_delay": 30.0, "tails": 0},
    ]


def test_local_parquet_to_a_parquet_file_on_s3_with_its_digest(
    plane: DataPlane, s3: S3Client, prefix: str, tmp_path: Path
) -> None:
    papq.write_table(
        pa.table({"x": list(range(100)), "even": [i % 2 == 0 for i in range(100)]}), tmp_path / "numbers.parquet"
    )
    lineage = run_sql(
        plane,
        query="select even, sum(x) as total from numbers group by even order by even",
        inputs=[{"name": "numbers", "uri": str(tmp_path / "numbers.parquet"), "format": "parquet"}],
        output={"uri": f"{prefix}/out/totals.parquet", "format": "parquet"},
    )
    body = get(s3, f"{prefix}/out/totals.parquet")
    assert lineage["output"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert lineage["output"]["size_bytes"] == len(body)
    assert lineage["output"]["delta_version"] is None
    assert papq.read_table(io.BytesIO(body)).to_pylist() == [
        {"even": False, "total": 2500},
        {"even": True, "total": 2450},
    ]


def test_delta_append_versions_and_time_travel(plane: DataPlane, prefix: str) -> None:
    table = f"{prefix}/silver/events"
    first = run_sql(plane, query="select range as id from range(3)", output={"uri": table})
    second = run_sql(plane, query="select range as id from range(3, 5)", output={"uri": table, "mode": "append"})
    assert (first["output"]["delta_version"], second["output"]["delta_version"]) == (0, 1)

    latest = run_sql(
        plane,
        query="select count(*) as n, sum(id) as s from events",
        inputs=[{"name": "events", "uri": table, "format": "delta"}],
        output={"uri": f"{prefix}/check/latest"},
    )
    pinned = run_sql(
        plane,
        query="select count(*) as n, sum(id) as s from events",
        inputs=[{"name": "events", "uri": table, "format": "delta", "version": 0}],
        output={"uri": f"{prefix}/check/pinned"},
    )
    assert latest["inputs"][0]["delta_version"] == 1
    assert pinned["inputs"][0]["delta_version"] == 0
    assert read_delta(plane, f"{prefix}/check/latest").to_pylist() == [{"n": 5, "s": 10}]
    assert read_delta(plane, f"{prefix}/check/pinned").to_pylist() == [{"n": 3, "s": 3}]


def test_overwrite_replaces_and_is_safe_to_retry(plane: DataPlane, prefix: str) -> None:
    table = f"{prefix}/gold/t"
    for _ in range(2):
        lineage = run_sql(plane, query="select 42 as answer", output={"uri": table})
    assert lineage["output"]["delta_version"] == 1
    assert read_delta(plane, table).to_pylist() == [{"answer": 42}]


def test_a_local_delta_table_and_csv_options(plane: DataPlane, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("code;amount\n007;1.5\n010;x\n")
    lineage = run_sql(
        plane,
        query="select code, amount from src order by code",
        inputs=[
            {
                "name": "src",
                "uri": f"file://{tmp_path}/in.csv",
                "format": "csv",
                "csv": {"delimiter": ";", "null_values": ["x"], "column_types": {"code": "string"}},
            }
        ],
        output={"uri": str(tmp_path / "lake" / "codes")},
    )
    assert lineage["schema"] == [{"name": "code", "type": "string"}, {"name": "amount", "type": "double"}]
    assert read_delta(plane, str(tmp_path / "lake" / "codes")).to_pylist() == [
        {"code": "007", "amount": 1.5},
        {"code": "010", "amount": None},
    ]


def test_query_params_are_bound_not_spliced(plane: DataPlane, prefix: str) -> None:
    lineage = run_sql(
        plane,
        query="select count(*) as n from range(10) where range >= $low and $label = 'x''; drop'",
        query_params={"low": 7, "label": "x'; drop"},
        output={"uri": f"{prefix}/p"},
    )
    assert lineage["rows"] == 1
    assert read_delta(plane, f"{prefix}/p").to_pylist() == [{"n": 3}]
    with pytest.raises(LakehouseError, match=r"the query uses parameters \['low'\] but query_params gives \[\]"):
        run_sql(plane, query="select $low as x", output={"uri": f"{prefix}/q"})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("insert into t values (1)", r"exactly one SELECT statement \(found: INSERT\)"),
        ("select 1; select 2", r"exactly one SELECT statement \(found: SELECT, SELECT\)"),
        ("set memory_limit = '64GB'", r"exactly one SELECT statement \(found: SET\)"),
        ("selec 1", r"the query does not parse: Parser Error"),
        (
            "select * from missing_table",
            r"the query was refused: Catalog Error: Table with name missing_table does not",
        ),
        # Inputs come only from the spec: SQL cannot reach files, the network or extensions itself.
        ("select * from read_csv('/etc/hostname')", r"file system operations are disabled"),
        ("select * from '/etc/hostname'", r"the query was refused: Catalog Error"),
    ],
)
def test_queries_are_one_select_over_declared_inputs_only(
    plane: DataPlane, prefix: str, query: str, message: str
) -> None:
    with pytest.raises(LakehouseError, match=message):
        run_sql(plane, query=query, output={"uri": f"{prefix}/never"})


def test_missing_inputs_and_occupied_outputs_are_clear_errors(plane: DataPlane, prefix: str) -> None:
    with pytest.raises(LakehouseError, match=r"input 'events': no Delta table at .*/nothing-here; check the URI"):
        run_sql(
            plane,
            query="select 1",
            inputs=[{"name": "events", "uri": f"{prefix}/nothing-here", "format": "delta"}],
            output={"uri": f"{prefix}/x"},
        )
    with pytest.raises(LakehouseError, match=r"input 'raw' \(csv at .*/none.csv\) cannot be opened"):
        run_sql(
            plane,
            query="select 1",
            inputs=[{"name": "raw", "uri": f"{prefix}/none.csv", "format": "csv"}],
            output={"uri": f"{prefix}/x"},
        )
    target = f"{prefix}/once.parquet"
    run_sql(plane, query="select 1 as a", output={"uri": target, "format": "parquet", "mode": "error"})
    with pytest.raises(LakehouseError, match=r"already exists and the output mode is error"):
        run_sql(plane, query="select 2 as a", output={"uri": target, "format": "parquet", "mode": "error"})
    run_sql(plane, query="select 1 as a", output={"uri": f"{prefix}/t", "mode": "error"})
    with pytest.raises(LakehouseError, match=r"writing the Delta table .*/t failed"):
        run_sql(plane, query="select 1 as a", output={"uri": f"{prefix}/t", "mode": "error"})


def test_the_entrypoint_takes_json_params_and_reads_the_environment(
    s3_env: dict[str, str], prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    lineage = run({"query": "select 1 as one", "output": {"uri": f"{prefix}/entry"}})
    assert lineage["rows"] == 1
    with pytest.raises(LakehouseError, match="invalid sql phase params"):
        run({"query": "select 1", "output": {"uri": "relative/path"}})
