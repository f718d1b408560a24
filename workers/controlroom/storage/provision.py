"""Creating (or updating) the IAM role of a workspace: `controlroom storage provision`, and the local
stack's automatic provisioning. Needs an identity that may manage IAM roles (the stack's admin, or an
operator's); executors never hold one outside the local stack."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from controlroom.settings import StorageSettings
from controlroom.storage.policies import MAX_SESSION_SECONDS, trust_policy, workspace_policy

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

POLICY_NAME = "controlroom-workspace-folder"


def role_name_from_arn(role_arn: str) -> str:
    """arn:aws:iam::123:role/some/path/name -> name."""
    return role_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Provisioned:
    workspace_id: str
    role_arn: str
    created: bool


class RoleProvisioner:
    def __init__(self, iam: IAMClient, *, bucket: str, role_arn_template: str, executor_principal_arn: str) -> None:
        if "{workspace_id}" not in role_arn_template:
            raise ValueError(f"the role ARN template {role_arn_template!r} must contain {{workspace_id}}")
        self.iam = iam
        self.bucket = bucket
        self.role_arn_template = role_arn_template
        self.executor_principal_arn = executor_principal_arn
        self._done: set[str] = set()
        self._lock = threading.Lock()

    def ensure(self, workspace_id: str) -> None:
        """Provision once per process (the local executor calls this before every vend)."""
        with self._lock:
            if workspace_id in self._done:
                return
        self.provision(workspace_id)
        with self._lock:
            self._done.add(workspace_id)

    def provision(self, workspace_id: str) -> Provisioned:
        """Idempotent: creates the role if missing, and (re)writes its trust and folder policies."""
        role_arn = self.role_arn_template.format(workspace_id=workspace_id)
        name = role_name_from_arn(role_arn)
        trust = json.dumps(trust_policy(self.executor_principal_arn))
        created = False
        try:
            self.iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=trust,
                MaxSessionDuration=MAX_SESSION_SECONDS,
                Description=f"Control Room workspace {workspace_id}: its folder of s3://{self.bucket} only",
                Tags=[{"Key": "controlroom:workspace", "Value": workspace_id}],
            )
            created = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "EntityAlreadyExists":
                raise
            self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
        self.iam.put_role_policy(
            RoleName=name,
            PolicyName=POLICY_NAME,
            PolicyDocument=json.dumps(workspace_policy(self.bucket, workspace_id)),
        )
        return Provisioned(workspace_id, role_arn, created)


def provisioner_from(settings: StorageSettings, bucket: str) -> RoleProvisioner:
    """With the caller's own IAM identity (boto3's usual chain), per the storage settings."""
    if not settings.role_arn_template:
        raise ValueError("CONTROLROOM_WORKSPACE_ROLE_ARN is not set")
    if not settings.executor_principal_arn:
        raise ValueError(
            "CONTROLROOM_EXECUTOR_PRINCIPAL_ARN is not set: the ARN of the identity executors use (the roles trust it)"
        )
    iam = boto3.client(
        "iam",
        endpoint_url=settings.iam_endpoint_url,
        region_name=settings.region,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    return RoleProvisioner(
        iam,
        bucket=bucket,
        role_arn_template=settings.role_arn_template,
        executor_principal_arn=settings.executor_principal_arn,
    )
