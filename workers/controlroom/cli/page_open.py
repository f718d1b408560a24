"""`controlroom open`: the development path into the control room page on the LOCAL stack.

It mints a short-lived access token for a local user (created on first use, `oncall@localhost` by
default) and opens the page with it in the URL fragment, as Supabase Auth's redirects hand a
session to a page. The user is made a member of the workspaces given (default: every workspace of
the local stack) through `add_workspace_member`, so the page shows what RLS lets that member see.

Local only: the token is signed with the local stack's own JWT secret and the user is written with
the local superuser connection; against a hosted project the page signs in with Supabase Auth.
"""

from __future__ import annotations

import time
import webbrowser
from typing import Annotated, Any

import psycopg
import typer

from controlroom import keys
from controlroom.client.control_plane import ControlPlane
from controlroom.client.errors import ControlPlaneError
from controlroom.localstack.stack import LocalStack

ROLES = ("viewer", "operator", "admin", "owner")


def local_user(database_url: str, email: str) -> str:
    """The id of the local auth user with this email, created if it does not exist."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row: Any = conn.execute("select id::text from auth.users where email = %s", (email,)).fetchone()
        if row is None:
            row = conn.execute(
                "insert into auth.users (id, aud, role, email) "
                "values (gen_random_uuid(), 'authenticated', 'authenticated', %s) returning id::text",
                (email,),
            ).fetchone()
    return str(row[0])


def access_token(secret: str, user_id: str, email: str, ttl_seconds: int) -> str:
    """A user access token with the claims Supabase Auth puts in one."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "role": "authenticated",
        "aud": "authenticated",
        "email": email,
        "iat": now,
        "exp": now + ttl_seconds,
        "aal": "aal1",
        "is_anonymous": False,
    }
    return keys.sign(claims, secret)


def open_page(
    email: str = typer.Option("oncall@localhost", help="Local user to sign in as (created on first use)."),
    workspace: Annotated[
        list[str] | None,
        typer.Option(help="Make the user a member of this workspace (slug); repeat. Default: every one."),
    ] = None,
    role: str = typer.Option("operator", help="Member role: viewer, operator, admin or owner."),
    ttl: int = typer.Option(3600, min=60, max=24 * 3600, help="Token lifetime in seconds."),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the URL in a browser."),
) -> None:
    """Open the control room page signed in as a local user (development only: the local stack)."""
    if role not in ROLES:
        raise typer.BadParameter(f"one of {', '.join(ROLES)}", param_hint="--role")
    stack = LocalStack()
    env = stack.environment()
    user_id = local_user(env["DATABASE_URL"], email)
    plane = ControlPlane.connect(api_key=env["SUPABASE_ANON_KEY"], access_token=env["SUPABASE_SERVICE_ROLE_KEY"])
    try:
        wanted = set(workspace or [])
        for row in plane.select("workspaces", columns="id,slug"):
            if wanted and row["slug"] not in wanted:
                continue
            try:
                plane.add_workspace_member(row["id"], user_id, role)
            except ControlPlaneError as exc:  # e.g. the user is the workspace's last owner: keep that role
                typer.echo(f"note: {row['slug']}: {exc.message}", err=True)
    finally:
        plane.close()
    token = access_token(env["SUPABASE_JWT_SECRET"], user_id, email, ttl)
    url = f"{stack.page.url}#access_token={token}&token_type=bearer&expires_in={ttl}"
    typer.echo(url)
    if browser:
        webbrowser.open(url)


def register(app: typer.Typer) -> None:
    app.command("open")(open_page)
