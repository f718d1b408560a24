"""Pod per run (optional): the run's work goes to a Kubernetes Job of its own, so tenant code never
shares a pod, a filesystem or a kernel namespace with the executor or another run — the production
isolation boundary on Kubernetes (docs/security.md; deploy/kubernetes/README.md).

The Job gets only what the run may have: the run's vended, workspace-scoped S3 credentials, in a Secret
made for this run and owned by the Job (deleted with it), plus the data-plane coordinates. Never the
executor's token or identity: the pod has no service-account token and its ServiceAccount has no RBAC.
Its resources are the phase's caps, its deadline the run's, and it is never retried by Kubernetes (the
control plane owns retries).

The executor drives a run's Job through this module only (executor/podrun_execution.py): create it and its
Secret, read its state, read its pod's exit code and log, delete it. Those calls are the whole of the
executor's Kubernetes API access, and the Role of deploy/kubernetes/overlays/pod-per-run grants exactly them
(a test compares the two).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from controlroom.phases.models import PhaseCaps

MiB = 1024 * 1024
# What a run's pod may see from its vended credentials (artifacts.credentials: phase_env()).
RUN_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
PLAIN_ENV_KEYS = ("S3_ENDPOINT_URL", "AWS_REGION", "CONTROLROOM_BUCKET")


# The pod's entry point: the run image's entrypoint is `controlroom` (as the executor's).
POD_COMMAND = "pod-run"
_IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class PodRunError(Exception):
    """The Kubernetes API did not do what the launcher asked."""

    error_class = "pod_api_unavailable"
    retryable = True


class PodLaunchRefused(PodRunError):
    """The API refused the run's Job (403 forbidden, 409 exists, 422 invalid, …): a retry is refused alike."""

    error_class = "pod_launch_refused"
    retryable = False


class PodJobGone(PodRunError):
    """The run's Job disappeared while it ran (deleted by someone else): the attempt's outcome is unknown."""

    error_class = "pod_job_lost"
    retryable = True


@dataclass(frozen=True)
class PodRunSettings:
    namespace: str
    image: str  # by digest in production
    service_account: str = "controlroom-run"  # no RBAC, no token (deploy/kubernetes)
    ttl_seconds_after_finished: int = 600
    run_as_user: int = 10002  # not the executor's uid
    # How often the executor reads the Job's state while it runs.
    poll_seconds: float = 1.0
    # Scheduling and image pull before the first phase starts, added to the phases' wall caps.
    start_seconds: float = 120.0
    # The executor's own timer fires this long after activeDeadlineSeconds if the Job is still not over
    # (the Job controller lags or is down): it deletes the Job and reports the wall-time breach itself.
    deadline_margin_seconds: float = 30.0
    # The runner in the pod (python + controlroom) on top of the phase's caps.memory_bytes.
    memory_overhead_bytes: int = 256 * MiB
    log_limit_bytes: int = 8 * MiB  # of the pod's log, stored as the run's `logs/pod.log`

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PodRunSettings:
        """CONTROLROOM_RUN_IMAGE (required), CONTROLROOM_RUN_NAMESPACE (default: the worker's own namespace
        in a cluster, else `controlroom`), CONTROLROOM_RUN_SERVICE_ACCOUNT (controlroom-run),
        CONTROLROOM_RUN_POLL_SECONDS (1), CONTROLROOM_RUN_START_SECONDS (120)."""
        image = environ.get("CONTROLROOM_RUN_IMAGE", "").strip()
        if not image:
            raise ValueError(
                "CONTROLROOM_RUN_LAUNCHER=kubernetes-job needs CONTROLROOM_RUN_IMAGE: the image of the runs' pods "
                "(the executor's image, pinned by digest), e.g. ghcr.io/lakehouse-control-room/executor@sha256:…"
            )
        namespace = environ.get("CONTROLROOM_RUN_NAMESPACE", "").strip()
        if not namespace:
            namespace = _IN_CLUSTER_NAMESPACE.read_text().strip() if _IN_CLUSTER_NAMESPACE.exists() else "controlroom"
        return cls(
            namespace=namespace,
            image=image,
            service_account=environ.get("CONTROLROOM_RUN_SERVICE_ACCOUNT", "").strip() or "controlroom-run",
            poll_seconds=float(environ.get("CONTROLROOM_RUN_POLL_SECONDS") or 1.0),
            start_seconds=float(environ.get("CONTROLROOM_RUN_START_SECONDS") or 120.0),
        )


@dataclass(frozen=True)
class JobState:
    """What the Job controller says about a run's Job."""

    finished: bool
    succeeded: bool = False
    reason: str | None = None  # of the Failed condition: DeadlineExceeded, BackoffLimitExceeded, …
    message: str | None = None


@dataclass(frozen=True)
class PodExit:
    """How the run's container ended, as the kubelet reported it (None: no container terminated)."""

    exit_code: int | None
    reason: str | None  # Completed, Error, OOMKilled, …
    pod: str | None


def api_client() -> k8s.ApiClient:
    """In a cluster, the worker's ServiceAccount token (the pod-per-run overlay mounts it); elsewhere the
    usual kubeconfig."""
    from kubernetes import config  # only a kubernetes-job worker needs it

    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
    else:
        config.load_kube_config()
    return k8s.ApiClient()


def job_name(run_id: str, attempt: int) -> str:
    return f"controlroom-run-{re.sub(r'[^a-z0-9]', '', run_id.lower())[:20]}-{attempt}"


def run_secret(name: str, env: Mapping[str, str], owner: k8s.V1OwnerReference | None) -> k8s.V1Secret:
    data = {key: env[key] for key in RUN_ENV_KEYS if env.get(key)}
    return k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name=name, owner_references=[owner] if owner else None),
        type="Opaque",
        string_data=data,
        immutable=True,
    )


def job_manifest(
    settings: PodRunSettings,
    *,
    run_id: str,
    attempt: int,
    workspace_id: str,
    argv: Sequence[str],
    caps: PhaseCaps,
    deadline_seconds: float,
    env: Mapping[str, str],
) -> k8s.V1Job:
    """The Job of one run attempt. `env` is what the executor would give the phase (its vended credentials
    and the data-plane coordinates); only RUN_ENV_KEYS (through the run's Secret) and PLAIN_ENV_KEYS pass."""
    name = job_name(run_id, attempt)
    labels = {
        "app.kubernetes.io/name": "controlroom-run",
        "controlroom.dev/run": run_id,
        "controlroom.dev/attempt": str(attempt),
        "controlroom.dev/workspace": workspace_id,
    }
    variables = [k8s.V1EnvVar(name=key, value=env[key]) for key in PLAIN_ENV_KEYS if env.get(key)]
    variables += [
        k8s.V1EnvVar(
            name=key,
            value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name=name, key=key)),
        )
        for key in RUN_ENV_KEYS
        if env.get(key)
    ]
    memory = f"{math.ceil(caps.memory_bytes / MiB)}Mi"
    container = k8s.V1Container(
        name="run",
        image=settings.image,
        image_pull_policy="Always",
        args=list(argv),
        env=variables,
        resources=k8s.V1ResourceRequirements(
            requests={"cpu": "500m", "memory": memory, "ephemeral-storage": "1Gi"},
            limits={"memory": memory, "ephemeral-storage": "2Gi"},
        ),
        security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
        ),
        volume_mounts=[k8s.V1VolumeMount(name="tmp", mount_path="/tmp")],  # noqa: S108 - the pod's own emptyDir
    )
    pod = k8s.V1PodSpec(
        containers=[container],
        restart_policy="Never",
        service_account_name=settings.service_account,
        automount_service_account_token=False,
        enable_service_links=False,
        termination_grace_period_seconds=math.ceil(caps.kill_grace_seconds) + 5,
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=settings.run_as_user,
            run_as_group=settings.run_as_user,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
        volumes=[k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="2Gi"))],
    )
    return k8s.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=k8s.V1ObjectMeta(name=name, labels=labels),
        spec=k8s.V1JobSpec(
            backoff_limit=0,  # the control plane decides retries, never Kubernetes
            # The run's own deadline bounds the pod; the phase's wall cap is inside it.
            active_deadline_seconds=max(
                1, math.ceil(min(deadline_seconds, caps.wall_seconds + caps.kill_grace_seconds))
            ),
            ttl_seconds_after_finished=settings.ttl_seconds_after_finished,
            template=k8s.V1PodTemplateSpec(metadata=k8s.V1ObjectMeta(labels=labels), spec=pod),
        ),
    )


def _api_error(what: str, exc: ApiException) -> PodRunError:
    """4xx but 404/408/429: the API refuses this request as such (a retry gets the same answer)."""
    status = int(exc.status or 0)
    text = f"{what}: HTTP {status} {exc.reason or ''}".strip()
    detail = _status_message(exc)
    if detail:
        text += f": {detail}"
    if status == 404:
        return PodJobGone(text)
    if 400 <= status < 500 and status not in (408, 429):
        return PodLaunchRefused(text)
    return PodRunError(text)


def _status_message(exc: ApiException) -> str:
    """The `message` of the API server's Status body, if it sent one."""
    try:
        body = json.loads(exc.body) if exc.body else None
    except (ValueError, TypeError):
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:500] if message else ""


class PodRunLauncher:
    """Every Kubernetes API call of the executor (the pod-per-run overlay's Role grants exactly these):
    jobs create/get/delete, secrets create, pods list, pods/log get."""

    def __init__(self, api: k8s.ApiClient, settings: PodRunSettings) -> None:
        self.batch = k8s.BatchV1Api(api)
        self.core = k8s.CoreV1Api(api)
        self.settings = settings

    def launch(self, **run: Any) -> str:
        """Create the Job, then its Secret owned by it (so deleting the Job deletes the credentials). The
        pod starts once the Secret exists (the kubelet retries a missing secretKeyRef)."""
        job = job_manifest(self.settings, **run)
        try:
            created = self.batch.create_namespaced_job(self.settings.namespace, job)
        except ApiException as exc:
            raise _api_error(f"creating Job {job.metadata.name}", exc) from exc
        owner = k8s.V1OwnerReference(
            api_version="batch/v1",
            kind="Job",
            name=created.metadata.name,
            uid=created.metadata.uid,
            controller=True,
            block_owner_deletion=True,
        )
        try:
            self.core.create_namespaced_secret(
                self.settings.namespace, run_secret(created.metadata.name, run["env"], owner)
            )
        except ApiException as exc:
            # GUARD: a Job without its Secret waits for it forever; it goes, and the run fails.
            self.delete(str(created.metadata.name))
            raise _api_error(f"creating the Secret of Job {created.metadata.name}", exc) from exc
        return str(created.metadata.name)

    def state(self, name: str) -> JobState:
        try:
            job = self.batch.read_namespaced_job(name, self.settings.namespace)
        except ApiException as exc:
            raise _api_error(f"reading Job {name}", exc) from exc
        for condition in (job.status.conditions if job.status else None) or []:
            if condition.status != "True":
                continue
            # SuccessCriteriaMet/FailureTarget come first on 1.31+; Complete/Failed are the final word.
            if condition.type == "Complete":
                return JobState(finished=True, succeeded=True, reason=condition.reason)
            if condition.type == "Failed":
                return JobState(finished=True, reason=condition.reason, message=condition.message)
        return JobState(finished=False)

    def _pod(self, name: str) -> k8s.V1Pod | None:
        try:
            pods = self.core.list_namespaced_pod(self.settings.namespace, label_selector=f"job-name={name}")
        except ApiException as exc:
            raise _api_error(f"listing the pods of Job {name}", exc) from exc
        return pods.items[0] if pods.items else None  # backoffLimit 0: one pod at most

    def exit(self, name: str) -> PodExit:
        pod = self._pod(name)
        if pod is None:
            return PodExit(None, None, None)
        for status in (pod.status.container_statuses if pod.status else None) or []:
            terminated = status.state.terminated if status.state else None
            if status.name == "run" and terminated is not None:
                return PodExit(terminated.exit_code, terminated.reason, pod.metadata.name)
        return PodExit(None, None, pod.metadata.name)

    def log(self, name: str) -> str:
        """The run container's log (the phases' stdout and stderr), at most log_limit_bytes; empty when
        the pod never started."""
        pod = self._pod(name)
        if pod is None:
            return ""
        try:
            # Unparsed: the client would decode a log that happens to be one JSON document as JSON.
            response = self.core.read_namespaced_pod_log(
                pod.metadata.name,
                self.settings.namespace,
                container="run",
                limit_bytes=self.settings.log_limit_bytes,
                _preload_content=False,
            )
        except ApiException as exc:
            raise _api_error(f"reading the log of pod {pod.metadata.name}", exc) from exc
        return bytes(response.data or b"").decode("utf-8", "replace")

    def delete(self, name: str) -> None:
        """Foreground: the Job is gone only once its pod (and the run's Secret it owns) are."""
        try:
            self.batch.delete_namespaced_job(name, self.settings.namespace, propagation_policy="Foreground")
        except ApiException as exc:
            if exc.status == 404:
                return  # already gone (its TTL, or an earlier delete)
            raise _api_error(f"deleting Job {name}", exc) from exc
