"""Pod per run through the real worker loop and the real local stack (control plane, S3, STS): the executor
claims, vends the run's credentials, creates the run's Job on a recorded Kubernetes API
(tests/deploy/kube_fake.py, whose "pod" is a real `controlroom pod-run` process with only the Job's
environment), keeps the lease while the Job runs, and reports exactly as for a run in its own pod: success,
a phase's failure with its exit code, cancel (the Job deleted, Foreground), the Job's deadline and the
executor's own timer, and a Job the API refuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from controlroom import keys
from controlroom.artifacts import ArtifactStore, s3_client
from controlroom.artifacts.credentials import CredentialVendor
from controlroom.client.control_plane import ControlPlane
from controlroom.executor.launchers import launcher_from_env
from controlroom.executor.loop import Executor, ExecutorOptions
from controlroom.executor.podrun import PodRunLauncher, PodRunSettings
from controlroom.settings import StorageSettings
from controlroom.storage.provision import provisioner_from
from tests.deploy.kube_fake import FakeKubernetes
from tests.worker.conftest import Queue, shell, wait_until

BUCKET = os.environ.get("CONTROLROOM_BUCKET", "controlroom-artifacts")
PHASE_FUNCS = str(Path(__file__).resolve().parents[1] / "executor")
IMAGE = "ghcr.io/lakehouse-control-room/executor@sha256:" + "a" * 64
ALLOWED_ENV = {
    "S3_ENDPOINT_URL",
    "AWS_REGION",
    "CONTROLROOM_BUCKET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
}


class PodWorker:
    def __init__(self, executor: Executor, thread: threading.Thread) -> None:
        self.executor = executor
        self.thread = thread

    def stop(self) -> None:
        self.executor.shutting_down.set()
        self.executor._work_done.set()
        self.thread.join(60)
        assert not self.thread.is_alive()


@pytest.fixture
def pod_worker(api_env: dict[str, str]) -> Iterator[Callable[..., PodWorker]]:
    started: list[tuple[PodWorker, ControlPlane, FakeKubernetes]] = []

    def start(queue: Queue, kube: FakeKubernetes, **settings: Any) -> PodWorker:
        token = keys.executor_token(api_env["SUPABASE_JWT_SECRET"], pool=queue.pool, ttl_seconds=600)
        plane = ControlPlane.connect(api_env["SUPABASE_URL"], api_env["SUPABASE_ANON_KEY"], access_token=token)
        store = ArtifactStore(s3_client(os.environ["S3_ENDPOINT_URL"], os.environ.get("AWS_REGION")), BUCKET)
        storage = StorageSettings.from_env()
        vendor = CredentialVendor(storage, provisioner=provisioner_from(storage, BUCKET))
        pods = PodRunLauncher(
            kube.client(),
            PodRunSettings(
                namespace="controlroom-runs",
                image=IMAGE,
                **{"poll_seconds": 0.2, "start_seconds": 30.0, **settings},
            ),
        )
        options = ExecutorOptions(
            pool=queue.pool, heartbeat_seconds=0.5, event_flush_seconds=0.2, poll_ceiling_seconds=0.2, grace_seconds=5
        )
        executor = Executor(plane, store, options, vendor=vendor, pods=pods)
        thread = threading.Thread(target=executor.run, daemon=True)
        thread.start()
        worker = PodWorker(executor, thread)
        started.append((worker, plane, kube))
        return worker

    yield start
    for worker, plane, kube in started:
        worker.stop()
        plane.close()
        kube.close()


def _admin_s3() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION"))


def _object(uri: str) -> bytes:
    body: bytes = _admin_s3().get_object(Bucket=BUCKET, Key=uri.split("/", 3)[3])["Body"].read()
    return body


def _types(queue: Queue, run: str) -> list[str]:
    return [e["type"] for e in queue.events(run)]


def test_a_run_in_its_own_pod_succeeds_and_reports_like_a_run_in_the_executor(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker]
) -> None:
    queue = make_queue(
        [
            shell("sh", "-c", "echo hello from the pod", name="greet"),
            {
                "name": "add",
                "kind": "python",
                "entrypoint": "phase_funcs:add",
                "params": {"a": 1, "b": 2},
                "pythonpath": [PHASE_FUNCS],
            },
        ]
    )
    kube = FakeKubernetes()
    run = queue.submit()
    pod_worker(queue, kube)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=90)
    assert final["status"] == "succeeded", queue.attempts(run)

    (attempt,) = queue.attempts(run)
    assert attempt["result"]["phases"]["add"]["sum"] == 3
    job = kube.job_of(run)
    assert job.process is not None
    assert job.process.returncode == 0
    # The Job's container: the run image, the pod entry point and the plan under the run's own prefix.
    container = job.container
    assert container["image"] == IMAGE
    assert container["args"] == [
        "pod-run",
        "--plan",
        f"s3://{BUCKET}/{queue.workspace_id}/{run}/1/_pod/plan.json",
    ]
    assert {e["name"] for e in container["env"]} <= ALLOWED_ENV
    # Only the run's vended, workspace-scoped session credentials: not the executor's keys.
    secret = kube.secrets[job.body["metadata"]["name"]]["stringData"]
    assert set(secret) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    assert secret["AWS_ACCESS_KEY_ID"] != os.environ.get("AWS_ACCESS_KEY_ID")
    assert secret["AWS_ACCESS_KEY_ID"] != os.environ.get("CONTROLROOM_EXECUTOR_AWS_ACCESS_KEY_ID")
    assert "CONTROLROOM_TOKEN" not in json.dumps(job.body)

    types = _types(queue, run)
    assert types.index("pod.launched") < types.index("pod.finished")
    assert types.count("phase.finished") == 2  # the pod's phase events, replayed on the run
    artifacts = {(a["phase"], a["name"]): a for a in queue.artifacts(run)}
    assert json.loads(_object(artifacts[("add", "result.json")]["uri"]))["sum"] == 3
    log = _object(artifacts[("add", "logs/pod.log")]["uri"]).decode()
    assert "hello from the pod" in log
    assert "adding 1 and 2" in log
    calls = kube.calls()
    assert calls[:2] == [
        ("POST", "/apis/batch/v1/namespaces/controlroom-runs/jobs"),
        ("POST", "/api/v1/namespaces/controlroom-runs/secrets"),
    ]
    assert ("GET", "/apis/batch/v1/namespaces/controlroom-runs/jobs/{name}") in calls
    assert ("GET", "/api/v1/namespaces/controlroom-runs/pods/{name}/log") in calls


def test_a_failing_phase_fails_the_run_with_the_pods_exit_code(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker]
) -> None:
    queue = make_queue([shell("sh", "-c", "echo broken >&2; exit 3", name="breaks")], retries={"max_attempts": 1})
    kube = FakeKubernetes()
    run = queue.submit()
    pod_worker(queue, kube)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=90)
    assert final["status"] == "failed"
    (attempt,) = queue.attempts(run)
    assert "3" in attempt["error_message"]
    assert kube.job_of(run).process is not None
    finished = next(e for e in queue.events(run) if e["type"] == "pod.finished")
    assert finished["payload"]["exit_code"] == 3
    assert finished["payload"]["reason"] == "BackoffLimitExceeded"
    assert "exit code 3" in finished["message"]


def test_cancel_deletes_the_job_in_the_foreground_and_confirms(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker], service_plane: ControlPlane
) -> None:
    queue = make_queue([shell("sleep", "120", name="sleeps")])
    kube = FakeKubernetes()
    run = queue.submit()
    pod_worker(queue, kube)
    assert wait_until(lambda: any(j.process is not None for j in kube.jobs.values()), 60)
    job = kube.job_of(run)
    asked = time.monotonic()
    service_plane.cancel_run(run, "stop it")
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "cancelled"
    assert time.monotonic() - asked < 30
    name = job.body["metadata"]["name"]
    deletes = [(path, query) for method, path, query, _ in kube.requests if method == "DELETE"]
    assert deletes == [(f"/apis/batch/v1/namespaces/controlroom-runs/jobs/{name}", {"propagationPolicy": "Foreground"})]
    assert job.process is not None
    assert job.process.poll() is not None
    assert name not in kube.secrets  # and the run's credentials with it


def test_the_jobs_active_deadline_ends_a_run_as_a_wall_time_breach(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker]
) -> None:
    # The pod never starts (an image pull that hangs): Kubernetes ends the Job at its deadline.
    queue = make_queue([shell("sleep", "120", name="stuck", wall_seconds=1, kill_grace_seconds=0)])
    kube = FakeKubernetes(start_delay=600)
    run = queue.submit()
    pod_worker(queue, kube, start_seconds=1.0)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "failed"
    (attempt,) = queue.attempts(run)
    assert attempt["error_class"] == "cap_exceeded"
    assert "activeDeadlineSeconds" in attempt["error_message"]
    job = kube.job_of(run)
    assert job.deadline_exceeded
    assert job.body["spec"]["activeDeadlineSeconds"] == 4  # ceil(1 s start + 1 s wall + 1.2 s enforcement bound)
    breach = next(e for e in queue.events(run) if e["type"] == "run.cap_exceeded")
    assert breach["payload"]["cap"] == "wall_time"


def test_the_executors_own_timer_deletes_a_job_that_kubernetes_does_not_end(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker]
) -> None:
    queue = make_queue([shell("sleep", "120", name="stuck", wall_seconds=1, kill_grace_seconds=0)])
    kube = FakeKubernetes(start_delay=600, enforce_deadlines=False)
    run = queue.submit()
    pod_worker(queue, kube, start_seconds=1.0, deadline_margin_seconds=1.0)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "failed"
    (attempt,) = queue.attempts(run)
    assert attempt["error_class"] == "cap_exceeded"
    assert "the executor deleted it" in attempt["error_message"]
    name = kube.job_of(run).body["metadata"]["name"]
    assert [(m, p) for m, p, _, _ in kube.requests if m == "DELETE"] == [
        ("DELETE", f"/apis/batch/v1/namespaces/controlroom-runs/jobs/{name}")
    ]


@pytest.mark.parametrize("status", [403, 409, 422])
def test_a_job_the_api_refuses_fails_the_run_with_a_stable_error_class(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker], status: int
) -> None:
    queue = make_queue([shell("true", name="never")], retries={"max_attempts": 3})
    kube = FakeKubernetes(refuse_jobs=status)
    run = queue.submit()
    pod_worker(queue, kube)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "failed"  # not retried: the API would refuse the next attempt alike
    (attempt,) = queue.attempts(run)
    assert attempt["error_class"] == "pod_launch_refused"
    assert f"HTTP {status}" in attempt["error_message"]
    assert attempt["retryable"] is False
    assert not kube.jobs
    assert not kube.secrets


# A pod whose tenant code writes an outcome of its own (with the run's credentials, which it holds).
FORGE = r"""
import json, os, sys
import boto3
bucket, key = sys.argv[-1][5:].split("/", 1)
result = {"phase": "intruder", "kind": "shell", "status": "succeeded", "exit_code": 0, "signal": None,
          "duration_seconds": 0.1, "cpu_seconds": 0.0, "peak_rss_bytes": 0, "stdout_bytes": 0, "stderr_bytes": 0}
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
s3.put_object(Bucket=bucket, Key=key.rsplit("/", 1)[0] + "/outcome.json", Body=json.dumps({"results": [result]}))
"""


def test_an_outcome_that_is_not_the_plans_fails_the_run_without_retries(
    make_queue: Callable[..., Queue], pod_worker: Callable[..., PodWorker]
) -> None:
    queue = make_queue([shell("true", name="honest")], retries={"max_attempts": 3})
    kube = FakeKubernetes(entrypoint=[sys.executable, "-c", FORGE])
    run = queue.submit()
    pod_worker(queue, kube)
    final = queue.wait_for(run, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "failed"
    (attempt,) = queue.attempts(run)
    assert attempt["error_class"] == "pod_outcome_invalid"
    assert "not the plan's" in attempt["error_message"]
    assert attempt["retryable"] is False


def test_the_launcher_setting_and_the_run_image_are_checked() -> None:
    assert launcher_from_env({}) == "process"
    assert launcher_from_env({"CONTROLROOM_RUN_LAUNCHER": "Kubernetes-Job"}) == "kubernetes-job"
    with pytest.raises(ValueError, match="must be one of process, kubernetes-job"):
        launcher_from_env({"CONTROLROOM_RUN_LAUNCHER": "docker"})
    with pytest.raises(ValueError, match="CONTROLROOM_RUN_IMAGE"):
        PodRunSettings.from_env({"CONTROLROOM_RUN_LAUNCHER": "kubernetes-job"})
    settings = PodRunSettings.from_env({"CONTROLROOM_RUN_IMAGE": IMAGE, "CONTROLROOM_RUN_NAMESPACE": "runs"})
    assert (settings.image, settings.namespace, settings.service_account) == (IMAGE, "runs", "controlroom-run")


def _worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The worker's exit and its stderr as one line (typer boxes and wraps the message)."""
    done = subprocess.run(
        [sys.executable, "-m", "controlroom.cli", "worker", "--pool", "p-pods", "--once"],
        env=env | {"CONTROLROOM_STORAGE_PROBE": "off"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    done.stderr = " ".join(re.sub(r"[│╭╮╰╯─]", " ", done.stderr).split())
    return done


def test_a_worker_refuses_jobs_per_run_with_shared_credentials_or_without_a_run_image() -> None:
    shared = _worker(
        dict(os.environ) | {"CONTROLROOM_RUN_LAUNCHER": "kubernetes-job", "CONTROLROOM_STORAGE_CREDENTIALS": "shared"}
    )
    assert shared.returncode == 2, shared.stderr[-2000:]
    assert "only the run's vended credentials" in shared.stderr
    no_image = _worker(dict(os.environ) | {"CONTROLROOM_RUN_LAUNCHER": "kubernetes-job"})
    assert no_image.returncode == 2, no_image.stderr[-2000:]
    assert "CONTROLROOM_RUN_IMAGE" in no_image.stderr
    unknown = _worker(dict(os.environ) | {"CONTROLROOM_RUN_LAUNCHER": "docker"})
    assert unknown.returncode == 2, unknown.stderr[-2000:]
    assert "must be one of process, kubernetes-job" in unknown.stderr
