"""Python and shell phases: JSON in/out, argv only, failures, cancellation, events."""

from __future__ import annotations

import signal
import sys
import threading

import pytest
from pydantic import JsonValue, ValidationError

from controlroom.phases.models import parse_phase_spec
from controlroom.phases.runner import run_phase

from .helpers import FAST, PhaseHarness, assert_group_gone, python_phase, run, shell_phase, stamp


def test_python_phase_takes_json_params_and_returns_json(harness: PhaseHarness) -> None:
    params: dict[str, JsonValue] = {"a": 2, "b": 40, "nested": {"list": [1, "two", None], "flag": True}}

    result, _, _ = run(python_phase("add", params), harness)

    assert result.status == "succeeded", result.error_message
    assert result.exit_code == 0
    assert result.result == {"sum": 42, "echo": params}
    # the result travels in a file, so stdout stays a pure log
    assert harness.stdout() == b"adding 2 and 40\n"
    assert harness.stderr() == b"a diagnostic line\n"
    assert (result.stdout_bytes, result.stderr_bytes) == (16, 18)
    assert result.breach is None


def test_python_phase_exception_is_a_failure_with_class_and_message(harness: PhaseHarness) -> None:
    result, _, _ = run(python_phase("fail", {"what": "the thing"}), harness)

    assert result.status == "failed"
    assert result.exit_code == 1
    assert result.error_class == "LookupError"
    assert result.error_message == "no such thing: the thing"
    assert b"Traceback" in harness.stderr()


def test_python_phase_with_an_unserialisable_result_fails_clearly(harness: PhaseHarness) -> None:
    result, _, _ = run(python_phase("not_json"), harness)

    assert result.status == "failed"
    assert result.error_class == "TypeError"
    assert "not JSON-serialisable" in (result.error_message or "")


def test_python_phase_with_a_missing_function_fails(harness: PhaseHarness) -> None:
    result, _, _ = run(python_phase("no_such_function"), harness)

    assert result.status == "failed"
    assert result.error_class == "EntrypointMissing"  # told apart from an AttributeError inside the function


def test_shell_phase_runs_argv_without_a_shell(harness: PhaseHarness) -> None:
    # With a shell, `$HOME; echo injected` would expand and run a second command.
    result, _, _ = run(shell_phase(["echo", "$HOME; echo injected"]), harness)

    assert result.status == "succeeded"
    assert harness.stdout() == b"$HOME; echo injected\n"


def test_shell_string_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="argv list, not a shell string"):
        parse_phase_spec({"kind": "shell", "name": "sh", "argv": "tar -xf in.tar && rm in.tar"})


def test_malformed_specs_are_rejected() -> None:
    with pytest.raises(ValidationError, match="must look like"):
        parse_phase_spec({"kind": "python", "name": "p", "entrypoint": "os.system('rm -rf /')"})
    with pytest.raises(ValidationError, match="phase names"):
        parse_phase_spec({"kind": "shell", "name": "../escape", "argv": ["true"]})
    with pytest.raises(ValidationError):
        parse_phase_spec({"kind": "shell", "name": "sh", "argv": []})


def test_failing_shell_phase_reports_exit_code_and_last_stderr_line(harness: PhaseHarness) -> None:
    result, _, _ = run(shell_phase(["bash", "-c", "echo 'disk is on fire' >&2; exit 3"]), harness)

    assert result.status == "failed"
    assert (result.exit_code, result.signal) == (3, None)
    assert result.error_class == "NonZeroExit"
    assert result.error_message == "exited with status 3: disk is on fire"


def test_shell_phase_killed_by_a_signal_reports_it(harness: PhaseHarness) -> None:
    result, _, _ = run(
        shell_phase([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]), harness
    )

    assert result.status == "failed"
    assert (result.exit_code, result.signal) == (None, signal.SIGSEGV)
    assert result.error_class == "KilledBySignal"


def test_unknown_program_fails_with_127(harness: PhaseHarness) -> None:
    result, _, _ = run(shell_phase(["controlroom-no-such-program"]), harness)

    assert result.status == "failed"
    assert result.exit_code == 127
    assert "command not found" in (result.error_message or "")


def test_processes_left_behind_by_a_phase_are_stopped(harness: PhaseHarness) -> None:
    result, _, _ = run(shell_phase(["bash", "-c", "trap '' TERM; sleep 60 & echo spawned"], **FAST), harness)

    assert result.status == "succeeded"
    assert_group_gone(harness)
    assert any("left behind" in e[2] for e in harness.events.events)


def test_phase_does_not_inherit_the_executors_environment(
    harness: PhaseHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_TEST_EXECUTOR_SECRET", "do-not-leak")
    spec = shell_phase(["env"])
    spec["env"] = {"GIVEN": "by-the-spec"}

    result, _, _ = run(spec, harness)

    assert result.status == "succeeded"
    assert b"do-not-leak" not in harness.stdout()
    assert b"GIVEN=by-the-spec" in harness.stdout()


def test_cancellation_terminates_the_phase(harness: PhaseHarness) -> None:
    spec = python_phase("sleep_stubbornly", {"seconds": 60}, **FAST)
    threading.Timer(0.5, harness.ctx.cancel.set).start()

    result, elapsed, bound = run(spec, harness)

    assert result.status == "cancelled"
    assert result.breach is None
    assert result.signal == signal.SIGKILL  # it ignored SIGTERM, so the grace ran out
    assert elapsed <= 0.5 + bound
    stamp(harness.stdout(), "started")  # it really was running
    assert_group_gone(harness)


def test_cancelled_before_start_spawns_nothing(harness: PhaseHarness) -> None:
    harness.ctx.cancel.set()

    result = run_phase(parse_phase_spec(shell_phase(["true"])), harness.ctx)

    assert result.status == "cancelled"
    assert harness.events.types() == []


def test_events_of_a_successful_phase(harness: PhaseHarness) -> None:
    run(python_phase("add", {"a": 1, "b": 1}), harness)

    assert harness.events.types() == ["phase.started", "phase.log", "phase.log", "phase.finished"]
    (started,) = harness.events.of("phase.started")
    assert started["kind"] == "python"
    finished = harness.events.events[-1]
    assert finished[1] == "info"
    assert finished[3]["status"] == "succeeded"
    logs = harness.events.of("phase.log")
    assert [(p["stream"], p["lines"], p["tail"]) for p in logs] == [
        ("stdout", 1, ["adding 1 and 1"]),
        ("stderr", 1, ["a diagnostic line"]),
    ]


def test_events_of_a_cap_breach(harness: PhaseHarness) -> None:
    run(shell_phase(["sleep", "30"], wall_seconds=0.5, **FAST), harness)

    assert harness.events.types() == ["phase.started", "cap.exceeded", "phase.finished"]
    (breach,) = harness.events.of("cap.exceeded")
    assert (breach["cap"], breach["limit"]) == ("wall_time", 0.5)
    assert isinstance(breach["measured"], float)
    assert breach["measured"] >= 0.5
    assert harness.events.events[-1][1] == "error"
    assert harness.events.events[-1][3]["status"] == "cap_exceeded"


def test_a_phase_that_cannot_start_is_a_failure_not_an_exception(harness: PhaseHarness) -> None:
    spec = shell_phase(["true"])
    spec["cwd"] = str(harness.ctx.workdir / "does-not-exist")

    result, _, _ = run(spec, harness)

    assert result.status == "failed"
    assert result.error_class == "SpawnError"
    assert "does-not-exist" in (result.error_message or "")
