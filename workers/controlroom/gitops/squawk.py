"""Safe-migration gate: squawk over `supabase/migrations/*.sql`, with an explicit allow-list.

squawk (PyPI `squawk-cli`, pinned in the `dev` extra) is configured by `.squawk.toml` at the repo
root: PostgreSQL 15, and `assume_in_transaction = true` because `supabase db push` applies each
migration file as one transaction (so `create index concurrently` is the finding, not its absence).

Committed migrations are immutable, so their findings cannot be fixed: each one is allow-listed in
`supabase/squawk-allowlist.toml` per file and rule, with the exact count and a reason. Everything
else fails the gate with file, line, rule, squawk's message and its help. The allow-list stays
honest: an entry whose findings no longer exist, or whose count differs, fails too, and so does an
inline `squawk-ignore` comment (exceptions have one home, where each carries its reason).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from controlroom.gitops import allowlist as allowlist_file

CONFIG = ".squawk.toml"
ALLOWLIST = Path("supabase") / "squawk-allowlist.toml"
INLINE_IGNORE = re.compile(r"squawk-ignore", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int  # 1-based
    rule: str
    message: str
    help: str

    def describe(self) -> str:
        # Some rules carry no help text in squawk's report; its page for the rule always explains the fix.
        hint = f"{self.help} " if self.help else ""
        return f"{self.file}:{self.line}: [{self.rule}] {self.message}\n    help: {hint}(https://squawkhq.com/docs/{self.rule})"


@dataclass
class SquawkReport:
    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def squawk_binary() -> str:
    beside = Path(sys.executable).with_name("squawk")
    if beside.exists():
        return str(beside)
    found = shutil.which("squawk")
    if found:
        return found
    raise FileNotFoundError("squawk was not found; install the dev extra (squawk-cli is pinned in pyproject.toml)")


def run_squawk(root: Path, files: list[Path], config: Path) -> list[Finding]:
    """squawk's JSON report for `files`; its 0-based lines become 1-based."""
    proc = subprocess.run(
        [squawk_binary(), "--config", str(config), "--reporter", "json", *(str(f) for f in files)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    # squawk exits 1 when it found something; anything else, or no JSON list, is squawk failing.
    failed = f"squawk failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()}"
    if proc.returncode not in (0, 1):
        raise RuntimeError(failed)
    try:
        raw = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(failed) from None
    if not isinstance(raw, list):
        raise RuntimeError(failed)  # noqa: TRY004 -- squawk's output, not an argument, has the wrong shape
    return [
        Finding(
            file=Path(item["file"]).name,
            line=int(item["line"]) + 1,
            rule=str(item["rule_name"]),
            message=str(item["message"]),
            help=str(item.get("help") or ""),
        )
        for item in raw
    ]


def check(root: Path, *, config: Path | None = None, allowlist: Path | None = None) -> SquawkReport:
    """Lints `<root>/supabase/migrations/*.sql`; `root` is a project (or a copy of its supabase/ dir's parent)."""
    config = config or root / CONFIG
    allowlist = allowlist or root / ALLOWLIST
    report = SquawkReport()
    files = sorted((root / "supabase" / "migrations").glob("*.sql"))
    if not config.exists():
        report.problems.append(f"{config} is missing: the gate needs the project's squawk configuration")
        return report
    try:
        allowances = allowlist_file.load(allowlist, ("file", "rule"))
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        report.problems.append(f"the allow-list cannot be read: {exc}")
        return report

    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE_IGNORE.search(line):
                report.problems.append(
                    f"{path.name}:{number}: inline squawk-ignore comment; allow-list the finding in "
                    f"{ALLOWLIST} with its reason instead"
                )
    if not files:
        return report

    try:
        report.findings = run_squawk(root, files, config)
    except (OSError, RuntimeError) as exc:
        report.problems.append(str(exc))
        return report
    names = {p.name for p in files}
    report.problems.extend(
        f"{ALLOWLIST}: {a.key[0]} is not a migration; remove its entry" for a in allowances if a.key[0] not in names
    )
    report.allowed, problems = allowlist_file.apply(
        report.findings, allowances, lambda f: (f.file, f.rule), source=str(ALLOWLIST), tool="squawk"
    )
    report.problems.extend(problems)
    return report


def main(root: Path, *, config: Path | None = None, allowlist: Path | None = None) -> int:
    report = check(root, config=config, allowlist=allowlist)
    print(f"squawk: {len(report.findings)} finding(s), {len(report.allowed)} allow-listed")
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not report.ok:
        print(
            "error: a migration is not safe to apply to a busy control plane. Fix it (see docs/architecture.md, "
            "\"Safe migrations\": start with `set lock_timeout = '5s'; set statement_timeout = '60s';`), or, "
            f"if the finding is intended, allow-list it in {ALLOWLIST} with file, rule, count and reason.",
            file=sys.stderr,
        )
    return 0 if report.ok else 1
