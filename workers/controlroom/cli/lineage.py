"""`controlroom rerun RUN` and `controlroom repair RUN [--from PHASE]`, and the lineage lines of
`run show` (parent, children, reused outputs)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from controlroom.cli import common
from controlroom.cli.common import handles_errors, out, print_json
from controlroom.client.control_plane import ControlPlane
from controlroom.client.models import Run, RunLineage


@handles_errors()
def rerun(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key of this rerun (a retry answers the same run)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Submit a new run of the same spec version, params and priority, linked to RUN."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        made = plane.rerun_run(row.run_id, idempotency_key=key)
    finally:
        plane.close()
    _answer(made, f"rerun of {row.run_id}", as_json)


@handles_errors()
def repair(
    run_arg: str = typer.Argument(..., metavar="RUN", help="Run id (full, or the 8-character short form)."),
    from_phase: str | None = typer.Option(
        None, "--from", help="First phase to execute again (default: the phase the run ended in)."
    ),
    key: str | None = typer.Option(
        None, "--key", help="Idempotency key of this repair (a retry answers the same run)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Re-execute a failed run from a phase; the phases before it are not run again: their recorded
    outputs are reused once the executor has checked each one's SHA-256."""
    plane = common.connect()
    try:
        row = common.run(plane, run_arg)
        made = plane.repair_run(row.run_id, from_phase=from_phase, idempotency_key=key)
        mine, _ = plane.run_lineage(made.id)
    finally:
        plane.close()
    where = f" from {mine.from_phase}" if mine and mine.from_phase else ""
    reused = f", reusing {len(mine.reused)} recorded output(s)" if mine and mine.reused else ""
    _answer(made, f"repair of {row.run_id}{where}{reused}", as_json)


def _answer(made: Run, what: str, as_json: bool) -> None:
    if as_json:
        print_json(made)
    else:
        out.print(f"run {made.id} queued: {what}")


def lineage_of(plane: ControlPlane, run_id: Any) -> tuple[RunLineage | None, list[RunLineage]]:
    return plane.run_lineage(run_id)


def lineage_json(mine: RunLineage | None, children: list[RunLineage]) -> dict[str, Any]:
    return {
        "parent": mine.model_dump(mode="json") if mine else None,
        "children": [{"run_id": str(c.run_id), "kind": c.kind, "from_phase": c.from_phase} for c in children],
    }


def add_lineage_facts(facts: Table, mine: RunLineage | None, children: list[RunLineage]) -> None:
    if mine is not None:
        how = mine.kind + (f" from {mine.from_phase}" if mine.from_phase else "")
        facts.add_row("parent", f"{mine.parent_run_id} ({how}, by {mine.created_by})")
        for item in mine.reused:
            facts.add_row(
                "reused", f"{item.phase}/{item.name} of run {common.short(item.run_id)} (sha256 {item.sha256[:12]})"
            )
    for child in children:
        how = child.kind + (f" from {child.from_phase}" if child.from_phase else "")
        facts.add_row("child", f"{child.run_id} ({how})")


def register(app: typer.Typer) -> None:
    app.command()(rerun)
    app.command()(repair)
