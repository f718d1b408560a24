"""The local S3 endpoint keeps its data across restarts and keeps refusing a second write to a key.

Each test runs its own object server (`python -m controlroom.localstack.objectserver`) on a free
port with a data folder of its own: no shared stack is touched.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

BUCKET = "persist-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    data_dir: Path
    identities_file: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.identities_file.unlink(missing_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "controlroom.localstack.objectserver",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "--identities",
                    str(self.identities_file),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while not self.identities_file.exists():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the object server did not start"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)
        self.proc = None

    def identities(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.identities_file.read_text())
        return data

    def client(self, who: str = "admin") -> Any:
        ident = self.identities()[who]
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=ident["access_key_id"],
            aws_secret_access_key=ident["secret_access_key"],
            config=Config(
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
            ),
        )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "s3", tmp_path / "s3-identities.json", _free_port(), tmp_path / "s3.log")
    srv.start()
    yield srv
    if srv.proc is not None:
        srv.stop(signal.SIGKILL)


def _put_once(s3: Any, key: str, body: bytes, *, lock_days: int = 1) -> dict[str, Any]:
    """What the artifact store does: write-once, with a SHA-256 checksum and a retention."""
    answer: dict[str, Any] = s3.put_object(
        Bucket=BUCKET,
        Key=key,
        Body=body,
        IfNoneMatch="*",
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=lock_days),
    )
    return answer


def _second_write_refused(s3: Any, key: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"overwrite", IfNoneMatch="*")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def _described(s3: Any, key: str) -> tuple[bytes, str, str, str, str]:
    got = s3.get_object(Bucket=BUCKET, Key=key)
    # HEAD, not GetObjectRetention: moto 5.2.5 answers that one with a body botocore cannot parse.
    head = s3.head_object(Bucket=BUCKET, Key=key)
    return (
        got["Body"].read(),
        got["ETag"],
        got["VersionId"],
        head["ObjectLockMode"],
        head["ObjectLockRetainUntilDate"].isoformat(),
    )


def test_objects_versions_locks_and_keys_survive_a_clean_restart(server: Server) -> None:
    s3 = server.client()
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    body = os.urandom(300_000)  # beyond moto's in-memory buffer: spooled to a temporary file
    written = _put_once(s3, "runs/a/result.bin", body)
    _put_once(s3, "runs/ü n/ä+b.json", b'{"unicode": true}')
    before = _described(s3, "runs/a/result.bin")
    keys_before = server.identities()
    _second_write_refused(s3, "runs/a/result.bin")

    server.stop()
    server.start()

    assert server.identities() == keys_before  # the same users and keys: running clients go on
    s3 = server.client()
    after = _described(s3, "runs/a/result.bin")
    assert after == before
    assert after[2] == written["VersionId"]
    assert hashlib.sha256(after[0]).hexdigest() == hashlib.sha256(body).hexdigest()
    assert s3.get_object(Bucket=BUCKET, Key="runs/ü n/ä+b.json")["Body"].read() == b'{"unicode": true}'
    _second_write_refused(s3, "runs/a/result.bin")
    _second_write_refused(s3, "runs/ü n/ä+b.json")
    # Object Lock still holds: the locked version cannot be deleted.
    with pytest.raises(ClientError) as locked:
        s3.delete_object(Bucket=BUCKET, Key="runs/a/result.bin", VersionId=written["VersionId"])
    assert locked.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_iam_is_enforced_after_a_restart(server: Server) -> None:
    server.client().create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    server.stop()
    server.start()
    stranger = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        # Built at run time so the repository never holds a key-shaped string (made up: IAM knows no such key).
        aws_access_key_id="AKIA" + "UNKNOWN000000000",
        aws_secret_access_key="x" * 40,  # pragma: allowlist secret
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    with pytest.raises(ClientError) as unknown:
        stranger.put_object(Bucket=BUCKET, Key="x", Body=b"x")
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    with pytest.raises(ClientError) as denied:  # the executor identity may only assume roles
        server.client(who="executor").put_object(Bucket=BUCKET, Key="x", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_an_acknowledged_write_survives_kill_9(server: Server) -> None:
    s3 = server.client()
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    written = {f"k/{i}": os.urandom(1000 + i) for i in range(20)}
    versions = {key: _put_once(s3, key, body)["VersionId"] for key, body in written.items()}
    s3.delete_object(Bucket=BUCKET, Key="k/0")  # a delete marker over a locked version
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "k/1"}, {"Key": "k/2"}]})  # bucket-level

    server.stop(signal.SIGKILL)  # no chance to save anything at exit
    server.start()

    s3 = server.client()
    for key, body in written.items():
        got = s3.get_object(Bucket=BUCKET, Key=key, VersionId=versions[key])
        assert got["Body"].read() == body
    for key in written:
        if key in ("k/0", "k/1", "k/2"):
            with pytest.raises(ClientError) as gone:
                s3.get_object(Bucket=BUCKET, Key=key)
            assert gone.value.response["Error"]["Code"] == "NoSuchKey"
        else:
            _second_write_refused(s3, key)
