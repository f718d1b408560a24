"""The project's own fault-injection suite (`scripts/chaos`, docs/reliability.md).

N runs go through M worker processes on a private local stack while the harness kills, freezes and
restarts what production loses: workers (kill -9, SIGSTOP past the lease tolerance), Postgres (fast
restart, crash), the S3 endpoint (frozen), the HTTP API (restarted). Afterwards it checks from the
database and S3 that nothing was lost or done twice and that every succeeded run has its outputs.
"""
