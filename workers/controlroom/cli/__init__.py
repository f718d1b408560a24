"""The `controlroom` command. Each command group lives in its own module of this package; this file wires
them and turns the errors that escape a command into one paragraph and an exit code."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from controlroom import __version__, keys
from controlroom.cli.alerts import register as register_alerts
from controlroom.cli.artifacts import register as register_artifacts
from controlroom.cli.events import register as register_events
from controlroom.cli.lineage import register as register_lineage
from controlroom.cli.oncall import register as register_oncall
from controlroom.cli.page_open import register as register_page_open
from controlroom.cli.podrun import register as register_podrun
from controlroom.cli.retention import register as register_retention
from controlroom.cli.routes import register as register_routes
from controlroom.cli.runs import register as register_runs
from controlroom.cli.schedules import register as register_schedules
from controlroom.cli.specs import register as register_specs
from controlroom.cli.stack import register as register_stack
from controlroom.cli.storage import register as register_storage
from controlroom.cli.submit import register as register_submit
from controlroom.cli.worker import register as register_worker
from controlroom.client.errors import ControlPlaneError
from controlroom.localstack.errors import StackError

app = typer.Typer(
    name="controlroom",
    help="Lakehouse Control Room: pipelines on your own infrastructure, Supabase-native.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # -h as well as --help, on every command (child contexts inherit it).
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"controlroom {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Lakehouse Control Room: pipelines on your own infrastructure, Supabase-native."""


register_stack(app)
register_worker(app)
register_podrun(app)
register_specs(app)
register_submit(app)
register_runs(app)
register_lineage(app)
register_events(app)
register_artifacts(app)
register_oncall(app)
register_page_open(app)
register_storage(app)
register_schedules(app)
register_routes(app)
register_alerts(app)
register_retention(app)

err = Console(stderr=True)


def main() -> None:
    try:
        app()
    except StackError as exc:
        err.print(f"[bold red]error:[/] {exc.paragraph()}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except ControlPlaneError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except keys.MissingSecret as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
