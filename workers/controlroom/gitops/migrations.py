"""Forward-only migrations: a checksum lock that only grows, and one rollback per migration.

`supabase/migrations.lock` lists `<sha256>  <file>` for every committed migration. The gate fails
when a locked migration changed or disappeared, when a migration is not in the lock, or when a
migration has no rollback. `--update` only appends new migrations: it refuses to re-lock an edited
one, so the only way forward is a new migration.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass
class MigrationReport:
    problems: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lock(lock: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    if not lock.exists():
        return entries
    for number, line in enumerate(lock.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{lock}:{number}: expected '<sha256>  <file>', got {line!r}")
        entries[parts[1]] = parts[0]
    return entries


def migrations(supabase_dir: Path) -> list[Path]:
    return sorted((supabase_dir / "migrations").glob("*.sql"))


def rollback_for(migration: Path) -> Path:
    return migration.parent.parent / "rollbacks" / f"{migration.stem}.down.sql"


def check(supabase_dir: Path, *, update: bool = False) -> MigrationReport:
    lock_path = supabase_dir / "migrations.lock"
    report = MigrationReport()
    locked = read_lock(lock_path)
    files = migrations(supabase_dir)
    present = {f.name for f in files}
    for name in sorted(set(locked) - present):
        report.problems.append(
            f"supabase/migrations/{name}: locked migration was removed or renamed. Migrations are "
            "forward-only: restore it and undo its effect in a new migration."
        )
    for path in files:
        if not NAME.match(path.name):
            report.problems.append(
                f"supabase/migrations/{path.name}: name must be <YYYYMMDDHHMMSS>_<verb>_<object>.sql "
                "(lower case, underscores)."
            )
        digest = sha256(path)
        if path.name in locked and locked[path.name] != digest:
            report.problems.append(
                f"supabase/migrations/{path.name}: a committed migration was edited (checksum "
                f"{digest[:12]} ≠ locked {locked[path.name][:12]}). Revert the edit and put the change "
                "in a new migration."
            )
        elif path.name not in locked:
            if update:
                report.added.append(path.name)
                locked[path.name] = digest
            else:
                report.problems.append(
                    f"supabase/migrations/{path.name}: not in supabase/migrations.lock. Lock new "
                    "migrations with `python -m controlroom.gitops lock`."
                )
        if not rollback_for(path).exists():
            report.problems.append(
                f"supabase/migrations/{path.name}: no rollback. Add supabase/rollbacks/{path.stem}.down.sql "
                "that undoes exactly this migration."
            )
    orphans = {p.name.removesuffix(".down.sql") for p in (supabase_dir / "rollbacks").glob("*.down.sql")}
    for stem in sorted(orphans - {p.stem for p in files}):
        report.problems.append(f"supabase/rollbacks/{stem}.down.sql: rollback without a migration.")
    if update and report.added and not any("edited" in p or "removed" in p for p in report.problems):
        header = "# sha256  migration — appended by `python -m controlroom.gitops lock`; never edit a line\n"
        body = "".join(f"{locked[n]}  {n}\n" for n in sorted(locked))
        lock_path.write_text(header + body)
    return report
