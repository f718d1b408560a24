"""Entry point of the spark phase kind: `controlroom.lakehouse.spark_phase:run`, called by the python
phase runner in its own subprocess (so the executor-level caps of the driver process hold), with a
Spark Connect endpoint the executor resolved from its configuration.

The inputs are read by the engine (Delta or Parquet, registered as temporary views under their names),
the query or function builds one DataFrame, and the engine writes it to the output. Before writing, the
result's rows are counted up to the cap (`limit(max_rows + 1)`), so a too-large result is never
written; after writing, the bytes the output added are measured from the data plane. The lineage record
(table versions read and written, rows, bytes, engine versions) is the phase's result, as for `sql`.
"""

from __future__ import annotations

import importlib
import re
import sys
import time
import warnings
from typing import Any

import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError
from pydantic import ValidationError

from controlroom.lakehouse.errors import EngineCapExceeded, LakehouseError
from controlroom.lakehouse.spark_models import SparkInput, SparkRun
from controlroom.lakehouse.spark_session import GuardedSession, open_session, process_age_seconds, redact
from controlroom.lakehouse.storage import DataPlane

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # "pandas 3 not fully supported": no pandas is used
    import pyspark
    from pyspark.errors import PySparkException
    from pyspark.sql import DataFrame, SparkSession

# A URI or an absolute path inside the SQL text (delta.`s3://…`, parquet.`/etc`): the query may read only
# its declared inputs, by name. Defence in depth: the engine's own credentials are the boundary (docs/spark.md).
_PATH_IN_SQL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/|`\s*/")
_FIRST_WORD = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)", re.S)


def run(params: dict[str, Any]) -> dict[str, Any]:
    """Params: a SparkRun as JSON, with the endpoint set by the executor. Returns the lineage record."""
    try:
        job = SparkRun.model_validate(params)
    except ValidationError as exc:
        raise LakehouseError(f"invalid spark phase params: {exc}") from None
    if job.endpoint is None:
        raise LakehouseError("no Spark Connect endpoint: the executor sets it from CONTROLROOM_SPARK_ENDPOINTS")
    # In the phase's own process, the engine timeout counts from its start, like the executor's wall cap.
    return execute(job, DataPlane.from_env(), started=time.monotonic() - process_age_seconds())


def check_query(query: str) -> None:
    first = _FIRST_WORD.match(query)
    if first is None or first.group(1).lower() not in ("select", "with"):
        raise LakehouseError(
            "the query must be one Spark SQL SELECT (or WITH … SELECT) over the inputs; the phase writes its "
            "result to the output itself"
        )
    if ";" in query.strip().rstrip(";"):
        raise LakehouseError("the query must be exactly one statement (found ';' between statements)")
    if _PATH_IN_SQL.search(query):
        raise LakehouseError(
            "the query names a path or URI: a spark phase reads only its declared inputs, by their names "
            "(declare the data set under inputs and use its name)"
        )


def execute(job: SparkRun, plane: DataPlane, started: float | None = None) -> dict[str, Any]:
    assert job.endpoint is not None
    if job.query is not None:
        check_query(job.query)
    started = time.monotonic() if started is None else started
    # Resolved before the engine reads them, and read at exactly these versions: the lineage is exact.
    versions = {item.name: _delta_version(item, plane) for item in job.inputs}
    with open_session(job.endpoint, session_conf(job, plane)) as spark:
        guarded = GuardedSession(spark, job.engine.timeout_seconds, started)
        try:
            rows, schema, server_version = guarded.run(lambda s: _compute_and_write(s, job, versions))
        except PySparkException as exc:
            raise LakehouseError(f"the Spark job failed: {_spark_message(exc)}") from None
    written = time.monotonic()
    output = _output_lineage(job, plane)
    size = output.get("size_bytes")
    if isinstance(size, int) and size > job.engine.max_output_bytes:
        raise EngineCapExceeded(
            "query_output_bytes",
            job.engine.max_output_bytes,
            size,
            f"the output {job.output.uri} added {size} bytes of data files (delta version "
            f"{output.get('delta_version')}); filter or aggregate further, or raise engine.max_output_bytes",
        )
    return {
        "rows": rows,
        "schema": schema,
        "output": output,
        "inputs": [
            {"name": i.name, "uri": i.uri, "format": i.format, "delta_version": versions[i.name]} for i in job.inputs
        ],
        "engine": {
            "name": job.engine.name,
            "endpoint": redact(job.endpoint),
            "spark": server_version,
            "pyspark": pyspark.__version__,
        },
        "spark_seconds": round(written - started, 3),
        "measure_seconds": round(time.monotonic() - written, 3),
    }


def session_conf(job: SparkRun, plane: DataPlane) -> dict[str, str]:
    conf = {"spark.sql.session.timeZone": "UTC"}
    if job.session_credentials:
        # Engines whose S3 connector reads the session's configuration (Apache Spark's S3A through
        # `sessionState.newHadoopConf`) get the run's vended, workspace-scoped credentials here. Sail and
        # Databricks do not: their boundary is the engine itself (one per workspace; docs/spark.md).
        for key, value in (
            ("fs.s3a.access.key", plane.access_key),
            ("fs.s3a.secret.key", plane.secret_key),
            ("fs.s3a.session.token", plane.session_token),
            ("fs.s3a.endpoint", plane.endpoint_url),
        ):
            if value:
                conf[key] = value
        if plane.session_token:
            conf["fs.s3a.aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        if plane.endpoint_url:
            conf["fs.s3a.path.style.access"] = "true"
    return conf


def _compute_and_write(
    spark: SparkSession, job: SparkRun, versions: dict[str, int | None]
) -> tuple[int, list[dict[str, str]], str]:
    frames = {item.name: _read(spark, item, versions[item.name]) for item in job.inputs}
    for name, frame in frames.items():
        frame.createOrReplaceTempView(name)
    if job.query is not None:
        result = spark.sql(job.query, args=dict(job.query_params) or None)
    else:
        result = _call(job, spark, frames)
    rows = result.limit(job.engine.max_rows + 1).count()
    if rows > job.engine.max_rows:
        raise EngineCapExceeded(
            "query_rows",
            job.engine.max_rows,
            rows,
            f"the result has more than {job.engine.max_rows} rows (counted up to the cap + 1; nothing was "
            "written, it is never truncated): aggregate or filter further, or raise engine.max_rows",
        )
    _write(spark, result, job)
    schema = [{"name": f.name, "type": f.dataType.simpleString()} for f in result.schema.fields]
    return rows, schema, spark.version


def _read(spark: SparkSession, item: SparkInput, version: int | None) -> DataFrame:
    reader = spark.read.format(item.format)
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(item.uri)


def _call(job: SparkRun, spark: SparkSession, frames: dict[str, DataFrame]) -> DataFrame:
    assert job.function is not None
    for entry in reversed(job.pythonpath):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    module_name, _, function_name = job.function.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(spark, frames, dict(job.params))
    if not isinstance(result, DataFrame):
        raise LakehouseError(f"{job.function} returned {type(result).__name__}; it must return a Spark DataFrame")
    return result


def _write(spark: SparkSession, result: DataFrame, job: SparkRun) -> None:
    output = job.output
    mode = output.mode
    if mode == "error":
        # Spark Connect servers differ on "errorifexists" (Sail refuses it): check here, then add.
        if _exists(spark, output.uri, output.format):
            raise LakehouseError(
                f"{output.uri} already exists and the output mode is error; choose another URI or mode: overwrite"
            )
        mode = "append"
    writer = result.write.format(output.format).mode(mode)
    if output.partition_by:
        writer = writer.partitionBy(*output.partition_by)
    writer.save(output.uri)


def _exists(spark: SparkSession, uri: str, fmt: str) -> bool:
    try:
        spark.read.format(fmt).load(uri).limit(0).collect()
    except PySparkException:
        return False
    return True


def _delta_version(item: SparkInput, plane: DataPlane) -> int | None:
    if item.format != "delta":
        return None
    if item.version is not None:
        return item.version
    uri, options = plane.delta_location(item.uri)
    try:
        return DeltaTable(uri, storage_options=options).version()
    except TableNotFoundError:
        raise LakehouseError(
            f"input {item.name!r}: no Delta table at {item.uri}; check the URI, or that the phase that writes it ran "
            "first"
        ) from None
    except (DeltaError, OSError) as exc:
        raise LakehouseError(f"input {item.name!r}: reading the Delta log of {item.uri} failed: {exc}") from None


def _output_lineage(job: SparkRun, plane: DataPlane) -> dict[str, str | int | None]:
    output = job.output
    lineage: dict[str, str | int | None] = {
        "uri": output.uri,
        "format": output.format,
        "mode": output.mode,
        "delta_version": None,
        "files": None,
        "size_bytes": None,
    }
    try:
        if output.format == "delta":
            uri, options = plane.delta_location(output.uri)
            table = DeltaTable(uri, storage_options=options)
            version = table.version()
            now = _files(table)
            before: dict[str, int] = {}
            if version > 0:
                before = _files(DeltaTable(uri, version=version - 1, storage_options=options))
            added = {path: size for path, size in now.items() if path not in before}
            lineage |= {"delta_version": version, "files": len(added), "size_bytes": sum(added.values())}
        else:
            fs, path = plane.resolve(output.uri)
            infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
            data = [i for i in infos if i.type == pafs.FileType.File and i.base_name.endswith(".parquet")]
            lineage |= {"files": len(data), "size_bytes": sum(i.size or 0 for i in data)}
    except (DeltaError, OSError) as exc:
        raise LakehouseError(f"the output {output.uri} was written but cannot be measured: {exc}") from None
    return lineage


def _files(table: DeltaTable) -> dict[str, int]:
    actions = table.get_add_actions(flatten=True)
    paths = actions.column("path").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    return {str(p): int(s) for p, s in zip(paths, sizes, strict=True)}


def _spark_message(exc: PySparkException) -> str:
    """The engine's own message (its error class included), without the JVM/server stack trace."""
    text = str(exc).strip()
    return text.split("\n\nJVM stacktrace:", 1)[0][:3000]
