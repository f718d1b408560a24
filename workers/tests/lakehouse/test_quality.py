"""Data-quality phases: every expectation is evaluated, and any that does not hold fails the phase."""

from __future__ import annotations

import pytest

from controlroom.lakehouse.errors import ExpectationsFailed, LakehouseError
from controlroom.lakehouse.models import QualityJob
from controlroom.lakehouse.quality import evaluate
from controlroom.lakehouse.storage import DataPlane

from .helpers import run_sql


@pytest.fixture
def orders(plane: DataPlane, prefix: str) -> str:
    uri = f"{prefix}/silver/orders"
    run_sql(
        plane,
        output={"uri": uri},
        query=("select * from (values (1, 'a', 10.0), (2, 'b', 25.5), (3, null, 7.25)) as t(id, customer, amount)"),
    )
    return uri


def _job(uri: str, *expectations: tuple[str, str]) -> QualityJob:
    return QualityJob.model_validate(
        {
            "inputs": [{"name": "orders", "uri": uri, "format": "delta"}],
            "expectations": [{"name": name, "query": query} for name, query in expectations],
        }
    )


def test_expectations_that_hold_report_what_they_observed(plane: DataPlane, orders: str) -> None:
    report = evaluate(
        _job(
            orders,
            ("not_empty", "select count(*) as rows, rows > 0 as ok from orders"),
            ("amounts_positive", "select min(amount) as min_amount, min_amount > 0 as ok from orders"),
        ),
        plane,
    )
    assert report["expectations"] == [
        {"name": "not_empty", "ok": True, "observed": {"rows": 3}},
        {"name": "amounts_positive", "ok": True, "observed": {"min_amount": 7.25}},
    ]
    assert report["inputs"] == [{"name": "orders", "uri": orders, "format": "delta", "delta_version": 0}]


def test_every_failed_expectation_is_named_in_one_failure(plane: DataPlane, orders: str) -> None:
    with pytest.raises(ExpectationsFailed) as caught:
        evaluate(
            _job(
                orders,
                (
                    "no_null_customers",
                    "select count(*) filter (where customer is null) as nulls, nulls = 0 as ok from orders",
                ),
                ("not_empty", "select count(*) > 0 as ok from orders"),
                ("big_orders", "select max(amount) as max_amount, max_amount > 100 as ok from orders"),
            ),
            plane,
        )
    assert caught.value.failures == [
        "no_null_customers (observed {'nulls': 1})",
        "big_orders (observed {'max_amount': 25.5})",
    ]
    assert str(caught.value).startswith("2 expectation(s) failed: no_null_customers")


def test_null_is_not_a_pass(plane: DataPlane, orders: str) -> None:
    with pytest.raises(ExpectationsFailed, match="over_nothing"):
        evaluate(_job(orders, ("over_nothing", "select max(amount) > 0 as ok from orders where id > 99")), plane)


@pytest.mark.parametrize("query", ["select 1 as ok", "select true as fine", "select true as ok from orders"])
def test_an_expectation_must_return_one_row_with_a_boolean_ok(plane: DataPlane, orders: str, query: str) -> None:
    with pytest.raises(LakehouseError, match="must return exactly one row with a boolean column 'ok'"):
        evaluate(_job(orders, ("shape", query)), plane)
