"""Inputs of a sql phase as pyarrow datasets, which DuckDB scans lazily (filters and projections are
pushed down, so a query that reads two columns of a Delta table does not load the rest)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from controlroom.lakehouse.errors import LakehouseError
from controlroom.lakehouse.models import ArrowTypeName, CsvOptions, SqlInput
from controlroom.lakehouse.storage import DataPlane


@dataclass(frozen=True)
class OpenedInput:
    spec: SqlInput
    dataset: pads.Dataset
    delta_version: int | None

    def lineage(self) -> dict[str, str | int | None]:
        return {
            "name": self.spec.name,
            "uri": self.spec.uri,
            "format": self.spec.format,
            "delta_version": self.delta_version,
        }


def open_input(spec: SqlInput, plane: DataPlane) -> OpenedInput:
    try:
        if spec.format == "delta":
            return _open_delta(spec, plane)
        fs, path = plane.resolve(spec.uri)
        file_format = _csv_format(spec.csv or CsvOptions()) if spec.format == "csv" else pads.ParquetFileFormat()
        return OpenedInput(spec, pads.dataset(path, format=file_format, filesystem=fs), None)
    except (OSError, pa.ArrowInvalid) as exc:
        raise LakehouseError(f"input {spec.name!r} ({spec.format} at {spec.uri}) cannot be opened: {exc}") from None


def _open_delta(spec: SqlInput, plane: DataPlane) -> OpenedInput:
    uri, options = plane.delta_location(spec.uri)
    try:
        table = DeltaTable(uri, version=spec.version, storage_options=options)
    except TableNotFoundError:
        raise LakehouseError(
            f"input {spec.name!r}: no Delta table at {spec.uri}; check the URI, or that the phase that writes it "
            "ran first"
        ) from None
    return OpenedInput(spec, table.to_pyarrow_dataset(), table.version())


def _csv_format(options: CsvOptions) -> pads.CsvFileFormat:
    return pads.CsvFileFormat(
        parse_options=pacsv.ParseOptions(delimiter=options.delimiter),
        read_options=pacsv.ReadOptions(
            block_size=options.block_size_bytes, autogenerate_column_names=not options.header
        ),
        convert_options=pacsv.ConvertOptions(
            null_values=options.null_values,
            strings_can_be_null=True,
            column_types={column: _arrow_type(name) for column, name in options.column_types.items()},
        ),
    )


def _arrow_type(name: ArrowTypeName) -> pa.DataType:
    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "date32": pa.date32(),
        "timestamp[s]": pa.timestamp("s"),
        "timestamp[ms]": pa.timestamp("ms"),
        "timestamp[us]": pa.timestamp("us"),
    }
    return types[name]
