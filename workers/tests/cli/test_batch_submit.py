"""`controlroom submit --from-csv / --param-file`: one run per row through submit_runs."""

from __future__ import annotations

import json
from pathlib import Path

from controlroom.client.control_plane import ControlPlane
from tests.cli.conftest import SpecFiles, invoke, no_traceback, publish

PARAMS_SCHEMA = {
    "type": "object",
    "properties": {"day": {"type": "string"}, "n": {"type": "integer", "default": 1}},
    "required": ["day"],
    "additionalProperties": False,
}


def test_a_csv_submits_one_run_per_row_once(specs: SpecFiles, plane: ControlPlane, tmp_path: Path) -> None:
    path = specs.write("backfill", params=PARAMS_SCHEMA)
    publish(path)
    rows = tmp_path / "days.csv"
    rows.write_text("day,n\n2026-11-01,2\n2026-11-02,\n2026-11-03,4\n", encoding="utf-8")

    first = invoke("submit", str(path), "--from-csv", str(rows), "--idempotency-key", "bf", "--json")
    assert first.exit_code == 0, first.output
    answers = json.loads(first.stdout)
    assert [a["outcome"] for a in answers] == ["accepted"] * 3
    runs = {r.run_id: r for r in plane.run_board(run_id=answers[1]["run_id"])}
    assert runs, "the run is on the board"

    again = invoke("submit", str(path), "--from-csv", str(rows), "--idempotency-key", "bf", "--json")
    assert again.exit_code == 0, again.output
    assert [a["outcome"] for a in json.loads(again.stdout)] == ["duplicate"] * 3
    assert no_traceback(first.output, again.output)


def test_a_bad_row_submits_nothing(specs: SpecFiles, tmp_path: Path) -> None:
    path = specs.write("backfill-bad", params=PARAMS_SCHEMA)
    publish(path)
    lines = tmp_path / "params.jsonl"
    lines.write_text('{"day": "2026-11-01"}\n{"day": "2026-11-02", "n": "two"}\n', encoding="utf-8")

    result = invoke("submit", str(path), "--param-file", str(lines))
    assert result.exit_code != 0
    assert "row 2:" in result.output
    assert "'two' is not of type 'integer'" in result.output
    assert "nothing submitted" in result.output
    assert no_traceback(result.output)
