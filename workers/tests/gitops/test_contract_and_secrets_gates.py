"""API contract drift and the secret scan: the gate passes on the repository and fails when it should."""

from __future__ import annotations

from pathlib import Path

import psycopg

from controlroom.gitops import contract, secrets_scan
from controlroom.settings import project_root

ROOT = project_root()


def test_the_committed_contract_matches_the_catalog(db: psycopg.Connection) -> None:
    current = contract.render(contract.generate(db))
    committed = (ROOT / "supabase" / "contract.json").read_text()
    assert current == committed, contract.diff(committed, current)


def test_an_undeclared_api_change_shows_up_in_the_diff(db: psycopg.Connection) -> None:
    committed = (ROOT / "supabase" / "contract.json").read_text()
    db.execute("create function public.sneaky_new_rpc(x int) returns int language sql as 'select x'")
    current = contract.render(contract.generate(db))
    assert current != committed
    assert "sneaky_new_rpc" in contract.diff(committed, current)


def test_a_policy_change_shows_up_in_the_diff(db: psycopg.Connection) -> None:
    base = contract.generate(db)
    tables = [r["name"] for r in base["relations"] if r["kind"] == "table"]
    if not tables:
        db.execute("create table public.contract_probe (id int)")
        tables = ["contract_probe"]
    db.execute(f'alter table public."{tables[0]}" disable row level security')
    changed = contract.generate(db)
    assert changed != base


def test_the_repository_has_no_secrets() -> None:
    clean, report = secrets_scan.scan(ROOT)
    assert clean, report


def test_a_planted_secret_is_found(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    # Built at run time so the repository itself never contains the patterns.
    key_id = "AKIA" + "J7QWERTYUIOPASDF"
    secret_key = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"  # pragma: allowlist secret
    planted.write_text(f'AWS_ACCESS_KEY_ID = "{key_id}"\nAWS_SECRET_ACCESS_KEY = "{secret_key}"\n')
    clean, report = secrets_scan.scan(ROOT, [str(planted)])
    assert not clean
    assert "AWS" in report or "Secret" in report
