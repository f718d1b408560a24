"""SQL injection attempts in names, columns, filters and order are refused; values are only values."""

from __future__ import annotations

import pytest

from .conftest import Api


def canary_alive(api: Api) -> bool:
    return bool(api.get("canary", token=api.service_key).json() == [{"id": 1}])


@pytest.mark.parametrize(
    "name",
    [
        'add"; drop table contract_fixtures.canary; --',
        "add(1,2); drop table contract_fixtures.canary; --",
        "add%22%3B%20drop%20table%20contract_fixtures.canary",
        "pg_catalog.pg_sleep",
        "../add",
    ],
)
def test_function_names(api: Api, name: str) -> None:
    resp = api.rpc(name, {"a": 1, "b": 2}, token=api.service_key)
    assert resp.status_code in (400, 404)
    assert canary_alive(api)


@pytest.mark.parametrize(
    "select",
    [
        'id,"name"; drop table contract_fixtures.canary; --',
        "id;drop table contract_fixtures.canary",
        "(select 1)",
        "pg_sleep(1)",
    ],
)
def test_select_columns(api: Api, select: str) -> None:
    resp = api.get("items", params={"select": select}, token=api.service_key)
    assert resp.status_code == 400
    assert canary_alive(api)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id;drop table contract_fixtures.canary", "eq.1"),
        ('"id"', "eq.1; drop table contract_fixtures.canary"),
        ("id", "eq.1); drop table contract_fixtures.canary; --"),
        ("name", "eq.x' or '1'='1"),
        ("id", "in.(1);drop table contract_fixtures.canary"),
    ],
)
def test_filters(api: Api, key: str, value: str) -> None:
    resp = api.get("items", params={key: value}, token=api.service_key)
    assert resp.status_code == 400 or resp.json() == []
    assert canary_alive(api)


@pytest.mark.parametrize(
    "order",
    [
        "id;drop table contract_fixtures.canary",
        "id.desc;select 1",
        "(select 1)",
        'name"; drop table contract_fixtures.canary; --',
    ],
)
def test_order(api: Api, order: str) -> None:
    resp = api.get("items", params={"order": order}, token=api.service_key)
    assert resp.status_code == 400
    assert canary_alive(api)


def test_argument_names_are_identifiers_not_sql(api: Api) -> None:
    resp = api.rpc("add", {"a": 1, 'b" := 2); drop table contract_fixtures.canary; --': 2}, token=api.service_key)
    assert resp.status_code == 404
    assert canary_alive(api)


def test_argument_values_are_only_values(api: Api) -> None:
    resp = api.rpc("greet", {"name": "x'); drop table contract_fixtures.canary; --"}, token=api.service_key)
    assert resp.json() == "Hello, x'); drop table contract_fixtures.canary; --"
    assert canary_alive(api)
