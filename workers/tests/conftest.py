"""Shared fixtures: every test talks to the real local stack that scripts/test started.

The stack's coordinates come from the environment (`eval "$(controlroom env)"`), never from
defaults, so a test run can never touch a developer's own stack by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(
            f"{name} is not set: the tests need a running local stack. Use scripts/test, or run "
            '`controlroom up` and `eval "$(controlroom env)"` with a CONTROLROOM_STATE_DIR of your own.',
            returncode=2,
        )
    return value


@pytest.fixture(scope="session")
def database_url() -> str:
    return _require("DATABASE_URL")


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A superuser connection whose work is rolled back at the end of the test."""
    with psycopg.connect(database_url) as conn:
        yield conn
        conn.rollback()
