"""Pod per run (optional): the run's work goes to a Kubernetes Job of its own, so tenant code never
shares a pod, a filesystem or a kernel namespace with the executor or another run — the production
isolation boundary on Kubernetes (docs/security.md; deploy/kubernetes/README.md).

The Job gets only what the run may have: the run's vended, workspace-scoped S3 credentials, in a Secret
made for this run and owned by the Job (deleted with it), plus the data-plane coordinates. Never the
executor's token or identity: the pod has no service-account token and its ServiceAccount has no RBAC.
Its resources are the phase's caps, its deadline the run's, and it is never retried by Kubernetes (the
control plane owns retries).

Wiring the launcher into the executor loop (claim → launch → watch → report) is not part of this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s

from controlroom.phases.models import PhaseCaps

MiB = 1024 * 1024
# What a run's pod may see from its vended credentials (artifacts.credentials: phase_env()).
RUN_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
PLAIN_ENV_KEYS = ("S3_ENDPOINT_URL", "AWS_REGION", "CONTROLROOM_BUCKET")


@dataclass(frozen=True)
class PodRunSettings:
    namespace: str
    image: str  # by digest in production
    service_account: str = "controlroom-run"  # no RBAC, no token (deploy/kubernetes)
    ttl_seconds_after_finished: int = 600
    run_as_user: int = 10002  # not the executor's uid


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


class PodRunLauncher:
    def __init__(self, api: k8s.ApiClient, settings: PodRunSettings) -> None:
        self.batch = k8s.BatchV1Api(api)
        self.core = k8s.CoreV1Api(api)
        self.settings = settings

    def launch(self, **run: Any) -> str:
        """Create the Job, then its Secret owned by it (so deleting the Job deletes the credentials). The
        pod starts once the Secret exists (the kubelet retries a missing secretKeyRef)."""
        job = job_manifest(self.settings, **run)
        created = self.batch.create_namespaced_job(self.settings.namespace, job)
        owner = k8s.V1OwnerReference(
            api_version="batch/v1",
            kind="Job",
            name=created.metadata.name,
            uid=created.metadata.uid,
            controller=True,
            block_owner_deletion=True,
        )
        self.core.create_namespaced_secret(
            self.settings.namespace, run_secret(created.metadata.name, run["env"], owner)
        )
        return str(created.metadata.name)
