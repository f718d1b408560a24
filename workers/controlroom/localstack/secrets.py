"""Per-state-folder secrets: generated on first use, kept out of Git, readable by the owner only."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class StackSecrets:
    jwt_secret: str
    db_password: str
    authenticator_password: str
    issued_at: int

    @classmethod
    def load_or_create(cls, state_dir: Path) -> StackSecrets:
        path = state_dir / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        state_dir.mkdir(parents=True, exist_ok=True)
        created = cls(
            # PostgREST v13+ refuses HS256 secrets shorter than 32 characters.
            jwt_secret=secrets.token_urlsafe(48),
            db_password=secrets.token_urlsafe(24),
            authenticator_password=secrets.token_urlsafe(24),
            issued_at=int(time.time()),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(asdict(created), fh, indent=2)
        return created
