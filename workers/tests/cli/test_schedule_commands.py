"""`controlroom schedules`, `schedules pause NAME` and `schedules resume NAME` against the real stack."""

from __future__ import annotations

import json

from tests.cli.conftest import SpecFiles, invoke, no_traceback, publish


def test_schedules_are_listed_paused_and_resumed(specs: SpecFiles) -> None:
    path = specs.write(
        "scheduled",
        schedules=[
            {"name": "nightly", "cron": "0 6 * * *", "timezone": "America/New_York", "paused": True},
            {"name": "hourly", "cron": "0 * * * *"},
        ],
    )
    publish(path)

    listed = invoke("schedules", "--workspace", specs.workspace, "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["nightly"]["paused"] is True
    assert rows["nightly"]["paused_by"] == "spec"
    assert rows["hourly"]["paused"] is False
    assert rows["hourly"]["next_fire_at"].endswith(":00:00Z")

    table = invoke("schedules", "--workspace", specs.workspace)
    assert "scheduled@1/nightly" in table.stdout
    assert "paused" in table.stdout

    resumed = invoke("schedules", "resume", "scheduled/nightly", "--workspace", specs.workspace)
    assert resumed.exit_code == 0, resumed.output
    assert "schedule scheduled/nightly resumed; next fire" in " ".join(resumed.stdout.split())

    paused = invoke("schedules", "pause", "hourly", "--workspace", specs.workspace, "--json")
    assert paused.exit_code == 0, paused.output
    assert json.loads(paused.stdout)["paused"] is True
    assert json.loads(paused.stdout)["paused_by"] == "service_role"
    assert no_traceback(listed.output, table.output, resumed.output, paused.output)


def test_pausing_an_unknown_schedule_is_not_found(specs: SpecFiles) -> None:
    publish(specs.write("unscheduled"))
    result = invoke("schedules", "pause", "nope", "--workspace", specs.workspace)
    assert result.exit_code == 1
    assert "PT404" in result.output
    assert no_traceback(result.output)


def test_pause_needs_a_workspace() -> None:
    result = invoke("schedules", "pause", "nightly", env={"CONTROLROOM_WORKSPACE": None})
    assert result.exit_code == 2
    assert "which workspace?" in result.output
