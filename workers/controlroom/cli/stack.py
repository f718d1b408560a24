"""`controlroom up | down | status | reset | env | keys | executor-token`: the local stack and its keys."""

from __future__ import annotations

import json
import os

import typer
from rich.console import Console
from rich.table import Table

from controlroom import keys
from controlroom.localstack.errors import StackError
from controlroom.localstack.stack import LocalStack

out = Console()
err = Console(stderr=True)


def _progress(message: str) -> None:
    err.print(f"[dim]·[/] {message}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command()
    def up() -> None:
        """Start the local stack (Postgres + pg_cron + pgTAP, migrations, HTTP API, S3). Safe to repeat."""
        stack = LocalStack()
        stack.up(_progress)
        _print_status(stack)

    @app.command()
    def down() -> None:
        """Stop everything the local stack started; leaves no process behind."""
        stopped = LocalStack().down(_progress)
        err.print("stack stopped" if stopped else "nothing was running")

    @app.command()
    def status(
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Show each component of the local stack with its health. Exits 1 if any is unhealthy."""
        stack = LocalStack()
        rows = stack.status()
        if as_json:
            out.print_json(json.dumps([r.__dict__ for r in rows]))
        else:
            _print_status(stack)
        if not all(r.healthy for r in rows):
            raise typer.Exit(1)

    @app.command()
    def reset() -> None:
        """Stop the stack, drop the database, and bring everything up again from the migrations."""
        stack = LocalStack()
        stack.reset(_progress)
        _print_status(stack)

    @app.command()
    def env() -> None:
        """Print `export …` lines for the local stack: use as  eval "$(controlroom env)".

        Refuses (exit 1, nothing on stdout) when no stack of this shell's state folder is up."""
        try:
            stack = LocalStack.running()
        except StackError as exc:
            err.print(f"[red]controlroom env:[/] {exc.paragraph()}", highlight=False)
            raise typer.Exit(1) from None
        typer.echo(stack.export_lines())

    @app.command("keys")
    def keys_cmd(
        pool: str = typer.Option("default", help="Pool the sample executor token is scoped to."),
    ) -> None:
        """Print the local anon and service-role API keys and a sample executor JWT."""
        stack = LocalStack()
        env_vars = stack.environment()
        secret = env_vars["SUPABASE_JWT_SECRET"]
        typer.echo(f"anon          {env_vars['SUPABASE_ANON_KEY']}")
        typer.echo(f"service_role  {env_vars['SUPABASE_SERVICE_ROLE_KEY']}")
        typer.echo(f"executor      {keys.executor_token(secret, pool=pool)}")

    @app.command("executor-token")
    def executor_token(
        pool: str = typer.Option(..., help="Pool the executor may claim from."),
        workspace: str | None = typer.Option(None, help="Restrict the executor to one workspace id."),
        ttl: int = typer.Option(24 * 3600, help="Lifetime in seconds."),
    ) -> None:
        """Mint an executor JWT from SUPABASE_JWT_SECRET (server-side use only)."""
        if ttl <= 0:
            raise typer.BadParameter("must be a positive number of seconds", param_hint="--ttl")
        token = keys.executor_token(
            os.environ.get("SUPABASE_JWT_SECRET"), pool=pool, workspace_id=workspace, ttl_seconds=ttl
        )
        typer.echo(token)


def _print_status(stack: LocalStack) -> None:
    table = Table(title=f"local stack · {stack.settings.state_dir}", title_justify="left")
    table.add_column("component")
    table.add_column("health")
    table.add_column("detail")
    for row in stack.status():
        table.add_row(row.name, "[green]up[/]" if row.healthy else "[red]down[/]", row.detail)
    out.print(table)
