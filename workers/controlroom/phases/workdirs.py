"""Working directories of runs and phases that no other run can read.

Layout of one run (created by the worker, removed after the run):

    <tmp>/controlroom-<run>-XXXX/      the worker's, 0711: phases may pass through, not list it
        <phase>/                       the phase identity's, 0700: cwd, HOME and TMPDIR of the phase
            phase-<phase>-XXXX/        the phase identity's, 0700: params.json in, result.json out

Every directory the worker creates is created inside one that the phase cannot write to (or that
the phase has not run in yet), so a phase cannot plant a symlink that makes the worker, which may
be root, create or write files elsewhere. What the worker reads back (result.json) is opened
without following symlinks (see report.py), and removal uses shutil.rmtree, which does not follow
symlinks either.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from controlroom.phases.identity import PhaseIdentity


def give_to(path: Path, identity: PhaseIdentity | None) -> None:
    if identity is not None:
        os.chown(path, identity.uid, identity.gid, follow_symlinks=False)


def private_dir(parent: Path, name: str, identity: PhaseIdentity | None) -> Path:
    """parent/name, new, mode 0700, owned by the identity (the caller's own when None)."""
    path = parent / name
    path.mkdir(mode=0o700)
    give_to(path, identity)
    return path


@contextlib.contextmanager
def run_root(prefix: str, identity: PhaseIdentity | None) -> Iterator[Path]:
    """A fresh directory for one run, removed with everything in it when the run ends."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if identity is not None:
            # Searchable, not listable, by the phase uid: it reaches only its own phase directory.
            root.chmod(0o711)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
