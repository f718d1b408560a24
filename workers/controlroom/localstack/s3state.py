"""Durable state for the local S3/IAM/STS endpoint: moto's in-memory backends, kept on disk.

moto keeps everything in memory. This module saves it to a folder and loads it back at the next
start, so objects, their version ids, Object Lock retention, the bucket and the stack's IAM users
and keys survive `controlroom down` / `up` like the Postgres data directory does.

Layout (all files replaced atomically: written to a temporary name, fsynced, renamed, folder fsynced):
- `meta.pickle`: the S3, IAM and STS backends without the objects (buckets and their settings,
  tags, users, keys, roles, sessions);
- `keys/<account>/<bucket hex>/<sha256 of key>.pickle`: one file per object key with all of its
  versions (bytes included) and delete markers.

The objectserver writes a key's file (or the meta file) before it answers a write, under one lock
for all writes, so an acknowledged write is on disk when the client hears of it: a kill -9 of the
server loses nothing that was acknowledged. Multipart uploads in progress are not kept (an upload
is an object only once completed; a client whose upload was cut off starts it again).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle  # our own files, in the owner's state folder
import threading
from pathlib import Path
from typing import Any

from moto.iam.models import iam_backends
from moto.s3.models import FakeBucket, S3Backend, s3_backends
from moto.s3.utils import _VersionedKeyStore
from moto.sts.models import sts_backends

from controlroom.storage.policies import ACCOUNT_ID as DEFAULT_ACCOUNT_ID  # moto's default account

# What the stack uses of moto: S3 (objects), IAM (users, keys, workspace roles), STS (sessions).
_SERVICES: dict[str, Any] = {"s3": s3_backends, "iam": iam_backends, "sts": sts_backends}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Readers (and a restart after a crash) see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than it was given
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _versions_signature(versions: list[Any]) -> tuple[Any, ...]:
    """What identifies a key's state: a change of any of these needs the key's file rewritten."""
    return tuple(
        (
            type(v).__name__,
            getattr(v, "version_id", None),
            getattr(v, "etag", None),
            getattr(v, "lock_mode", None),
            getattr(v, "lock_until", None),
            getattr(v, "lock_legal_status", None),
        )
        for v in versions
    )


class _MetaPickler(pickle.Pickler):
    """Pickles the backends with each bucket's objects and multipart uploads left out (by reference)."""

    def __init__(self, file: io.BytesIO, stores: dict[int, tuple[str, str, str]]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.stores = stores

    def persistent_id(self, obj: Any) -> Any:
        return self.stores.get(id(obj))


class _MetaUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, state: S3State) -> None:
        super().__init__(file)
        self.state = state

    def persistent_load(self, pid: Any) -> Any:
        kind, account, bucket = pid
        if kind == "keys":
            return self.state.load_keys(account, bucket)
        from moto.s3.models import MultipartDict

        return MultipartDict()


class S3State:
    """Save and load moto's S3, IAM and STS state under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()  # one writer at a time (the objectserver holds it per write)
        self._signatures: dict[tuple[str, str, str], tuple[Any, ...]] = {}

    @property
    def meta_file(self) -> Path:
        return self.root / "meta.pickle"

    @property
    def identities_file(self) -> Path:
        return self.root / "identities.json"

    def exists(self) -> bool:
        return self.meta_file.exists()

    def _key_file(self, account: str, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / "keys" / account / bucket.encode().hex() / f"{digest}.pickle"

    # -- the live backends --------------------------------------------------------------------

    @staticmethod
    def _s3_backends() -> list[tuple[str, S3Backend]]:
        return [(account, backend) for account, regions in s3_backends.items() for backend in regions.values()]

    def _bucket(self, bucket: str) -> tuple[str, FakeBucket | None]:
        """The bucket and its account (bucket names are global in S3, and so in moto)."""
        for account, backend in self._s3_backends():
            if bucket in backend.buckets:
                found: FakeBucket = backend.buckets[bucket]
                return account, found
        return DEFAULT_ACCOUNT_ID, None

    # -- saving ---------------------------------------------------------------------------------

    def save_meta(self) -> None:
        with self.lock:
            stores: dict[int, tuple[str, str, str]] = {}
            for account, backend in self._s3_backends():
                for name, bucket in backend.buckets.items():
                    stores[id(bucket.keys)] = ("keys", account, name)
                    stores[id(bucket.multiparts)] = ("multiparts", account, name)
            snapshot = {
                service: {account: dict(regions.items()) for account, regions in backends.items()}
                for service, backends in _SERVICES.items()
            }
            buffer = io.BytesIO()
            _MetaPickler(buffer, stores).dump(snapshot)
            write_durably(self.meta_file, buffer.getvalue())

    def save_key(self, bucket: str, key: str) -> None:
        """Write one key's versions (or remove its file when the key is gone)."""
        with self.lock:
            account, found = self._bucket(bucket)
            path = self._key_file(account, bucket, key)
            versions = list(found.keys.getlist(key, [])) if found is not None else []
            if not versions:
                if path.exists():
                    path.unlink()
                    _fsync_dir(path.parent)
                self._signatures.pop((account, bucket, key), None)
                return
            write_durably(path, pickle.dumps((key, versions), protocol=pickle.HIGHEST_PROTOCOL))
            self._signatures[(account, bucket, key)] = _versions_signature(versions)

    def save_bucket_keys(self, bucket: str, *, changed_only: bool = False) -> None:
        """Every key of a bucket (after a multi-object delete, or at shutdown: the changed ones)."""
        with self.lock:
            account, found = self._bucket(bucket)
            folder = self._key_file(account, bucket, "").parent
            live: set[str] = set()
            if found is not None:
                for key in list(found.keys.keys()):
                    live.add(self._key_file(account, bucket, key).name)
                    signature = _versions_signature(list(found.keys.getlist(key, [])))
                    if changed_only and self._signatures.get((account, bucket, key)) == signature:
                        continue
                    self.save_key(bucket, key)
            if folder.is_dir():
                for stale in folder.glob("*.pickle"):
                    if stale.name not in live:
                        stale.unlink()
            for known in [k for k in self._signatures if k[:2] == (account, bucket) and k[2] not in live]:
                self._signatures.pop(known, None)

    def save_all(self) -> None:
        """At a clean stop: meta, and any key whose state differs from its file."""
        with self.lock:
            self.save_meta()
            for _, backend in self._s3_backends():
                for name in list(backend.buckets):
                    self.save_bucket_keys(name, changed_only=True)

    # -- loading --------------------------------------------------------------------------------

    def load_keys(self, account: str, bucket: str) -> _VersionedKeyStore:
        store = _VersionedKeyStore()
        folder = self._key_file(account, bucket, "").parent
        if folder.is_dir():
            for path in sorted(folder.glob("*.pickle")):
                key, versions = pickle.loads(path.read_bytes())  # noqa: S301  # our own files
                dict.__setitem__(store, key, versions)  # the store's own __setitem__ appends a version
                self._signatures[(account, bucket, key)] = _versions_signature(versions)
        return store

    def restore(self) -> bool:
        """Load the saved state into moto's live backends; False when there is none yet."""
        if not self.exists():
            return False
        with self.lock:
            snapshot = _MetaUnpickler(io.BytesIO(self.meta_file.read_bytes()), self).load()
            for service, accounts in snapshot.items():
                live_backends = _SERVICES[service]
                for account, regions in accounts.items():
                    for region, saved in regions.items():
                        live = live_backends[account][region]
                        live.__dict__.clear()
                        live.__dict__.update(saved.__dict__)
        return True
