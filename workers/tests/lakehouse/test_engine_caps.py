"""Query-engine caps: DuckDB's memory_limit, a query timeout and a result-row cap each stop the query
with EngineCapExceeded naming the cap, the limit and what was measured; nothing is written."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import duckdb
import pytest

from controlroom.lakehouse.engine import connect, run_query
from controlroom.lakehouse.errors import EngineCapExceeded
from controlroom.lakehouse.models import EngineCaps
from controlroom.lakehouse.storage import DataPlane

from .helpers import keys_under, read_delta, run_sql

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
# A hash aggregate over 3M groups of lists: hundreds of MiB, far over a 64 MiB limit.
MEMORY_HOG = (
    "select count(*) from (select r % 3000000 as k, list(repeat('x', 50)) as l from range(6000000) t(r) group by k)"
)
# 10^10 rows through a cross join: minutes of work, interrupted long before.
ENDLESS = "select sum(a.range * b.range) as s from range(100000) a, range(100000) b"


def test_a_query_over_its_memory_limit_is_stopped(plane: DataPlane, s3: S3Client, prefix: str) -> None:
    with pytest.raises(EngineCapExceeded) as caught:
        run_sql(
            plane,
            query=MEMORY_HOG,
            output={"uri": f"{prefix}/never"},
            engine={"memory_limit_bytes": 64 * MiB, "threads": 1},
        )
    breach = caught.value
    assert (breach.cap, breach.limit, breach.unit) == ("query_memory", 64 * MiB, "bytes")
    assert breach.measured > breach.limit
    assert "spilling to disk is off" in breach.detail
    assert str(breach).startswith(f"query_memory cap exceeded: limit {64 * MiB}, measured ")
    assert keys_under(s3, f"{prefix}/never") == []


def test_small_queries_run_fine_under_the_same_caps(plane: DataPlane, prefix: str) -> None:
    lineage = run_sql(
        plane,
        query="select count(*) as n from range(100000) group by range % 10",
        output={"uri": f"{prefix}/ok"},
        engine={"memory_limit_bytes": 64 * MiB, "threads": 1},
    )
    assert lineage["rows"] == 10


def test_a_result_over_max_rows_fails_instead_of_being_truncated(plane: DataPlane, s3: S3Client, prefix: str) -> None:
    with pytest.raises(EngineCapExceeded) as caught:
        run_sql(
            plane,
            query="select range as id from range(100001)",
            output={"uri": f"{prefix}/never"},
            engine={"max_rows": 100000},
        )
    breach = caught.value
    assert (breach.cap, breach.limit, breach.unit) == ("query_rows", 100000, "rows")
    assert breach.measured > 100000
    assert "never truncated" in breach.detail
    assert keys_under(s3, f"{prefix}/never") == []


def test_a_result_of_exactly_max_rows_is_written_whole(plane: DataPlane, prefix: str) -> None:
    lineage = run_sql(
        plane,
        query="select range as id from range(100000)",
        output={"uri": f"{prefix}/all"},
        engine={"max_rows": 100000},
    )
    assert lineage["rows"] == 100000
    assert read_delta(plane, f"{prefix}/all").num_rows == 100000


def test_a_query_over_its_timeout_is_interrupted(plane: DataPlane, prefix: str) -> None:
    with pytest.raises(EngineCapExceeded) as caught:
        run_sql(plane, query=ENDLESS, output={"uri": f"{prefix}/never"}, engine={"timeout_seconds": 0.5})
    breach = caught.value
    assert (breach.cap, breach.limit, breach.unit) == ("query_time", 0.5, "seconds")
    assert breach.measured >= 0.5
    assert "interrupted at its timeout" in breach.detail


def test_the_caps_are_applied_and_cannot_be_changed_from_sql() -> None:
    caps = EngineCaps(memory_limit_bytes=64 * MiB, threads=1)
    with connect(caps, []) as con:
        settings = run_query(
            con,
            "select current_setting('memory_limit') as m, current_setting('threads') as t, "
            "current_setting('temp_directory') as tmp",
            caps,
        ).to_pylist()
        assert settings == [{"m": "64.0 MiB", "t": 1, "tmp": ""}]
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            con.execute("SET memory_limit = '8GB'")


def test_the_breach_travels_as_data() -> None:
    breach = EngineCapExceeded("query_rows", 10, 11, "stopped after 11 rows")
    assert breach.cap_breach == {
        "cap": "query_rows",
        "limit": 10,
        "measured": 11,
        "unit": "rows",
        "detail": "stopped after 11 rows",
    }
    again = pickle.loads(pickle.dumps(breach))  # noqa: S301 - our own bytes, made one line above
    assert (again.cap, again.limit, again.measured, str(again)) == ("query_rows", 10, 11, str(breach))


SORT = "select count(*) as n from (select range as r, repeat('x', 100) as s from range(3000000) order by s, r desc)"


def test_spill_bytes_lets_a_sort_larger_than_memory_limit_finish_on_disk() -> None:
    tight = EngineCaps(memory_limit_bytes=64 * MiB, threads=1)
    with connect(tight, []) as con, pytest.raises(EngineCapExceeded, match="query_memory"):
        run_query(con, SORT, tight)
    spilling = EngineCaps(memory_limit_bytes=64 * MiB, threads=1, spill_bytes=1024 * MiB)
    with connect(spilling, []) as con:
        assert run_query(con, SORT, spilling).to_pylist() == [{"n": 3000000}]
