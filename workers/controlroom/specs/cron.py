"""Five-field cron expressions as the control plane reads them (supabase/schemas/0118_private_cron.sql):
minute hour day-of-month month day-of-week, with lists, ranges, steps and JAN-DEC / SUN-SAT names; no
seconds, no L/W/#, no @macros. `cron_problem` gives the same messages as the SQL check, so `spec
validate` refuses what publish_spec would refuse. Fire times are computed in SQL only (one home)."""

from __future__ import annotations

import re

FIELDS = (
    ("minute", 0, 59, None, 0),
    ("hour", 0, 23, None, 0),
    ("day of month", 1, 31, None, 0),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1),
    ("day of week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 0),
)
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PART = re.compile(r"^(\*|[0-9]{1,2}|[A-Za-z]{3})(?:-([0-9]{1,2}|[A-Za-z]{3}))?(?:/([0-9]{1,2}))?$")
_HINT = (
    "write five: minute hour day-of-month month day-of-week (e.g. '30 2 * * MON-FRI'); "
    "seconds, years and @macros are not supported"
)


def _repr(text: str) -> str:
    return repr(text)


def _value(bound: str, names: tuple[str, ...] | None, base: int) -> int | None:
    if bound.isdigit():
        return int(bound)
    if names and bound.upper() in names:
        return names.index(bound.upper()) + base
    return None


def _field(text: str, lo: int, hi: int, names: tuple[str, ...] | None, base: int) -> tuple[set[int], str | None]:
    values: set[int] = set()
    for part in text.split(","):
        match = _PART.match(part)
        if match is None:
            return values, f"{_repr(part)} is not a value, range (a-b), list (a,b) or step (*/n, a-b/n)"
        first, last, step_text = match.groups()
        step = int(step_text) if step_text is not None else 1
        if step < 1:
            return values, f"step /{step_text} must be at least 1"
        if first == "*":
            if last is not None:
                return values, f"{_repr(part)}: * cannot start a range"
            start, end = lo, hi
        else:
            for bound in (first, last):
                if bound is not None and _value(bound, names, base) is None:
                    extra = f" or one of {','.join(names)}" if names else ""
                    return values, f"{_repr(bound)} is not a number{extra}"
            # Both bounds were checked just above; a value with a step (5/15) runs to the end of the field.
            start = _value(first, names, base) or 0
            end = (
                start if last is None and step_text is None else hi if last is None else _value(last, names, base) or 0
            )
            if not (lo <= start <= hi and lo <= end <= hi):
                return values, f"{_repr(part)} is out of range; use {lo}-{hi}"
            if end < start:
                return values, (
                    f"{_repr(part)} runs backwards; write the range low-high (wrap-around ranges are not supported, "
                    "use a list)"
                )
        values.update(range(start, end + 1, step))
    return values, None


def cron_problem(expression: str) -> str | None:
    """What is wrong with a cron expression (field, value, fix), or None when the control plane reads it."""
    if len(expression) > 200:
        return "must be a cron expression of at most 200 characters"
    fields = expression.strip(" \t").split()
    if len(fields) != 5 or not expression.strip():
        return f"{_repr(expression)} has {len(fields)} fields; {_HINT}"
    parsed: list[set[int]] = []
    for index, (text, (label, lo, hi, names, base)) in enumerate(zip(fields, FIELDS, strict=True), start=1):
        values, problem = _field(text, lo, hi, names, base)
        if problem is not None:
            unsupported = " (L, W, # and ? are not supported)" if re.search(r"[LW#?]", text) else ""
            return f"{label} field ({index} of 5): {problem}{unsupported}"
        parsed.append(values)
    days, months = parsed[2], parsed[3]
    if fields[4].startswith("*") and not any(day <= DAYS_IN_MONTH[month - 1] for month in months for day in days):
        return f"day of month {fields[2]} never occurs in month {fields[3]}; the schedule would never fire"
    return None
