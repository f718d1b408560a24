"""What `controlroom spec validate` can catch before any run, beyond the model: a sql phase whose
query is not exactly one statement or reads a table it does not declare as an input, and a python
phase whose entry point cannot be imported.

The entry points are imported in one subprocess per spec, with a timeout, and never called: the
validating process keeps none of their side effects (a module's top-level code does run there, as
it would in the executor). Set CONTROLROOM_SPEC_IMPORT_TIMEOUT (seconds, default 30) for slow imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import duckdb

from controlroom.lakehouse.models import SqlPhase
from controlroom.specs.models import PipelineSpec, PythonPhaseSpec
from controlroom.specs.problems import Loc, Problem, format_loc

DEFAULT_IMPORT_TIMEOUT = 30.0

# Runs in the subprocess: imports each entry point's module (with the phase's pythonpath first) and
# looks the function up, without calling it. One JSON answer per entry point, in order.
_IMPORT_PROBE = """
import importlib, json, sys
answers = []
base = list(sys.path)
for entrypoint, pythonpath in json.load(sys.stdin):
    sys.path[:] = list(pythonpath) + base
    module_name, _, function_name = entrypoint.partition(":")
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        answers.append(f"cannot be imported: {type(exc).__name__}: {exc}")
        continue
    function = getattr(module, function_name, None)
    if function is None:
        answers.append(f"module {module_name} has no attribute {function_name!r}")
    elif not callable(function):
        answers.append(f"{entrypoint} is not callable")
    else:
        answers.append(None)
print(json.dumps(answers))
"""


def static_problems(spec: PipelineSpec, file: str, lines: dict[Loc, int], *, imports: bool = True) -> list[Problem]:
    problems = _sql_problems(spec, file, lines)
    if imports:
        problems += _import_problems(spec, file, lines)
    return problems


def _sql_problems(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    problems: list[Problem] = []
    con = duckdb.connect()
    try:
        for index, phase in enumerate(spec.phases):
            if not isinstance(phase, SqlPhase):
                continue
            loc: Loc = ("phases", index, "query")

            def problem(message: str, loc: Loc = loc) -> Problem:
                return Problem(file, format_loc(loc), message, line=lines.get(loc))

            try:
                statements = con.extract_statements(phase.query)
            except duckdb.Error as exc:
                problems.append(problem(f"does not parse: {exc}"))
                continue
            if len(statements) != 1:
                problems.append(
                    problem(
                        f"holds {len(statements)} statements; a sql phase runs exactly one SELECT (its result "
                        "is written to the output), so split the work into phases"
                    )
                )
                continue
            tables = _tables_read(con, phase.query)
            if tables is None:
                continue  # the executor's own check names the problem at run time
            declared = {item.name.lower() for item in phase.inputs}
            missing = sorted(t for t in tables if t.lower() not in declared)
            if missing:
                names = ", ".join(repr(t) for t in missing)
                problems.append(
                    problem(
                        f"reads {names}, not declared under inputs (declared: "
                        f"{', '.join(sorted(i.name for i in phase.inputs)) or 'none'}); a sql phase sees only "
                        "its inputs, by name"
                    )
                )
    finally:
        con.close()
    return problems


def _tables_read(con: duckdb.DuckDBPyConnection, query: str) -> set[str] | None:
    """The base tables a query names, its own CTEs left out, from DuckDB's parse tree (parsed, never
    bound: bindings need the tables, which is what is being checked)."""
    try:
        row = con.execute("select json_serialize_sql(?)", [query]).fetchone()
    except duckdb.Error:
        return None
    tree = json.loads(row[0]) if row else {}
    if not isinstance(tree, dict) or tree.get("error"):
        return None
    tables: set[str] = set()
    ctes: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
                tables.add(node["table_name"])
            cte_map = node.get("cte_map")
            if isinstance(cte_map, dict):
                ctes.update(str(item.get("key")).lower() for item in cte_map.get("map", []) if isinstance(item, dict))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree.get("statements"))
    return {t for t in tables if t.lower() not in ctes}


def _import_problems(spec: PipelineSpec, file: str, lines: dict[Loc, int]) -> list[Problem]:
    targets = [(i, p) for i, p in enumerate(spec.phases) if isinstance(p, PythonPhaseSpec)]
    if not targets:
        return []
    timeout = float(os.environ.get("CONTROLROOM_SPEC_IMPORT_TIMEOUT", DEFAULT_IMPORT_TIMEOUT))
    request = json.dumps([[p.entrypoint, p.pythonpath] for _, p in targets])
    first: Loc = ("phases", targets[0][0], "entrypoint")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE],
            input=request,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        answers = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    except subprocess.TimeoutExpired:
        message = (
            f"importing the entry points took longer than {timeout:g} s (CONTROLROOM_SPEC_IMPORT_TIMEOUT); "
            "a module should not do slow work at import time"
        )
        return [Problem(file, format_loc(first), message, line=lines.get(first))]
    except (ValueError, IndexError):
        answers = None
    if not isinstance(answers, list) or len(answers) != len(targets):
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no answer"]
        message = f"the entry points could not be checked: the import probe failed ({tail[0][:300]})"
        return [Problem(file, format_loc(first), message, line=lines.get(first))]
    problems = []
    for (index, phase), answer in zip(targets, answers, strict=True):
        if answer:
            loc: Loc = ("phases", index, "entrypoint")
            problems.append(Problem(file, format_loc(loc), f"{phase.entrypoint}: {answer}", line=lines.get(loc)))
    return problems
