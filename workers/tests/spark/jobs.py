"""PySpark functions the tests run as `function:` of a spark phase."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def totals_by_key(spark: SparkSession, inputs: dict[str, DataFrame], params: dict[str, Any]) -> DataFrame:
    events = inputs["events"]
    return (
        events.where(F.col("amount") >= params["min_amount"])
        .groupBy("key")
        .agg(F.count("*").alias("n"), F.sum("amount").alias("total"))
        .orderBy("key")
    )


def not_a_frame(spark: SparkSession, inputs: dict[str, DataFrame], params: dict[str, Any]) -> int:
    return 42


def slow(spark: SparkSession, inputs: dict[str, DataFrame], params: dict[str, Any]) -> DataFrame:
    """Rows that take `seconds_per_row` each to compute, in a Python UDF on the server: slow without
    burning CPU, so an interrupted run costs the shared test server nothing but a sleeping thread."""
    seconds = float(params["seconds_per_row"])

    def nap(value: int) -> int:
        import time

        time.sleep(seconds)
        return value

    napping = F.udf(nap, "long")
    return spark.range(int(params["rows"]), numPartitions=1).select(napping("id").alias("id"))
