"""Control-plane benchmark (`scripts/bench`): claim latency, lifecycle throughput, event ingestion,
requeue and growth, over direct SQL (psycopg, acting as the executor role like PostgREST) and over
HTTP (supabase-py through the gateway via `controlroom.client.control_plane.ControlPlane`).

Benchmarks are not tests: nothing here asserts on timings. See docs/benchmarks.md.
"""
