"""Secret scan of the tracked files with detect-secrets, against a committed baseline.

The baseline (`.secrets.baseline`) records findings that were reviewed and are not secrets; any
new finding fails the gate with the file and line, and how to act on it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def tracked_files(repo: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (repo / name).is_file()]


def scan(repo: Path, files: list[str] | None = None) -> tuple[bool, str]:
    """Runs detect-secrets-hook; returns (clean, report)."""
    names = tracked_files(repo) if files is None else files
    hook = Path(sys.executable).with_name("detect-secrets-hook")
    proc = subprocess.run(
        [str(hook), "--baseline", ".secrets.baseline", *names], cwd=repo, capture_output=True, text=True, check=False
    )
    report = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0, report
