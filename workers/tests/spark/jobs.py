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
