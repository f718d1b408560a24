"""A workspace keeps an owner even when two owners demote each other at the same moment.

add_workspace_member counts the other owners before it demotes one. Without a lock, two owners
demoting each other in concurrent transactions would each still see the other as an owner, and
both demotions would commit: no owner left. The RPC takes the workspace row FOR NO KEY UPDATE
first, so the second call waits for the first and then sees its result.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import psycopg

from .conftest import connect

DEMOTE = "select public.add_workspace_member(%s, %s, 'admin')"


def _act_as(conn: psycopg.Connection[dict[str, Any]], user_id: uuid.UUID) -> None:
    """A PostgREST-style request of a signed-in user: role and claims local to the transaction."""
    conn.execute(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
        [json.dumps({"sub": str(user_id), "role": "authenticated", "aud": "authenticated"})],
    )


def test_two_owners_demoting_each_other_at_once_leave_one_owner(database_url: str, make_world: Any) -> None:
    world = make_world()
    first_owner, second_owner = uuid.uuid4(), uuid.uuid4()
    with connect(database_url) as conn:
        for user_id in (first_owner, second_owner):
            conn.execute(
                "insert into auth.users (id, aud, role, email) values (%s, 'authenticated', 'authenticated', %s)",
                [user_id, f"{user_id}@test.invalid"],
            )
            conn.execute("select public.add_workspace_member(%s, %s, 'owner')", [world.workspace_id, user_id])
    outcome: dict[str, str | None] = {}

    def second_demotes_first(conn: psycopg.Connection[dict[str, Any]]) -> None:
        try:
            with conn.transaction():
                _act_as(conn, second_owner)
                conn.execute(DEMOTE, [world.workspace_id, first_owner])
            outcome["second"] = "accepted"
        except psycopg.Error as error:
            outcome["second"] = error.sqlstate

    try:
        with connect(database_url) as first_conn, connect(database_url) as second_conn:
            with first_conn.transaction():
                _act_as(first_conn, first_owner)
                first_conn.execute(DEMOTE, [world.workspace_id, second_owner])
                second = threading.Thread(target=second_demotes_first, args=(second_conn,))
                second.start()
                second.join(timeout=1.0)
                # GUARD under test: the second call waits for the first one's transaction.
                assert second.is_alive(), f"the second demotion did not wait: {outcome}"
            second.join(timeout=30)
            assert not second.is_alive()
        # Once the first commits, the second caller is an admin and may not touch an owner.
        assert outcome == {"second": "42501"}
        with connect(database_url) as conn:
            owners = conn.execute(
                "select user_id from public.workspace_members where workspace_id = %s and role = 'owner'",
                [world.workspace_id],
            ).fetchall()
        assert [row["user_id"] for row in owners] == [first_owner]
    finally:
        with connect(database_url) as conn:
            conn.execute("delete from auth.users where id = any(%s)", [[first_owner, second_owner]])
