"""IAM documents of the tenant-scoped storage: what each identity may do, written once for moto and AWS.

One role per workspace (`controlroom-ws-<workspace_id>`) may read and write only
`arn:aws:s3:::<bucket>/<workspace_id>/*` and list only that prefix; the executor identity may only
assume those roles; the phase gets nothing but the role's session credentials. Scoping comes from the
role's own policy, not from an AssumeRole session policy (moto does not enforce session policies).
"""

from __future__ import annotations

from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account: the local stack's ARNs live there
ADMIN_USER = "controlroom-admin"
EXECUTOR_USER = "controlroom-executor"
ROLE_PREFIX = "controlroom-ws-"
LOCAL_ROLE_ARN_TEMPLATE = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_PREFIX}{{workspace_id}}"
MAX_SESSION_SECONDS = 43_200  # the longest session IAM allows a role (12 h)

Policy = dict[str, Any]

# What a phase may do inside its folder. No s3:DeleteObjectVersion: in the versioned bucket a
# delete only adds a delete marker, and no version (an artifact's least of all) can be destroyed.
OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:PutObjectRetention",  # artifacts are uploaded with an Object Lock retention
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]


def _document(*statements: Policy) -> Policy:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def admin_policy() -> Policy:
    return _document({"Sid": "StackAdmin", "Effect": "Allow", "Action": "*", "Resource": "*"})


def executor_policy(account_id: str = ACCOUNT_ID, role_prefix: str = ROLE_PREFIX) -> Policy:
    roles = f"arn:aws:iam::{account_id}:role/{role_prefix}*"
    return _document(
        {"Sid": "AssumeWorkspaceRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles},
        # To say "this workspace has no role" instead of handing out credentials that fail later
        # (moto's STS vends credentials for roles that do not exist; AWS refuses the AssumeRole).
        {"Sid": "SeeWorkspaceRoles", "Effect": "Allow", "Action": "iam:GetRole", "Resource": roles},
    )


def workspace_policy(bucket: str, workspace_id: str) -> Policy:
    return _document(
        {
            "Sid": "ObjectsOfTheWorkspace",
            "Effect": "Allow",
            "Action": OBJECT_ACTIONS,
            "Resource": f"arn:aws:s3:::{bucket}/{workspace_id}/*",
        },
        {
            # Real S3 evaluates the condition; moto 5.2.5 does not (it allows listing any prefix, so
            # locally other workspaces' key names are listable, never their contents).
            "Sid": "ListTheWorkspaceFolder",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": [f"{workspace_id}/*", workspace_id]}},
        },
    )


def trust_policy(executor_principal_arn: str) -> Policy:
    return _document({"Effect": "Allow", "Principal": {"AWS": executor_principal_arn}, "Action": "sts:AssumeRole"})


def role_name(workspace_id: str, role_prefix: str = ROLE_PREFIX) -> str:
    return f"{role_prefix}{workspace_id}"
