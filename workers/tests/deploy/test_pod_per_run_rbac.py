"""The pod-per-run Role grants exactly the Kubernetes API calls the launcher makes: every call of a run's
life (launch, state, exit code, log, delete) is recorded on the recorded API, turned into the RBAC
(apiGroup, resource, verb) it needs, and compared with the Role rendered from
deploy/kubernetes/overlays/pod-per-run."""

from __future__ import annotations

import re
import sys

from controlroom.executor.podrun import PodRunLauncher, PodRunSettings
from controlroom.phases.models import PhaseCaps
from tests.deploy.kube_fake import FakeKubernetes
from tests.deploy.test_kubernetes_manifests import pod_per_run_role
from tests.worker.conftest import wait_until

# What the API server checks for each request: (method, path) → (apiGroup, resource, verb).
_VERBS = [
    ("POST", r"^/apis/batch/v1/namespaces/[^/]+/jobs$", ("batch", "jobs", "create")),
    ("GET", r"^/apis/batch/v1/namespaces/[^/]+/jobs/[^/]+$", ("batch", "jobs", "get")),
    ("DELETE", r"^/apis/batch/v1/namespaces/[^/]+/jobs/[^/]+$", ("batch", "jobs", "delete")),
    ("POST", r"^/api/v1/namespaces/[^/]+/secrets$", ("", "secrets", "create")),
    ("GET", r"^/api/v1/namespaces/[^/]+/pods$", ("", "pods", "list")),
    ("GET", r"^/api/v1/namespaces/[^/]+/pods/[^/]+/log$", ("", "pods/log", "get")),
]


def _rbac(method: str, path: str) -> tuple[str, str, str]:
    for verb_method, pattern, needed in _VERBS:
        if method == verb_method and re.match(pattern, path):
            return needed
    raise AssertionError(f"{method} {path}: no RBAC mapping; add it here and to the Role if the launcher needs it")


def test_the_role_grants_exactly_the_calls_the_launcher_makes() -> None:
    kube = FakeKubernetes(entrypoint=[sys.executable, "-c", "print('a run')"])
    launcher = PodRunLauncher(
        kube.client(), PodRunSettings(namespace="controlroom-runs", image="img@sha256:" + "b" * 64)
    )
    try:
        name = launcher.launch(
            run_id="0b4e9a52-4f7e-4a55-9d3b-1f0c2d3e4f5a",
            attempt=1,
            workspace_id="ws",
            argv=["pod-run", "--plan", "s3://b/k"],
            caps=PhaseCaps(wall_seconds=60),
            deadline_seconds=600,
            env={"AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"},
        )
        assert wait_until(lambda: launcher.state(name).finished, 30)
        assert launcher.state(name).succeeded
        assert launcher.exit(name).exit_code == 0
        assert launcher.log(name) == "a run\n"
        launcher.delete(name)
        launcher.delete(name)  # already gone: not an error
    finally:
        kube.close()
    made = {_rbac(method, path) for method, path, _, _ in kube.requests}
    assert made == pod_per_run_role()
