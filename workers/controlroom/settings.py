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
    # Object Lock retention of every artifact the executors upload: COMPLIANCE (nobody, the admin
    # included, deletes or changes the version before it expires), GOVERNANCE, or off (for a bucket
    # without Object Lock). The local stack's bucket is created with Object Lock unless off.
    object_lock_mode: str = "COMPLIANCE"
    object_lock_days: int = 1

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
            object_lock_mode=_lock_mode(os.environ.get("CONTROLROOM_OBJECT_LOCK_MODE") or "COMPLIANCE"),
            object_lock_days=_int("CONTROLROOM_OBJECT_LOCK_DAYS", 1),
        )


def _lock_mode(raw: str) -> str:
    mode = raw.upper()
    if mode not in ("COMPLIANCE", "GOVERNANCE", "OFF"):
        raise SystemExit(f"CONTROLROOM_OBJECT_LOCK_MODE={raw!r} must be COMPLIANCE, GOVERNANCE or off.")
    return mode
