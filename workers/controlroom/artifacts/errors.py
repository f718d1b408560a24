"""Typed failures of the artifact store, so the executor can branch without parsing S3 error codes."""

from __future__ import annotations


class ArtifactError(Exception):
    """Base class; carries the s3:// URI it is about."""

    def __init__(self, uri: str, message: str) -> None:
        super().__init__(f"{uri}: {message}")
        self.uri = uri


class ArtifactExists(ArtifactError):
    """The key already holds an object: artifacts are write-once (HTTP 412 on the conditional put)."""


class ArtifactConflict(ArtifactError):
    """Another writer is completing the same key right now (HTTP 409); one of the two will win."""


class ArtifactIntegrityError(ArtifactError):
    """The store rejected the bytes because they did not match the SHA-256 sent with them."""


class ArtifactStorageError(ArtifactError):
    """Any other failure of the object store (network, permissions, missing bucket)."""


class ArtifactTooLarge(ArtifactError):
    """More parts than a multipart upload allows at the configured part size."""
