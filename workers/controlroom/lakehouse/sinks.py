"""Writing a query result: a Delta table through delta-rs, or one Parquet file (with its SHA-256,
so the executor can register it as an artifact without reading it back)."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as papq
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

from controlroom.lakehouse.errors import LakehouseError
from controlroom.lakehouse.models import SqlOutput
from controlroom.lakehouse.storage import DataPlane

OutputLineage = dict[str, str | int | None]


def write_output(table: pa.Table, output: SqlOutput, plane: DataPlane) -> OutputLineage:
    if output.format == "delta":
        return _write_delta(table, output, plane)
    return _write_parquet(table, output, plane)


def _write_delta(table: pa.Table, output: SqlOutput, plane: DataPlane) -> OutputLineage:
    uri, options = plane.delta_location(output.uri)
    try:
        write_deltalake(uri, table, mode=output.mode, partition_by=output.partition_by or None, storage_options=options)
        version = DeltaTable(uri, storage_options=options).version()
    except (DeltaError, OSError, pa.ArrowInvalid) as exc:
        hint = " (mode is error: a table is already there)" if output.mode == "error" and "exists" in str(exc) else ""
        raise LakehouseError(f"writing the Delta table {output.uri} failed{hint}: {exc}") from None
    return {
        "uri": output.uri,
        "format": "delta",
        "mode": output.mode,
        "delta_version": version,
        "sha256": None,
        "size_bytes": None,
    }


def _write_parquet(table: pa.Table, output: SqlOutput, plane: DataPlane) -> OutputLineage:
    fs, path = plane.resolve(output.uri)
    sink = pa.BufferOutputStream()
    papq.write_table(table, sink)
    body = sink.getvalue()
    try:
        if output.mode == "error" and fs.get_file_info(path).type != pafs.FileType.NotFound:
            raise LakehouseError(
                f"{output.uri} already exists and the output mode is error; choose another URI or mode: overwrite"
            )
        parent = path.rsplit("/", 1)[0]
        if isinstance(fs, pafs.LocalFileSystem) and parent:
            fs.create_dir(parent, recursive=True)
        with fs.open_output_stream(path) as stream:
            stream.write(body)
    except OSError as exc:
        raise LakehouseError(f"writing {output.uri} failed: {exc}") from None
    return {
        "uri": output.uri,
        "format": "parquet",
        "mode": output.mode,
        "delta_version": None,
        "sha256": hashlib.sha256(memoryview(body)).hexdigest(),
        "size_bytes": body.size,
    }
