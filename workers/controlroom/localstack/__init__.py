"""The embedded local stack: Postgres 15 + pg_cron + pgTAP, the HTTP API, and an S3 endpoint."""
