"""The data plane: write-once, SHA-256-checked artifacts and logs on S3-compatible storage."""

from controlroom.artifacts.client import s3_client
from controlroom.artifacts.errors import (
    ArtifactConflict,
    ArtifactError,
    ArtifactExists,
    ArtifactIntegrityError,
    ArtifactStorageError,
    ArtifactTooLarge,
)
from controlroom.artifacts.logs import S3LogSink, log_key
from controlroom.artifacts.models import ArtifactKey, ArtifactRecord, Lineage, LineageInput, VerifyResult
from controlroom.artifacts.store import ArtifactStore, ObjectLock

__all__ = [
    "ArtifactConflict",
    "ArtifactError",
    "ArtifactExists",
    "ArtifactIntegrityError",
    "ArtifactKey",
    "ArtifactRecord",
    "ArtifactStorageError",
    "ArtifactStore",
    "ArtifactTooLarge",
    "Lineage",
    "LineageInput",
    "ObjectLock",
    "S3LogSink",
    "VerifyResult",
    "log_key",
    "s3_client",
]
