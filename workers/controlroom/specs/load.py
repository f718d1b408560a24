"""Loading and validating spec files. Every failure is a list of Problems, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from controlroom.specs.canonical import spec_hash
from controlroom.specs.checks import check_spec
from controlroom.specs.diagnostics import problems_from_validation
from controlroom.specs.models import PipelineSpec
from controlroom.specs.problems import Loc, Problem, SpecError, SpecLimitExceeded
from controlroom.specs.static_checks import static_problems
from controlroom.specs.yamlio import load_yaml, too_large

SPEC_SUFFIXES = (".yaml", ".yml")
# Folders under specs/ that hold other documents than pipeline specs (routing: controlroom.routing),
# skipped when a folder is searched for specs; a file named explicitly is still read as a spec.
NOT_SPEC_DIRS = frozenset({"routing", "schema"})


def load_spec(path: str | Path) -> PipelineSpec:
    """The spec in a YAML file, or SpecError listing every problem."""
    file = str(path)
    try:
        # The size first, so a huge file is refused without being read into memory.
        oversized = too_large(Path(path).stat().st_size, file)
        if oversized is not None:
            raise SpecLimitExceeded([oversized], "bytes")
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError([Problem(file, "", "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise SpecError([Problem(file, "", f"cannot be read: {exc.strerror or exc}")]) from None
    return load_text(text, file)


def load_text(text: str, file: str = "<string>") -> PipelineSpec:
    doc = load_yaml(text, file)
    if doc.limit is not None:
        raise SpecLimitExceeded(doc.problems, doc.limit)
    if doc.problems:
        raise SpecError(doc.problems)
    return parse_spec(doc.data, file, doc.lines)


def parse_spec(data: object, file: str = "<string>", lines: dict[Loc, int] | None = None) -> PipelineSpec:
    """Validate an already-parsed body (YAML or the JSON stored in pipeline_specs.body)."""
    lines = lines or {}
    if data is None:
        raise SpecError([Problem(file, "", "is empty; a spec is a mapping with name, version, workspace and phases")])
    if not isinstance(data, dict):
        raise SpecError([Problem(file, "", f"must be a mapping (name: ..., phases: ...), not a {type(data).__name__}")])
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, data, file, lines)) from None
    problems = check_spec(spec, file, lines)
    if problems:
        raise SpecError(problems)
    return spec


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Spec files under the given files and folders (recursively), in a stable order."""
    found: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in SPEC_SUFFIXES and p.is_file() and not NOT_SPEC_DIRS & set(p.relative_to(path).parts[:-1])
            )
            if not files:
                problems.append(Problem(str(path), "", "holds no *.yaml or *.yml spec files"))
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), "", "does not exist"))
    return found, problems


def validate_paths(paths: Iterable[str | Path], *, imports: bool = False) -> list[Problem]:
    """The `controlroom spec validate [PATHS]` gate: every spec loads and validates, what can be known
    before a run is checked (one SQL statement over declared inputs; entry points import, when
    `imports`: `spec validate` asks for it, publishing does not, since the publishing machine need not
    have the executors' packages), and no two files publish the same name and version with different
    bodies. An empty list means all is well."""
    files, problems = discover(paths)
    published: dict[tuple[str, int], tuple[str, str]] = {}
    for path in files:
        try:
            spec = load_spec(path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(static_problems(spec, str(path), _lines(path), imports=imports))
        key, digest = (spec.name, spec.version), spec_hash(spec)
        if key in published and published[key][1] != digest:
            problems.append(
                Problem(
                    str(path),
                    "version",
                    f"{spec.name} version {spec.version} is also defined by {published[key][0]} with a different body; "
                    "bump the version of one of them",
                )
            )
        published.setdefault(key, (str(path), digest))
    return problems


def _lines(path: Path) -> dict[Loc, int]:
    """Where each field of an already loaded spec file is, for the problems found after loading."""
    return load_yaml(path.read_text(encoding="utf-8"), str(path)).lines
