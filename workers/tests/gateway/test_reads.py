"""Read-only GETs on tables and views: the supported subset, and loud refusal of the rest."""

from __future__ import annotations

import pytest

from .conftest import Api, error


def names(api: Api, **params: str) -> list[str]:
    resp = api.get("items", params={"select": "name", "order": "id", **params})
    assert resp.status_code == 200, resp.text
    return [row["name"] for row in resp.json()]


def test_select_plain_columns(api: Api) -> None:
    resp = api.get("items", params={"select": "id,name", "id": "eq.1"})
    assert resp.json() == [{"id": 1, "name": "apple"}]


def test_select_star_and_default(api: Api) -> None:
    assert api.get("items", params={"id": "eq.5"}).json() == [{"id": 5, "name": "eggplant", "qty": 3, "tag": "veg"}]


def test_select_alias(api: Api) -> None:
    assert api.get("items", params={"select": "label:name", "id": "eq.2"}).json() == [{"label": "banana"}]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"qty": "eq.5"}, ["apple"]),
        ({"qty": "neq.5"}, ["banana", "carrot", "Durian", "eggplant"]),
        ({"qty": "gt.5"}, ["banana", "carrot"]),
        ({"qty": "gte.7"}, ["banana", "carrot"]),
        ({"qty": "lt.3"}, ["Durian"]),
        ({"qty": "lte.3"}, ["Durian", "eggplant"]),
        ({"tag": "is.null"}, ["carrot"]),
        ({"tag": "not.is.null"}, ["apple", "banana", "Durian", "eggplant"]),
        ({"id": "in.(1,3,5)"}, ["apple", "carrot", "eggplant"]),
        ({"name": 'in.("apple",banana)'}, ["apple", "banana"]),
        ({"name": "like.*an*"}, ["banana", "Durian", "eggplant"]),
        ({"name": "ilike.d*"}, ["Durian"]),
        ({"id": "not.eq.1"}, ["banana", "carrot", "Durian", "eggplant"]),
    ],
)
def test_filters(api: Api, params: dict[str, str], expected: list[str]) -> None:
    assert names(api, **params) == expected


def test_filters_combine_with_and(api: Api) -> None:
    assert names(api, tag="eq.fruit", qty="gt.1") == ["apple", "banana"]


def test_order_directions_and_nulls(api: Api) -> None:
    resp = api.get("items", params={"select": "name", "order": "tag.desc.nullsfirst,id.asc"})
    assert [r["name"] for r in resp.json()] == ["carrot", "eggplant", "apple", "banana", "Durian"]
    resp = api.get("items", params={"select": "name", "order": "tag.asc.nullslast,id.desc"})
    assert [r["name"] for r in resp.json()] == ["Durian", "banana", "apple", "eggplant", "carrot"]


def test_limit_and_offset(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "order": "id", "limit": "2", "offset": "1"})
    assert resp.json() == [{"id": 2}, {"id": 3}]
    assert resp.headers["content-range"] == "1-2/*"


def test_exact_count(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "limit": "2", "tag": "eq.fruit"}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 206
    assert resp.headers["content-range"] == "0-1/3"


def test_count_with_no_rows(api: Api) -> None:
    resp = api.get("items", params={"id": "eq.-1"}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 200
    assert resp.json() == []
    assert resp.headers["content-range"] == "*/0"


def test_unknown_table_is_pgrst205_with_a_suggestion(api: Api) -> None:
    resp = api.get("itemz")
    assert resp.status_code == 404
    body = error(resp)
    assert body["code"] == "PGRST205"
    assert body["message"] == "Could not find the table 'contract_fixtures.itemz' in the schema cache"
    assert body["hint"] == "Perhaps you meant the table 'contract_fixtures.items'"


def test_singular_read(api: Api) -> None:
    resp = api.get("items", params={"id": "eq.4"}, headers={"Accept": "application/vnd.pgrst.object+json"})
    assert resp.json()["name"] == "Durian"


def test_unknown_column_is_a_400(api: Api) -> None:
    assert api.get("items", params={"select": "nope"}).status_code == 400
    assert api.get("items", params={"nope": "eq.1"}).status_code == 400


@pytest.mark.usefixtures("standin_only")
@pytest.mark.parametrize(
    "params",
    [
        {"select": "id,canary(id)"},
        {"select": "name::text"},
        {"select": "name->>x"},
        {"or": "(id.eq.1,id.eq.2)"},
        {"name": "fts.apple"},
        {"name": "eq(any).{apple}"},
        {"canary.id": "eq.1"},
    ],
)
def test_unsupported_features_are_pgrst127(api: Api, params: dict[str, str]) -> None:
    resp = api.get("items", params=params)
    assert resp.status_code == 400
    assert error(resp)["code"] == "PGRST127"


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_writes_on_tables_are_refused_and_change_nothing(api: Api, method: str) -> None:
    headers = {**api.headers(token=api.service_key), "Content-Type": "application/json"}
    resp = api.http.request(method, f"{api.base}/canary", params={"id": "eq.1"}, headers=headers, content=b'{"id": 2}')
    assert resp.status_code >= 400
    assert api.get("canary", params={"order": "id"}).json() == [{"id": 1}]
