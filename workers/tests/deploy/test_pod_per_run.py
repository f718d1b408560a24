"""The pod-per-run launcher against a recorded Kubernetes API: the real `kubernetes` client, with its HTTP
transport replaced by one that records each request and answers as the API server would. Checked: the Job's
image, env from the run's vended credentials only (through a Secret owned by the Job), resources from the
caps, deadlines, no retries by Kubernetes, a restricted pod without API access."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client as k8s

from controlroom.executor.podrun import PodRunLauncher, PodRunSettings
from controlroom.phases.models import PhaseCaps

RUN = "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"
VENDED = {
    "AWS_ACCESS_KEY_ID": "ASIARUNSCOPED",
    "AWS_SECRET_ACCESS_KEY": "run-secret",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "run-session",
    "S3_ENDPOINT_URL": "https://s3.eu-west-1.amazonaws.com",
    "AWS_REGION": "eu-west-1",
    "CONTROLROOM_BUCKET": "lake",
    # what must never reach a run's pod, even if a caller passes it along
    "CONTROLROOM_TOKEN": "executor-jwt",
    "CONTROLROOM_EXECUTOR_AWS_SECRET_ACCESS_KEY": "executor-key",  # pragma: allowlist secret
}


class Recorded:
    """urllib3-like response for the client's deserializer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.reason = "OK"
        self.data = json.dumps(body).encode()

    def getheaders(self) -> dict[str, str]:
        return {"content-type": "application/json"}

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.getheaders().get(name.lower(), default)

    def read(self) -> bytes:
        return self.data


class RecordingTransport:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def POST(self, url: str, body: Any = None, **_: Any) -> Recorded:  # the client calls rest_client.POST(...)
        return self.request("POST", url, body=body)

    def request(self, method: str, url: str, headers: Any = None, body: Any = None, **_: Any) -> Recorded:
        self.requests.append((method, url, body))
        answer = dict(body)
        answer["metadata"] = {**body["metadata"], "uid": f"uid-{len(self.requests)}", "resourceVersion": "1"}
        return Recorded(201, answer)


@pytest.fixture
def recorded() -> tuple[PodRunLauncher, RecordingTransport]:
    api = k8s.ApiClient(k8s.Configuration(host="https://k8s.invalid"))
    transport = RecordingTransport()
    api.rest_client = transport
    return PodRunLauncher(
        api, PodRunSettings(namespace="controlroom-runs", image="ghcr.io/x/run@sha256:" + "a" * 64)
    ), transport


def _launch(launcher: PodRunLauncher) -> str:
    return launcher.launch(
        run_id=RUN,
        attempt=2,
        workspace_id="ws-7",
        argv=["controlroom-run", "--run", RUN],
        caps=PhaseCaps(wall_seconds=600, memory_bytes=3 * 1024**3, kill_grace_seconds=5),
        deadline_seconds=7200,
        env=VENDED,
    )


def test_a_run_becomes_a_job_and_then_a_secret_owned_by_it(recorded: tuple[PodRunLauncher, RecordingTransport]) -> None:
    launcher, transport = recorded
    name = _launch(launcher)
    assert [(m, u) for m, u, _ in transport.requests] == [
        ("POST", "https://k8s.invalid/apis/batch/v1/namespaces/controlroom-runs/jobs"),
        ("POST", "https://k8s.invalid/api/v1/namespaces/controlroom-runs/secrets"),
    ]
    secret = transport.requests[1][2]
    assert secret["metadata"]["name"] == name
    assert secret["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": name,
            "uid": "uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert secret["stringData"] == {
        k: VENDED[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    assert secret["immutable"] is True


def test_the_job_spec_carries_only_the_runs_credentials_its_caps_and_deadlines(
    recorded: tuple[PodRunLauncher, RecordingTransport],
) -> None:
    launcher, transport = recorded
    name = _launch(launcher)
    job = transport.requests[0][2]
    spec = job["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (0, 605, 600)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/x/run@sha256:" + "a" * 64
    assert container["args"] == ["controlroom-run", "--run", RUN]
    assert container["resources"]["limits"]["memory"] == "3072Mi"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"]: e for e in container["env"]}
    assert set(env) == {
        "S3_ENDPOINT_URL",
        "AWS_REGION",
        "CONTROLROOM_BUCKET",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert env[key]["valueFrom"]["secretKeyRef"] == {"name": name, "key": key}  # never the value itself
    assert "executor" not in json.dumps(job)


def test_a_job_whose_secret_is_refused_is_deleted_and_the_refusal_is_stable() -> None:
    from controlroom.executor.podrun import PodLaunchRefused
    from tests.deploy.kube_fake import FakeKubernetes

    kube = FakeKubernetes(refuse_secrets=403)
    launcher = PodRunLauncher(kube.client(), PodRunSettings(namespace="controlroom-runs", image="img"))
    try:
        with pytest.raises(PodLaunchRefused) as refused:
            _launch(launcher)
    finally:
        kube.close()
    assert refused.value.error_class == "pod_launch_refused"
    assert "HTTP 403" in str(refused.value)
    # Without its Secret the pod would wait forever: the Job goes at once.
    assert [m for m, _, _, _ in kube.requests] == ["POST", "POST", "DELETE"]
    assert not kube.jobs


def test_a_pod_per_run_executor_needs_vended_credentials() -> None:
    from controlroom.executor.loop import Executor, ExecutorOptions

    launcher = PodRunLauncher(k8s.ApiClient(k8s.Configuration(host="https://k8s.invalid")), PodRunSettings("n", "i"))
    with pytest.raises(ValueError, match="vended credentials"):
        Executor(None, None, ExecutorOptions(pool="p"), pods=launcher, vendor=None)  # type: ignore[arg-type]
