"""GitOps gates: `python -m controlroom.gitops COMMAND`.

Commands: lock | check-migrations | schemas | contract [--update] | secrets | squawk | plpgsql-check.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg

from controlroom.gitops import contract, migrations, plpgsql_check, schemas, secrets_scan, squawk
from controlroom.settings import project_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controlroom.gitops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lock", help="append new migrations to supabase/migrations.lock (never re-locks an edit)")
    sub.add_parser("check-migrations", help="lock, naming and rollback-presence gate")
    sub.add_parser("schemas", help="supabase/schemas/ builds exactly the catalog of the migrations")
    contract_cmd = sub.add_parser("contract", help="compare the catalog's public surface with supabase/contract.json")
    contract_cmd.add_argument("--update", action="store_true", help="rewrite supabase/contract.json")
    sub.add_parser("secrets", help="detect-secrets over the tracked files against .secrets.baseline")
    squawk_cmd = sub.add_parser("squawk", help="safe-migration lint of supabase/migrations (squawk + allow-list)")
    squawk_cmd.add_argument("--config", type=Path, help=f"squawk configuration (default: <project>/{squawk.CONFIG})")
    squawk_cmd.add_argument("--allowlist", type=Path, help=f"allow-list (default: <project>/{squawk.ALLOWLIST})")
    plpgsql_cmd = sub.add_parser("plpgsql-check", help="plpgsql_check over every PL/pgSQL function (public, private)")
    plpgsql_cmd.add_argument(
        "--allowlist", type=Path, help=f"allow-list (default: <project>/{plpgsql_check.ALLOWLIST})"
    )
    args = parser.parse_args(argv)
    root = project_root()

    if args.command == "squawk":
        return squawk.main(Path(root), config=args.config, allowlist=args.allowlist)

    if args.command in ("lock", "check-migrations"):
        report = migrations.check(root / "supabase", update=args.command == "lock")
        for name in report.added:
            print(f"locked {name}")
        for problem in report.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 0 if report.ok else 1

    if args.command == "schemas":
        return _schemas(root / "supabase")

    if args.command in ("contract", "plpgsql-check"):
        url = os.environ.get("DATABASE_URL")
        if not url:
            print(
                'error: DATABASE_URL is not set; run `eval "$(controlroom env)"` after `controlroom up`.',
                file=sys.stderr,
            )
            return 2
        if args.command == "plpgsql-check":
            return plpgsql_check.main(url, Path(root), allowlist=args.allowlist)
        with psycopg.connect(url) as conn:
            current = contract.render(contract.generate(conn))
        path = root / "supabase" / "contract.json"
        if args.update:
            path.write_text(current)
            print(f"wrote {path.relative_to(root)}")
            return 0
        committed = path.read_text() if path.exists() else ""
        if committed == current:
            return 0
        print(contract.diff(committed, current))
        print(
            "error: the API surface changed without updating supabase/contract.json. If the change is "
            "intended, run `python -m controlroom.gitops contract --update` and commit it.",
            file=sys.stderr,
        )
        return 1

    clean, findings = secrets_scan.scan(Path(root))
    if not clean:
        print(findings)
        print(
            "error: possible secrets in tracked files. Remove them (configuration comes from the "
            "environment); if a finding is not a secret, mark it with `# pragma: allowlist secret`.",
            file=sys.stderr,
        )
    return 0 if clean else 1


def _schemas(supabase_dir: Path) -> int:
    report = schemas.check(supabase_dir)
    for problem in report.problems:
        print(f"error: {problem}\n", file=sys.stderr)
    if report.ok:
        print(
            f"supabase/schemas/ ({report.schema_files} files) matches the {report.migrations} migrations "
            f"({report.seconds:.1f} s)"
        )
        return 0
    print(
        f"error: supabase/schemas/ does not match supabase/migrations/ ({len(report.problems)} problem(s), "
        f"{report.seconds:.1f} s). The schema files are the readable current definition; the migrations "
        "are how a database gets there: change both.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
