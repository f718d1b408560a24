"""`schedules:` in a spec: good schedules load with their defaults, bad ones get the field, the value and
the fix; the cron check in Python gives the same answer as the control plane's (private.cron_parse)."""

from __future__ import annotations

import psycopg
import pytest

from controlroom.specs.canonical import canonical_body
from controlroom.specs.cron import cron_problem

from .helpers import BASE, problems, valid

SCHEDULED = (
    BASE
    + """\
schedules:
  - name: nightly
    cron: "30 2 * * MON-FRI"
    timezone: Europe/Berlin
    params: {day: "2013-02-01"}
"""
)


def test_a_schedule_loads_with_its_defaults() -> None:
    spec = valid(SCHEDULED)
    assert spec.schedules is not None
    [schedule] = spec.schedules
    assert (schedule.catchup, schedule.max_catchup, schedule.paused) == ("latest", 10, False)
    assert canonical_body(spec)["schedules"] == [
        {
            "name": "nightly",
            "cron": "30 2 * * MON-FRI",
            "timezone": "Europe/Berlin",
            "params": {"day": "2013-02-01"},
            "catchup": "latest",
            "max_catchup": 10,
            "paused": False,
        }
    ]


def test_a_spec_without_schedules_keeps_its_body() -> None:
    assert "schedules" not in canonical_body(valid(BASE))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            '"30 2 * * MON-FRI"',
            '"30 24 * * MON-FRI"',
            "specs/x.yaml: schedules[0].cron: hour field (2 of 5): '24' is out of range; use 0-23 (line 28)",
            id="cron",
        ),
        pytest.param(
            "Europe/Berlin",
            "Europe/Berlim",
            "specs/x.yaml: schedules[0].timezone: 'Europe/Berlim' is not an IANA time zone name; "
            "write e.g. Europe/Berlin, America/New_York or UTC (line 29)",
            id="timezone",
        ),
        pytest.param(
            'params: {day: "2013-02-01"}',
            "params: {days: 1}",
            "specs/x.yaml: schedules[0].params: Additional properties are not allowed ('days' was unexpected) "
            "(line 30)",
            id="params",
        ),
        pytest.param(
            'params: {day: "2013-02-01"}',
            "catchup: sometimes",
            "specs/x.yaml: schedules[0].catchup: 'sometimes' is not allowed; "
            "use one of 'all', 'latest', 'none' (line 30)",
            id="catchup",
        ),
    ],
)
def test_bad_schedules_name_the_field_and_the_fix(old: str, new: str, expected: str) -> None:
    assert problems(SCHEDULED.replace(old, new, 1)) == [expected]


def test_schedule_names_are_unique() -> None:
    twice = SCHEDULED + '  - {name: nightly, cron: "0 1 * * *"}\n'
    [problem] = problems(twice)
    assert "schedule name 'nightly' is used by schedules[0] and schedules[1]" in problem


EXPRESSIONS = [
    "* * * * *",
    "*/15 9-17 * JAN-MAR mon-fri",
    "5,10-20/5,58 * * * *",
    "50/5 * * * 7",
    "0 0 29 2 *",
    "60 * * * *",
    "0 24 * * *",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 * * 8",
    "0 0 * * *  *",
    "0 0 * *",
    "",
    "@daily",
    "0 0 L * *",
    "0 0 * * 1#2",
    "0 0 15W * *",
    "0 0 * * FRI-MON",
    "0 0 * * XYZ",
    "0 0 * FOO *",
    "*/0 * * * *",
    "1-* * * * *",
    "*-5 * * * *",
    "0 0 31 2,4 *",
    "0 0 31 2 MON",
    "0,,5 * * * *",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_python_and_sql_read_cron_the_same(db: psycopg.Connection, expression: str) -> None:
    row = db.execute("select problem from private.cron_parse(%s)", [expression]).fetchone()
    assert row is not None
    assert cron_problem(expression) == row[0]
