"""`supabase/schemas/` must describe exactly the catalog that the migrations build.

Two throwaway clusters start side by side from the Supabase compatibility bootstrap and the
migration history table. One gets every migration (each in one transaction, as `supabase db
push` applies them), the other every schema file (each in one transaction, in name order). Their
catalog snapshots (`catalog.snapshot`: pg_dump --schema-only, roles, cron jobs) are split into
one block per object and compared object by object. The only normalisation is the order of the
GRANT/REVOKE lines inside one privilege block, which follows the order of the grants, not what
they grant.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from controlroom.gitops.catalog import CRON_HEADER, HISTORY_DDL, ROLES_HEADER, apply_script, snapshot, throwaway_cluster
from controlroom.gitops.migrations import migrations
from controlroom.localstack.migrate import apply_bootstrap
from controlroom.localstack.postgres import Cluster

HINT = "edit supabase/schemas/{file} or write the migration that gets there"
UNKNOWN_FILE = "<the file that should define it>"
MAX_DIFF_LINES = 40

# pg_dump introduces every object with "--\n-- Name: <name>; Type: <type>; Schema: <schema>; Owner: …\n--".
HEADER = re.compile(r"^-- Name: (?P<name>.*?); Type: (?P<type>[^;]+); Schema: (?P<schema>[^;]+)(?:; Owner: .*)?$")
PRIVILEGE_TYPES = {"ACL", "DEFAULT ACL"}


class ApplyError(Exception):
    """A migration or schema file that Postgres refused; the message names the file and the error."""


@dataclass
class SchemaReport:
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    schema_files: int = 0
    migrations: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def schema_files(supabase_dir: Path) -> list[Path]:
    return sorted((supabase_dir / "schemas").glob("*.sql"))


# -- applying ------------------------------------------------------------------------------------


def _describe(exc: psycopg.Error, script: Path) -> str:
    diag = exc.diag
    where = ""
    if diag.statement_position:
        # The position counts characters of the whole file (it is sent as one query).
        line = script.read_text()[: int(diag.statement_position) - 1].count("\n") + 1
        where = f" (line {line})"
    parts = [f"{diag.message_primary or str(exc).strip()}{where}"]
    for label, value in (("detail", diag.message_detail), ("hint", diag.message_hint), ("context", diag.context)):
        if value:
            parts.append(f"{label}: {value.strip()}")
    return "; ".join(parts)


def _start(cluster: Cluster) -> None:
    apply_bootstrap(cluster)
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(HISTORY_DDL)


def apply_migrations(supabase_dir: Path, cluster: Cluster) -> None:
    _start(cluster)
    for migration in migrations(supabase_dir):
        try:
            apply_script(cluster.url(), migration, version=migration.name.split("_", 1)[0])
        except psycopg.Error as exc:
            raise ApplyError(
                f"supabase/migrations/{migration.name} does not apply on top of the migrations before it: "
                + _describe(exc, migration)
            ) from None


def apply_schemas(supabase_dir: Path, cluster: Cluster) -> None:
    _start(cluster)
    for script in schema_files(supabase_dir):
        try:
            apply_script(cluster.url(), script)
        except psycopg.Error as exc:
            raise ApplyError(
                f"supabase/schemas/{script.name} does not apply after the files before it (name order): "
                + _describe(exc, script)
            ) from None


def _snapshot_after(apply: Callable[[Path, Cluster], None], supabase_dir: Path) -> str:
    with throwaway_cluster() as cluster:
        apply(supabase_dir, cluster)
        return snapshot(cluster)


# -- comparing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    label: str  # e.g. "FUNCTION public.claim_runs(...)", "ROLE controlroom_executor"
    kind: str
    name: str
    text: str


# ACL and COMMENT blocks name their object with its kind first: "FUNCTION f(…)", "COLUMN t.c".
_OBJECT_KIND = re.compile(r"^(?P<kind>(?:[A-Z]+ )*[A-Z]+) (?P<name>[^A-Z].*)$")


def _label(kind: str, name: str, schema: str) -> str:
    """ "FUNCTION public.f(…)", "ACL on FUNCTION public.f(…)", "COMMENT on COLUMN public.t.c"."""
    if kind == "DEFAULT ACL":
        return name if schema == "-" else f"{name} IN SCHEMA {schema}"
    qualified = name if schema == "-" else f"{schema}.{name}"
    target = _OBJECT_KIND.match(name)
    if target is None:
        return f"{kind} {qualified}"
    inner = target["name"] if schema == "-" else f"{schema}.{target['name']}"
    return f"{kind} on {target['kind']} {inner}"


def split_snapshot(text: str) -> dict[str, Block]:
    """One block per object of a snapshot, keyed by what it is; privilege lines sorted within a block."""
    dump, _, rest = text.partition(f"\n{ROLES_HEADER}\n")
    roles, _, jobs = rest.partition(f"\n{CRON_HEADER}\n")
    blocks: dict[str, Block] = {}

    def add(label: str, kind: str, name: str, lines: list[str]) -> None:
        body = [ln for ln in lines if ln.strip() and ln != "--"]
        if kind in PRIVILEGE_TYPES:
            body = sorted(body)
        key, n = label, 1
        while key in blocks:
            n += 1
            key = f"{label} #{n}"
        blocks[key] = Block(label, kind, name, "\n".join(body))

    current: tuple[str, str, str] = ("preamble", "preamble", "")
    lines: list[str] = []
    for line in dump.splitlines():
        match = HEADER.match(line)
        if match is None:
            lines.append(line)
            continue
        add(*current, lines)
        kind, name, schema = match["type"], match["name"], match["schema"]
        label = _label(kind, name, schema)
        current, lines = (label, kind, name), []
    add(*current, lines)
    for line in filter(None, roles.splitlines()):
        role = line.split("'")[1] if "'" in line else line
        add(f"ROLE {role}", "ROLE", role, [line])
    for line in filter(None, jobs.splitlines()):
        job = line.split("'")[1] if "'" in line else line
        add(f"CRON JOB {job}", "CRON JOB", job, [line])
    return blocks


_DEFINES = (
    r"create\s+(?:or\s+replace\s+)?(?:unique\s+)?"
    r"(?:function|procedure|table|view|index|trigger|policy|schema|role|type|sequence|extension)\s+"
    r"(?:if\s+not\s+exists\s+)?(?:[a-z_]+\.)?{ident}\b"
    r"|constraint\s+{ident}\b"
    r"|cron\.schedule\(\s*'{ident}'"
)


def owner_file(block: Block, files: dict[str, str]) -> str | None:
    """The schema file that defines the object of a block, found by its most specific name."""
    if block.kind == "DEFAULT ACL":
        return next((f for f, text in files.items() if "alter default privileges" in text.lower()), None)
    target = _OBJECT_KIND.match(block.name)
    name = re.sub(r"\(.*\)", "", target["name"] if target else block.name)  # no function arguments
    names = [i for i in re.split(r"[\s.]+", name) if i][::-1]  # "runs.status": status, then runs
    # Last, shorter prefixes of the first name: the identity sequence run_events_id_seq is run_events'.
    words = names[0].split("_") if names else []
    names += ["_".join(words[:n]) for n in range(len(words) - 1, 0, -1)]
    for ident in names:
        pattern = re.compile(_DEFINES.format(ident=re.escape(ident)), re.IGNORECASE)
        for file, text in files.items():
            if pattern.search(text):
                return file
    return None


def _diff(expected: str, actual: str) -> str:
    lines = list(
        difflib.unified_diff(expected.splitlines(), actual.splitlines(), "migrations", "schemas", n=3, lineterm="")
    )
    shown = lines[:MAX_DIFF_LINES]
    if len(lines) > MAX_DIFF_LINES:
        shown.append(f"… ({len(lines) - MAX_DIFF_LINES} more diff lines)")
    return "\n".join(shown)


def compare(from_migrations: str, from_schemas: str, files: dict[str, str]) -> list[str]:
    """One problem per object whose definition differs, with a short diff and where to fix it."""
    expected, actual = split_snapshot(from_migrations), split_snapshot(from_schemas)
    problems: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if want is not None and got is not None and want.text == got.text:
            continue
        block = want or got
        assert block is not None
        where = owner_file(block, files)
        hint = HINT.format(file=where or UNKNOWN_FILE)
        if got is None:
            head = f"{key}: built by the migrations, missing from supabase/schemas/"
        elif want is None:
            head = f"{key}: in supabase/schemas/ but not built by the migrations"
        else:
            head = f"{key}: differs"
        problems.append(f"{head}\n{_diff(want.text if want else '', got.text if got else '')}\nhint: {hint}")
    return problems


def check(supabase_dir: Path) -> SchemaReport:
    """Builds both catalogs on throwaway clusters (in parallel) and compares them."""
    started = time.monotonic()
    report = SchemaReport(schema_files=len(schema_files(supabase_dir)), migrations=len(migrations(supabase_dir)))
    if report.schema_files == 0:
        report.problems.append("supabase/schemas/ has no .sql files")
        return report
    snapshots: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_snapshot_after, apply, supabase_dir) for apply in (apply_migrations, apply_schemas)]
        for future in futures:
            try:
                snapshots.append(future.result())
            except ApplyError as exc:
                report.problems.append(str(exc))
    if report.problems:
        report.seconds = time.monotonic() - started
        return report
    expected, actual = snapshots
    files = {path.name: path.read_text() for path in schema_files(supabase_dir)}
    report.problems = compare(expected, actual, files)
    report.seconds = time.monotonic() - started
    return report
