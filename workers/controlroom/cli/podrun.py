"""`controlroom pod-run`: the entry point of a run's own pod (CONTROLROOM_RUN_LAUNCHER=kubernetes-job)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("pod-run", hidden=True)
    def pod_run(
        plan: str = typer.Option(..., help="s3://bucket/key of the run's plan (written by the executor)."),
    ) -> None:
        """Run one run attempt's phases in this pod (started by an executor, not by hand)."""
        from controlroom.executor.podmain import main  # the pod's path only

        raise typer.Exit(main(plan))
