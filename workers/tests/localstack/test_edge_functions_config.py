"""Which functions the local Edge Functions runtime serves, and with which verify_jwt (localstack/functions.py):
the folders of supabase/functions/ named like a function with an index.ts, `[functions.<name>] verify_jwt`
of supabase/config.toml (default true, as the Supabase CLI has it)."""

from __future__ import annotations

from pathlib import Path

from controlroom.localstack.functions import served_functions
from controlroom.settings import project_root


def _function(root: Path, name: str, entry: str = "index.ts") -> None:
    folder = root / "supabase" / "functions" / name
    folder.mkdir(parents=True)
    (folder / entry).write_text("Deno.serve(() => new Response('ok'));\n")


def test_folders_named_like_functions_with_an_index_are_served(tmp_path: Path) -> None:
    for name in ("hello", "_shared", "_runtime", "9lives"):
        _function(tmp_path, name)
    _function(tmp_path, "no-entry", entry="mod.ts")
    (tmp_path / "supabase" / "config.toml").write_text("[functions.hello]\nverify_jwt = false\n")
    _function(tmp_path, "checked")
    served = served_functions(tmp_path)
    assert sorted(served) == ["checked", "hello"]
    assert served["hello"]["verify_jwt"] is False
    assert served["checked"]["verify_jwt"] is True
    assert served["checked"]["entrypoint"] == str((tmp_path / "supabase/functions/checked/index.ts").resolve())


def test_the_project_serves_artifact_download_and_alert_dispatch_with_jwt_verification() -> None:
    served = served_functions(project_root())
    assert {"artifact-download", "alert-dispatch"} <= set(served)
    assert all(config["verify_jwt"] is True for config in served.values())
