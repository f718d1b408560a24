"""Artifact keys, lineage and records: what register_artifact stores and verify checks."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHA256 = r"^[0-9a-f]{64}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArtifactKey(_Model):
    """Where an artifact lives: `<workspace>/<run>/<attempt>/<phase>/<name>` inside the bucket.

    Every segment is restricted to [A-Za-z0-9._-] so that a key never needs escaping and cannot
    climb out of its prefix; `name` may have sub-folders (`logs/stdout.log`).
    """

    workspace: str
    run: str
    attempt: int = Field(ge=1)
    phase: str
    name: str

    @field_validator("workspace", "run", "phase")
    @classmethod
    def _segment(cls, value: str) -> str:
        if not _SEGMENT.match(value):
            raise ValueError(f"{value!r} is not a key segment: 1-128 of [A-Za-z0-9._-], starting alphanumeric")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > 512 or not all(_SEGMENT.match(part) for part in value.split("/")):
            raise ValueError(f"artifact name {value!r}: '/'-separated segments of [A-Za-z0-9._-], at most 512 chars")
        return value

    @property
    def object_key(self) -> str:
        return f"{self.workspace}/{self.run}/{self.attempt}/{self.phase}/{self.name}"

    def sibling(self, name: str) -> ArtifactKey:
        """Another artifact of the same phase attempt."""
        return ArtifactKey.model_validate({**self.model_dump(), "name": name})


class LineageInput(_Model):
    artifact_id: str
    sha256: str = Field(pattern=_SHA256)


class Lineage(_Model):
    spec_hash: str | None = None
    producing_phase: str | None = Field(default=None, description="Filled from the key when not given.")
    inputs: list[LineageInput] = Field(default_factory=list)
    tool_versions: dict[str, str] = Field(default_factory=dict)
    row_count: int | None = Field(default=None, ge=0)
    extra: dict[str, JsonValue] = Field(default_factory=dict)


class ArtifactRecord(_Model):
    key: ArtifactKey
    bucket: str
    uri: str
    sha256: str = Field(pattern=_SHA256, description="SHA-256 of the whole object, hex.")
    size: int = Field(ge=0)
    content_type: str
    lineage: Lineage
    version_id: str | None = Field(
        default=None, description="The S3 version the upload created (versioned bucket); verify reads exactly it."
    )
    etag: str | None = None

    @model_validator(mode="after")
    def _uri_matches_key(self) -> ArtifactRecord:
        if self.uri != f"s3://{self.bucket}/{self.key.object_key}":
            raise ValueError(f"uri {self.uri!r} does not match bucket {self.bucket!r} and key layout")
        return self


class VerifyResult(_Model):
    status: Literal["ok", "mismatch", "missing"]
    uri: str
    expected_sha256: str
    expected_size: int
    actual_sha256: str | None = None
    actual_size: int | None = None
    version_id: str | None = None  # the version that was read
    superseded: bool = Field(
        default=False,
        description="The key now serves another version than the recorded one (a later put or a delete "
        "marker); status and actual_* describe what it serves.",
    )
    recorded_intact: bool | None = Field(
        default=None,
        description="With a recorded version: whether exactly that version still holds the recorded bytes.",
    )

    @property
    def ok(self) -> bool:
        return self.status == "ok"
