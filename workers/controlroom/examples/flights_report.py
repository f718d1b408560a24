"""A look at the demo's gold tables: the first rows a data team would check after a run.

`python -m controlroom.examples.flights_report [--workspace examples] [--prefix lake/flights]`
reads the gold Delta tables from S3 and prints them. A run's datasets live in its workspace's folder,
`s3://<bucket>/<workspace id>/…`: a slug is looked up in the control plane (SUPABASE_URL and a key,
as the CLI reads them). S3 access is the operator's (`controlroom env` exports the stack's admin).
"""

from __future__ import annotations

import argparse
import os
import uuid

import duckdb
from deltalake import DeltaTable
from rich.console import Console
from rich.table import Table

from controlroom.cli import common
from controlroom.lakehouse.storage import DataPlane

QUERIES = {
    "delays_by_carrier_month": (
        "Worst months for arrival delay (carriers with ≥ 1,000 flights in the month)",
        "select carrier, month, flights, round(arr_delay_mean_min, 1) as mean_arr_delay_min, "
        "round(100 * late_arrival_share, 1) as late_pct from t where flights >= 1000 "
        "order by arr_delay_mean_min desc limit 5",
    ),
    "delays_by_origin_weather": (
        "Mean departure delay at JFK by precipitation and visibility",
        "select precip_bucket, visibility_bucket, flights, round(dep_delay_mean_min, 1) as mean_dep_delay_min, "
        "round(100 * cancellation_rate, 1) as cancelled_pct from t where origin = 'JFK' and flights >= 100 "
        "order by mean_dep_delay_min desc limit 6",
    ),
}


def gold_table(plane: DataPlane, bucket: str, workspace: str, prefix: str, name: str) -> DeltaTable:
    uri, options = plane.delta_location(f"s3://{bucket}/{workspace}/{prefix}/gold/{name}")
    return DeltaTable(uri, storage_options=options)


def workspace_id(text: str) -> str:
    """A workspace id as given, or the id of the workspace with this slug."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    control = common.connect()
    try:
        return str(common.workspace(control, text).id)
    finally:
        control.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", default="examples", help="Workspace slug or id.")
    parser.add_argument("--prefix", default="lake/flights")
    args = parser.parse_args(argv)
    plane = DataPlane.from_env()
    bucket = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
    folder = workspace_id(args.workspace)
    console = Console()
    for name, (title, sql) in QUERIES.items():
        table = gold_table(plane, bucket, folder, args.prefix, name)
        t = table.to_pyarrow_table()
        con = duckdb.connect()
        con.register("t", t)
        result = con.sql(sql)
        assert result is not None
        view = Table(title=f"{title}  (gold/{name}, Delta v{table.version()}, {t.num_rows} rows)", title_justify="left")
        for column in result.columns:
            view.add_column(column)
        for row in result.fetchall():
            view.add_row(*("" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row))
        console.print(view)


if __name__ == "__main__":
    main()
