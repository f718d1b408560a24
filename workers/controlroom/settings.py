"""Configuration from the environment, with the defaults documented in README.md.

Every knob has one name and one default here; nothing else in the package reads os.environ
for configuration, so `controlroom env` and the docs cannot drift from the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer; unset it or give a port number.") from None


def project_root() -> Path:
    """The checkout this package runs from (holds supabase/ and scripts/)."""
    override = os.environ.get("CONTROLROOM_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StackSettings:
    """Where the local stack lives and which loopback ports it uses."""

    state_dir: Path
    pg_port: int
    api_port: int
    s3_port: int
    pg_bindir: Path
    s3_endpoint_url: str | None
    bucket: str
    db_name: str = "postgres"
    host: str = "127.0.0.1"
    page_port: int = 54323  # the control room page (Supabase Studio's local port)

    @classmethod
    def from_env(cls) -> StackSettings:
        state = os.environ.get("CONTROLROOM_STATE_DIR") or str(project_root() / ".controlroom")
        return cls(
            state_dir=Path(state).resolve(),
            pg_port=_int("CONTROLROOM_PG_PORT", 54322),
            api_port=_int("CONTROLROOM_API_PORT", 54321),
            s3_port=_int("CONTROLROOM_S3_PORT", 54329),
            pg_bindir=Path(os.environ.get("CONTROLROOM_PG_BINDIR") or "/usr/lib/postgresql/15/bin"),
            s3_endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
            bucket=os.environ.get("CONTROLROOM_BUCKET") or "controlroom-artifacts",
            page_port=_int("CONTROLROOM_PAGE_PORT", 54323),
        )
