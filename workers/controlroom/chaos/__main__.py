"""`python -m controlroom.chaos` (scripts/chaos): one chaos run; exit 0 only if every check held."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controlroom.chaos.harness import ChaosConfig, run_chaos, summary


def main(argv: list[str] | None = None) -> int:
    d = ChaosConfig()
    p = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__)
    p.add_argument("--runs", type=int, default=d.runs, help=f"runs to submit (default {d.runs})")
    p.add_argument("--workers", type=int, default=d.workers, help=f"worker processes (default {d.workers})")
    p.add_argument("--concurrency", type=int, default=d.concurrency, help="runs per worker at once")
    p.add_argument("--faults", type=int, default=d.faults, help=f"faults to inject (default {d.faults})")
    p.add_argument("--window", type=float, default=d.window_seconds, help="seconds the faults are spread over")
    p.add_argument("--tolerance", type=int, default=d.tolerance_seconds, help="heartbeat tolerance (>= 30 s)")
    p.add_argument("--run-seconds", type=float, default=d.run_seconds, help="longest sleep of a run's shell phase")
    p.add_argument("--timeout", type=float, default=d.timeout_seconds, help="seconds to wait for the runs after")
    p.add_argument("--port-base", type=int, default=d.port_base, help="pg +2, api +1, s3 +9, page +3")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--state-dir", type=Path, default=None, help="state folder of the private stack (default: temp)")
    p.add_argument("--keep", action="store_true", help="leave the private stack up for inspection")
    p.add_argument("--json", type=Path, default=None, help="also write the report to this file")
    a = p.parse_args(argv)
    report = run_chaos(
        ChaosConfig(
            runs=a.runs,
            workers=a.workers,
            concurrency=a.concurrency,
            faults=a.faults,
            window_seconds=a.window,
            tolerance_seconds=a.tolerance,
            run_seconds=a.run_seconds,
            timeout_seconds=a.timeout,
            port_base=a.port_base,
            seed=a.seed,
            state_dir=a.state_dir,
            keep=a.keep,
        )
    )
    text = summary(report)
    print(text)
    if a.json is not None:
        a.json.write_text(text + "\n")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
