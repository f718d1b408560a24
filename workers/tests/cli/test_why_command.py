"""`controlroom why RUN` and the "waiting" part of `run show` for a queued run."""

from __future__ import annotations

import json

from tests.cli.conftest import SpecFiles, invoke, no_traceback, publish


def test_why_explains_a_run_no_executor_can_take(specs: SpecFiles) -> None:
    path = specs.write("waits", labels={"gpu": "a100"})
    publish(path)
    submitted = invoke("submit", str(path), "--json")
    assert submitted.exit_code == 0, submitted.output
    run_id = json.loads(submitted.stdout)["id"]

    why = invoke("why", run_id)
    assert why.exit_code == 0, why.output
    assert f"No live executor in pool {specs.pool}." in " ".join(why.stdout.split())
    assert "Admitted and first in line" in " ".join(why.stdout.split())

    shown = invoke("run", "show", run_id, "--json")
    assert shown.exit_code == 0, shown.output
    reasons = [w["reason"] for w in json.loads(shown.stdout)["waiting"]]
    assert reasons == ["no_live_executor", "next_in_line"]

    text = invoke("run", "show", run_id)
    assert "waiting" in text.stdout
    assert no_traceback(why.output, shown.output, text.output)


def test_why_of_an_unknown_run_is_not_found() -> None:
    result = invoke("why", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code != 0
    assert no_traceback(result.output)
