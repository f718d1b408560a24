"""Loading and validating routing files: the spec loader's strict YAML (duplicate keys refused,
bounded, every value's line known) and its error wording, so a routing problem reads like a spec
problem: `file: routes[1].escalation[0].targets[0]: unknown target 'pager' (line 23)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controlroom.routing.models import RoutingDocument
from controlroom.specs.diagnostics import problems_from_validation
from controlroom.specs.load import SPEC_SUFFIXES
from controlroom.specs.problems import Loc, Problem, SpecError, format_loc
from controlroom.specs.yamlio import load_yaml, too_large

DEFAULT_ROUTING_DIR = Path("specs/routing")


def load_routing(path: str | Path) -> RoutingDocument:
    """The routing document in a YAML file, or SpecError listing every problem."""
    file = str(path)
    try:
        oversized = too_large(Path(path).stat().st_size, file)
        if oversized is not None:
            raise SpecError([oversized])
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError([Problem(file, "", "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise SpecError([Problem(file, "", f"cannot be read: {exc.strerror or exc}")]) from None
    return load_routing_text(text, file)


def load_routing_text(text: str, file: str = "<string>") -> RoutingDocument:
    doc = load_yaml(text, file)
    if doc.problems:
        raise SpecError(doc.problems)
    return parse_routing(doc.data, file, doc.lines)


def parse_routing(data: object, file: str = "<string>", lines: dict[Loc, int] | None = None) -> RoutingDocument:
    lines = lines or {}
    if not isinstance(data, dict):
        raise SpecError(
            [Problem(file, "", "must be a mapping with workspace, targets and routes (see specs/routing/example.yaml)")]
        )
    try:
        routing = RoutingDocument.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, data, file, lines, root=RoutingDocument)
        raise SpecError([_worded(p) for p in problems]) from None
    problems = check_routing(routing, file, lines)
    if problems:
        raise SpecError(problems)
    return routing


def _worded(problem: Problem) -> Problem:
    """Say what a secret reference is when one does not look like an environment variable's name."""
    if problem.path.endswith(("url_secret", "signing_secret")) and "pattern" in problem.message:
        message = (
            "must be the NAME of an environment variable of the dispatcher (e.g. ONCALL_WEBHOOK_URL: capitals, "
            "digits, '_'), never a URL or key: secrets stay out of Git"
        )
        return replace(problem, message=message)
    return problem


def check_routing(routing: RoutingDocument, file: str, lines: dict[Loc, int]) -> list[Problem]:
    """What the model alone cannot see: names used twice, targets that are not defined."""
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        line = next((lines[loc[:end]] for end in range(len(loc), -1, -1) if loc[:end] in lines), None)
        problems.append(Problem(file, format_loc(loc), message, line=line))

    seen: dict[str, int] = {}
    for index, route in enumerate(routing.routes):
        if route.name in seen:
            problem(("routes", index, "name"), f"route name {route.name!r} is also used by routes[{seen[route.name]}]")
        seen.setdefault(route.name, index)
        for t, tier in enumerate(route.escalation):
            for k, target in enumerate(tier.targets):
                if target not in routing.targets:
                    known = ", ".join(repr(n) for n in sorted(routing.targets))
                    problem(
                        ("routes", index, "escalation", t, "targets", k),
                        f"unknown target {target!r}; define it under `targets` (known: {known})",
                    )
    return problems


def publish_body(routing: RoutingDocument) -> dict[str, Any]:
    """The JSON that `public.publish_routes` stores: the document without its workspace, with
    `continue` spelt as written and unset optional fields left out."""
    body = routing.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"workspace"})
    body.setdefault("inhibit_rules", [])
    return body


def discover_routing(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    found: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not files:
                problems.append(Problem(str(path), "", "holds no *.yaml or *.yml routing files"))
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), "", "does not exist"))
    return found, problems


def validate_routing_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """The `controlroom routes validate [FILES]` gate; also refuses two files for one workspace (each
    workspace has one routing document: which of two would win is not something to leave to order)."""
    files, problems = discover_routing(paths)
    owner: dict[str, str] = {}
    for path in files:
        try:
            routing = load_routing(path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if routing.workspace in owner:
            problems.append(
                Problem(
                    str(path),
                    "workspace",
                    f"workspace {routing.workspace} is also routed by {owner[routing.workspace]}",
                )
            )
        owner.setdefault(routing.workspace, str(path))
    return problems
