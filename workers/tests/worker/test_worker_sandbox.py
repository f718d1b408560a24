"""Phase code is hostile: the attacks a phase can try on its worker and on other runs, with real
workers, real phases and the real stack. The worker runs as root here (the local stack, CI), so it
runs each phase as an unprivileged uid of its own."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from controlroom import keys
from controlroom.artifacts import ArtifactStore, s3_client
from tests.worker.conftest import PY, Queue, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="uid separation needs a worker that runs as root")

# The values a phase must never see; all are in the environment the test workers start with.
SECRET_NAMES = ("SUPABASE_JWT_SECRET", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL")


def _texts_of(queue: Queue, run: str) -> str:
    """Everything a viewer of the run can read: its events and its log artifacts."""
    events = json.dumps(queue.events(run))
    store = ArtifactStore(s3_client(os.environ["S3_ENDPOINT_URL"]), os.environ["CONTROLROOM_BUCKET"])
    logs = []
    for row in queue.artifacts(run):
        obj = store.client.get_object(Bucket=store.bucket, Key=row["uri"].split("/", 3)[3])
        logs.append(obj["Body"].read().decode(errors="replace"))
    return events + "\n".join(logs)


def _stdout_of(queue: Queue, run: str) -> str:
    store = ArtifactStore(s3_client(os.environ["S3_ENDPOINT_URL"]), os.environ["CONTROLROOM_BUCKET"])
    for row in queue.artifacts(run):
        if row["name"] == "logs/stdout.log":
            obj = store.client.get_object(Bucket=store.bucket, Key=row["uri"].split("/", 3)[3])
            return str(obj["Body"].read().decode(errors="replace"))
    raise AssertionError(f"run {run} has no stdout log")


def test_a_phase_cannot_read_the_worker_environment(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    secrets = {name: os.environ[name] for name in SECRET_NAMES}
    # The attack from the issue, word for word, then the same through the worker's memory maps.
    attack = (
        "tr '\\0' '\\n' < /proc/$PPID/environ && echo ENVIRON_READ || echo ENVIRON_DENIED; "
        "head -c 100 /proc/$PPID/maps >/dev/null 2>&1 && echo MAPS_READ || echo MAPS_DENIED; "
        "id -u"
    )
    queue = make_queue([{"name": "steal", "kind": "shell", "argv": ["sh", "-c", attack]}])
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    assert worker.wait(timeout=60) == 0
    assert queue.run(run)["status"] == "succeeded"

    out = _stdout_of(queue, run)
    assert "ENVIRON_DENIED" in out, out
    assert "ENVIRON_READ" not in out, out
    assert "MAPS_DENIED" in out, out
    assert "MAPS_READ" not in out, out
    assert int(out.strip().splitlines()[-1]) not in (0, os.getuid()), "the phase ran as the worker's uid"
    seen = _texts_of(queue, run)
    for name, value in secrets.items():
        assert value not in seen, f"{name} reached the run's events or logs"


def _lurker(marker: str) -> dict[str, Any]:
    """Writes a secret into its own working directory and waits there."""
    code = (
        "import os, sys, time; open('secret.txt', 'w').write(sys.argv[1]); "
        "print('CWD', os.getcwd(), flush=True); time.sleep(8)"
    )
    return {"name": "lurk", "kind": "shell", "argv": [PY, "-c", code, marker]}


PROBE = """
import glob, os, sys, time
marker_seen, denied = False, set()
deadline = time.monotonic() + 6
while time.monotonic() < deadline:
    # /tmp is listable, so the lurker's run directory is found by its run id; it cannot be listed,
    # but phase names are no secret: try the lurker's phase directory by name.
    for d in [p for root in glob.glob(f'/tmp/controlroom-{sys.argv[1][:8]}-*') for p in (root, root + '/lurk')]:
        if os.getcwd().startswith(d):
            continue
        for attempt in (lambda: open(os.path.join(d, 'secret.txt')).read(), lambda: ' '.join(os.listdir(d))):
            try:
                print('LEAK', d, attempt(), flush=True)
            except PermissionError:
                denied.add(d)
            except OSError:
                pass
    time.sleep(0.2)
for d in sorted(denied):
    print('DENIED', d, flush=True)
"""


def test_a_phase_cannot_read_another_runs_working_directory(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    marker = f"run-a-secret-{os.urandom(8).hex()}"
    lurker_queue = make_queue([_lurker(marker)])
    lurker_run = lurker_queue.submit()
    probe_queue = make_queue([{"name": "probe", "kind": "shell", "argv": [PY, "-c", PROBE, lurker_run]}])
    lurker_worker = start_worker(lurker_queue.pool, "--once")
    assert wait_until(lambda: "CWD" in json.dumps(lurker_queue.events(lurker_run)) or _lurking(lurker_run), 30)
    probe_run = probe_queue.submit()
    probe_worker = start_worker(probe_queue.pool, "--once")
    assert probe_worker.wait(timeout=60) == 0
    assert lurker_worker.wait(timeout=60) == 0
    assert probe_queue.run(probe_run)["status"] == "succeeded"
    assert lurker_queue.run(lurker_run)["status"] == "succeeded"

    lurker_cwd = _stdout_of(lurker_queue, lurker_run).split("CWD", 1)[1].split()[0]
    probe_out = _stdout_of(probe_queue, probe_run)
    assert "LEAK" not in probe_out, probe_out
    assert marker not in _texts_of(probe_queue, probe_run)
    assert f"DENIED {lurker_cwd}" in probe_out, (lurker_cwd, probe_out)


def _lurking(run: str) -> bool:
    # The lurker's directory exists once its phase has started; its first 8 hex digits name it.
    return any(name.startswith(f"controlroom-{run[:8]}-") for name in os.listdir(tempfile.gettempdir()))


def test_a_phase_cannot_kill_its_worker(make_queue: Callable[..., Queue], start_worker: Any) -> None:
    attack = (
        "for s in TERM KILL; do kill -s $s $PPID 2>/dev/null && echo KILL_$${s}_SENT || echo KILL_$${s}_DENIED; done"
    )
    queue = make_queue([{"name": "assassin", "kind": "shell", "argv": ["sh", "-c", attack]}])
    run = queue.submit()
    worker = start_worker(queue.pool, "--once")
    code = worker.wait(timeout=60)
    assert code == 0, (code, worker.stderr.read() if worker.stderr else "")
    assert queue.run(run)["status"] == "succeeded"
    out = _stdout_of(queue, run)
    assert "KILL_TERM_DENIED" in out, out
    assert "KILL_KILL_DENIED" in out, out


def test_a_deeply_nested_run_fails_alone_and_the_worker_goes_on(
    make_queue: Callable[..., Queue], start_worker: Any, database_url: str
) -> None:
    queue = make_queue(
        [{"name": "work", "kind": "shell", "argv": ["echo", "fine"]}],
        params={"type": "object", "properties": {"deep": {}}},
    )
    before = queue.submit()
    deep = '{"deep": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Written past submit_run, which refuses params nested this deep (docs/caps.md): rows like it
        # can still exist (submitted before the bound, or by the database owner), and the worker
        # must survive them.
        row = conn.execute(
            """
            insert into public.runs (
                workspace_id, spec_id, params, priority, pool, required_labels, created_at, score,
                not_before, status_changed_at, status_changed_by, status_reason, updated_at
            )
            select s.workspace_id, s.id, %s::jsonb, 0, s.pool, s.required_labels, now(), 0,
                now(), now(), 'service_role', 'submitted', now()
            from public.pipeline_specs as s
            where s.workspace_id = %s::uuid and s.name = %s
            order by s.id
            limit 1
            returning id
            """,
            (deep, queue.workspace_id, queue.spec_name),
        ).fetchone()
    assert row is not None
    hostile = str(row[0])
    after = queue.submit()
    # One claim holds all three runs.
    worker = start_worker(queue.pool, "--once", "--concurrency", "3")
    code = worker.wait(timeout=60)
    assert code == 0, (code, worker.stderr.read() if worker.stderr else "")

    assert queue.run(before)["status"] == "succeeded"
    assert queue.run(after)["status"] == "succeeded"
    # Read through SQL: the API client refuses (InvalidReply) to decode the hostile row's params.
    with psycopg.connect(database_url) as conn:
        status = conn.execute("select status from public.runs where id = %s", (hostile,)).fetchone()
    assert status == ("failed",), status
    attempts = queue.attempts(hostile)
    assert len(attempts) == 1, attempts
    assert attempts[0]["retryable"] is False, attempts
    assert attempts[0]["error_class"] == "invalid_claim_payload"
    assert "levels deep, above the limit" in attempts[0]["error_message"], attempts[0]["error_message"]


def test_a_signal_storm_while_the_worker_runs_does_not_hang_it(
    make_queue: Callable[..., Queue], start_worker: Any
) -> None:
    # Many short runs keep the worker's threads logging (claims, phases, finishes) while signals land.
    queue = make_queue([{"name": "work", "kind": "shell", "argv": ["true"]}])
    for _ in range(30):
        queue.submit()
    worker = start_worker(queue.pool, "--concurrency", "8", "--poll-max", "0.05", "--grace", "5")
    assert worker.stderr is not None
    drain = threading.Thread(target=worker.stderr.read, daemon=True)  # a full pipe would block it
    drain.start()
    assert wait_until(
        lambda: any(r.status != "queued" for r in queue.plane.run_board(workspace_id=queue.workspace_id)), 30
    )
    with contextlib.suppress(ProcessLookupError):
        for _ in range(300):
            os.kill(worker.pid, signal.SIGTERM)
            time.sleep(0.001)  # signals sent back to back coalesce into one pending signal
    try:
        code = worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker hung after a storm of SIGTERMs") from None
    # The second signal means "exit now": 128 + SIGTERM.
    assert code == 128 + signal.SIGTERM, code


def test_a_phase_cannot_read_the_token_file_and_a_readable_token_file_is_refused(
    make_queue: Callable[..., Queue], tmp_path: Path
) -> None:
    exe = shutil.which("controlroom", path=str(Path(PY).parent)) or "controlroom"
    tmp_path.chmod(0o755)  # the directory is not what protects the token: the file's mode is
    token_file = tmp_path / "executor-token"
    attack = ["sh", "-c", 'cat "$1" || echo TOKEN_DENIED', "sh", str(token_file)]
    queue = make_queue([{"name": "peek", "kind": "shell", "argv": attack}])
    token = keys.executor_token(os.environ["SUPABASE_JWT_SECRET"], pool=queue.pool, ttl_seconds=600)
    token_file.write_text(token)
    # A worker with no secret in its environment at all: only the token file.
    env = {k: v for k, v in os.environ.items() if k not in (*SECRET_NAMES, "CONTROLROOM_TOKEN")}
    env["CONTROLROOM_TOKEN_FILE"] = str(token_file)
    argv = [exe, "worker", "--pool", queue.pool, "--once"]

    token_file.chmod(0o644)
    refused = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0
    assert "must not be readable by group or others" in refused.stderr

    token_file.chmod(0o600)
    run = queue.submit()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert queue.run(run)["status"] == "succeeded"
    assert "TOKEN_DENIED" in _stdout_of(queue, run)
    assert token not in _texts_of(queue, run)


STEAL_MODULE = """
import os, sys

def steal(params):
    # Replace the result file pyentry would write with a link to a file only the worker can read,
    # and leave without writing: a worker that follows it reports that file as the result.
    result = sys.argv[sys.argv.index("--result") + 1]
    if params["how"] == "symlink":
        os.symlink(params["target"], result)
    else:
        os.link(params["target"], result)
    os._exit(0)
"""


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_a_phase_cannot_make_the_worker_read_a_file_for_it(make_queue: Callable[..., Queue], how: str) -> None:
    marker = f"worker-only-{os.urandom(8).hex()}"
    private = Path(tempfile.mkdtemp(prefix="h5-private-"))  # 0700, the worker's (root's)
    target = private / "secret.json"
    target.write_text(json.dumps({"ok": True, "result": marker}))
    target.chmod(0o600)
    private.chmod(0o711)  # reachable by path, as /etc/shadow is; the file's mode protects it
    code_dir = Path(tempfile.mkdtemp(prefix="h5-code-"))
    code_dir.chmod(0o755)
    (code_dir / "h5_steal.py").write_text(STEAL_MODULE)
    (code_dir / "h5_steal.py").chmod(0o644)
    try:
        queue = make_queue(
            [
                {
                    "name": "steal",
                    "kind": "python",
                    "entrypoint": "h5_steal:steal",
                    "pythonpath": [str(code_dir)],
                    "params": {"target": str(target), "how": how},
                }
            ],
            retries={"max_attempts": 1},
        )
        run = queue.submit()
        worker = subprocess.Popen(
            [
                shutil.which("controlroom", path=str(Path(PY).parent)) or "controlroom",
                "worker",
                "--pool",
                queue.pool,
                "--once",
            ],
            env=dict(os.environ),
            stderr=subprocess.PIPE,
            text=True,
        )
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        assert queue.run(run)["status"] == "failed"
        assert marker not in _texts_of(queue, run)
        assert marker not in json.dumps(queue.run(run))
    finally:
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(code_dir, ignore_errors=True)
