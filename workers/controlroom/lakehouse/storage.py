"""Where datasets live: s3:// URIs through pyarrow's S3 filesystem and delta-rs, local paths as they are.

Credentials and endpoint come from the standard variables the executor hands a phase
(S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION), the same
ones boto3 reads, so one environment serves artifacts, pyarrow and delta-rs alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

import pyarrow.fs as pafs

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class DataPlane:
    endpoint_url: str | None  # None: AWS S3 itself
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    region: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DataPlane:
        env = os.environ if environ is None else environ
        return cls(
            endpoint_url=env.get("S3_ENDPOINT_URL") or None,
            access_key=env.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        )

    @property
    def _scheme(self) -> Literal["http", "https"]:
        return "http" if self.endpoint_url and urlparse(self.endpoint_url).scheme == "http" else "https"

    def s3_filesystem(self) -> pafs.S3FileSystem:
        endpoint = urlparse(self.endpoint_url).netloc if self.endpoint_url else None
        return pafs.S3FileSystem(
            access_key=self.access_key,
            secret_key=self.secret_key,
            session_token=self.session_token,
            region=self.region,
            scheme=self._scheme,
            endpoint_override=endpoint,
            # Path-style addressing: MinIO and moto serve buckets under the endpoint, not as subdomains.
            force_virtual_addressing=False,
        )

    def delta_storage_options(self) -> dict[str, str]:
        options = {"AWS_REGION": self.region, "conditional_put": "etag"}  # etag: safe concurrent commits on S3
        if self.endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.endpoint_url
            options["AWS_ALLOW_HTTP"] = "true" if self._scheme == "http" else "false"
        for key, value in (
            ("AWS_ACCESS_KEY_ID", self.access_key),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key),
            ("AWS_SESSION_TOKEN", self.session_token),
        ):
            if value:
                options[key] = value
        return options

    def resolve(self, uri: str) -> tuple[pafs.FileSystem, str]:
        """A filesystem and the path inside it for pyarrow."""
        if uri.startswith("s3://"):
            return self.s3_filesystem(), uri[len("s3://") :]
        return pafs.LocalFileSystem(), local_path(uri)

    def delta_location(self, uri: str) -> tuple[str, dict[str, str] | None]:
        """The table URI and storage options for delta-rs."""
        if uri.startswith("s3://"):
            return uri, self.delta_storage_options()
        return local_path(uri), None


def local_path(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri
