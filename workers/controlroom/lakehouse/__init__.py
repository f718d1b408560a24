"""The lakehouse data plane: the `sql` phase kind (DuckDB over CSV, Parquet and Delta on S3) and
data-quality expectations.

No re-exports: `controlroom.lakehouse.sql_phase` runs inside phase subprocesses, and importing the
spec models from here must not pull in DuckDB, pyarrow or delta-rs.
"""
