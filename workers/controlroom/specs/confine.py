"""Every dataset URI of a spec lies inside its workspace's folder of the artifacts bucket.

Tenants share one bucket and, at the executor, one host: a spec that names another workspace's
folder, another bucket or a host path must be refused before anything reads or writes it. The rule
is checked three times (defence in depth): by `controlroom spec validate` (here, on the written
spec), by `publish_spec` in SQL (the same rule, for clients that skip the gate), and by the executor
after rendering (here again, on concrete URIs: a parameter such as `lake_prefix: ../w2` only shows
its value then).

- s3:// URIs must start with `s3://${run.bucket}/${run.workspace}/` as written; once rendered,
  `s3://<bucket>/<workspace_id>/`.
- No `.` or `..` segment, no `%` (percent-escapes decode to `..` in URL parsers such as delta-rs's),
  no backslash.
- Local paths (`/abs`, `file://`) are refused: on a shared executor the host's files are not any
  tenant's data, and the run's working directory is private to one phase and deleted when the run
  ends, so no dataset can usefully live there. Phases pass data to each other through S3.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from controlroom.phases.models import PythonPhase
from controlroom.specs.placeholders import walk_strings
from controlroom.specs.problems import Loc

if TYPE_CHECKING:
    from controlroom.specs.render import RenderedPhase

URI_OUTSIDE_WORKSPACE = "uri_outside_workspace"
SPEC_PREFIX = "s3://${run.bucket}/${run.workspace}/"

# Where a phase names a dataset: its own inputs/outputs/output, or those of a lakehouse entry point's
# params (a python phase of controlroom.lakehouse.sql_phase:run declares them there). publish_spec
# (private.first_uri_problem) matches the same locations.
_DATASET_LOC = re.compile(r"^(params\.)?(inputs\[\d+\]|outputs\[\d+\]|output)\.uri$")


@dataclass(frozen=True)
class UriFinding:
    loc: Loc  # ("phases", 2, "inputs", 0, "uri")
    uri: str
    message: str


def dataset_uris(phase: JsonValue, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """(location, uri) of every dataset URI in one phase's JSON body."""
    for where, text in walk_strings(phase, loc):
        if _DATASET_LOC.match(_relative(where[len(loc) :])):
            yield where, text


def rendered_findings(phases: Iterable[RenderedPhase], *, bucket: str, workspace_id: str) -> list[UriFinding]:
    """For a run's rendered phases: the URIs it would really touch (lineage lists and entry-point params)."""
    findings = []
    for index, phase in enumerate(phases):
        body: dict[str, JsonValue] = {
            "inputs": [{"uri": uri} for uri in phase.inputs],
            "outputs": [{"uri": uri} for uri in phase.outputs],
            "params": phase.runtime.params if isinstance(phase.runtime, PythonPhase) else {},
        }
        for loc, uri in dataset_uris(body, ("phases", index)):
            message = rendered_uri_problem(uri, bucket=bucket, workspace_id=workspace_id)
            if message:
                findings.append(UriFinding(loc, uri, message))
    return findings


def spec_findings(phases: Iterable[JsonValue]) -> list[UriFinding]:
    """For a spec as written (placeholders not substituted)."""
    findings = []
    for index, phase in enumerate(phases):
        for loc, uri in dataset_uris(phase, ("phases", index)):
            message = written_uri_problem(uri)
            if message:
                findings.append(UriFinding(loc, uri, message))
    return findings


def written_uri_problem(uri: str) -> str | None:
    if not uri.startswith("s3://"):
        return _local_or_other(uri)
    if not uri.startswith(SPEC_PREFIX) or len(uri) == len(SPEC_PREFIX):
        return (
            f"{uri!r} is outside the workspace: dataset URIs must start with {SPEC_PREFIX} "
            "(the run's bucket and workspace folder), followed by a key"
        )
    return _key_problem(uri, uri[len(SPEC_PREFIX) :])


def rendered_uri_problem(uri: str, *, bucket: str, workspace_id: str) -> str | None:
    """For a concrete URI of a run in `workspace_id`."""
    if not uri.startswith("s3://"):
        return _local_or_other(uri)
    prefix = f"s3://{bucket}/{workspace_id}/"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        return f"{uri!r} is outside the workspace: this run may only use URIs under {prefix}"
    return _key_problem(uri, uri[len(prefix) :])


def _key_problem(uri: str, key: str) -> str | None:
    if "%" in key or "\\" in key:
        return f"{uri!r}: '%' and '\\' are not allowed in dataset URIs (escapes could climb out of the workspace)"
    if any(segment in (".", "..") for segment in key.split("/")):
        return f"{uri!r}: '.' and '..' segments are not allowed in dataset URIs"
    return None


def _local_or_other(uri: str) -> str:
    if uri.startswith("/") or uri.startswith("file:"):
        return f"{uri!r} is a local path: executors are shared, so specs may only use s3:// URIs under {SPEC_PREFIX}"
    return f"{uri!r} is outside the workspace: dataset URIs must start with {SPEC_PREFIX}"


def _relative(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
