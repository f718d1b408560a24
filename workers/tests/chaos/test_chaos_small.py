"""The fault-injection suite, small configuration (issue 17): ~100 runs through 3 supervised workers
while 10 faults hit workers, Postgres, S3 and the API; everything must hold (docs/reliability.md has
the full configuration and its figures). Runs alone on its own private stack (ports 29600-29609)."""

from __future__ import annotations

import pytest

from controlroom.chaos.harness import ChaosConfig, run_chaos, summary

pytestmark = pytest.mark.xdist_group("chaos")

SMALL = ChaosConfig(runs=100, workers=3, concurrency=4, faults=10, window_seconds=45, timeout_seconds=240)


def test_the_small_chaos_configuration_loses_nothing_and_no_worker_exits() -> None:
    report = run_chaos(SMALL)
    assert report.passed, summary(report)
    assert set(report.faults_by_kind) == {"kill9", "sigstop", "pg_fast", "pg_crash", "s3_freeze", "api_restart"}
    assert report.findings.runs_succeeded == SMALL.runs
