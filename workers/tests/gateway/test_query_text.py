"""Query text PostgREST's grammar does not accept is a 400 PGRST100 where it is parsed, never a 500
from Python's int() or a 503 from a NUL that reached the SQL text."""

from __future__ import annotations

import pytest

from .conftest import Api, error


@pytest.mark.usefixtures("standin_only")  # PostgREST takes a negative offset to the database (2201X)
@pytest.mark.parametrize("value", ["²", "٣", "５", "-1", "1.0"])
def test_offset_takes_ascii_digits_only(api: Api, value: str) -> None:
    for resp in (api.get("items", params={"offset": value}), api.rpc("all_items", params={"offset": value})):
        assert resp.status_code == 400, resp.text
        assert error(resp)["code"] == "PGRST100"


@pytest.mark.parametrize("value", ["²", "٣", "５", "1.0", "abc"])
def test_a_limit_that_is_not_an_ascii_integer_is_ignored_as_postgrest_reads_it(api: Api, value: str) -> None:
    # PostgREST reads `limit` with Haskell's readMaybe (ASCII digits): anything else is no limit.
    for resp in (api.get("items", params={"limit": value}), api.rpc("all_items", params={"limit": value})):
        assert resp.status_code == 200, resp.text
        assert len(resp.json()) == 5


def test_a_negative_limit_is_416_pgrst103(api: Api) -> None:
    for resp in (api.get("items", params={"limit": "-1"}), api.rpc("all_items", params={"limit": "-1"})):
        assert resp.status_code == 416, resp.text
        assert error(resp)["code"] == "PGRST103"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("select", "a\x00b:id"),  # the alias
        ("select", "id,na\x00me"),  # a column
        ("order", "na\x00me.desc"),
        ("i\x00d", "eq.1"),  # a filter's column
    ],
)
def test_nul_in_a_name_is_a_parse_error(api: Api, key: str, value: str) -> None:
    resp = api.get("items", params={key: value})
    assert resp.status_code == 400, resp.text
    assert error(resp)["code"] == "PGRST100"


def test_nul_in_a_quoted_alias_ends_the_name_as_in_postgrest(api: Api) -> None:
    # PostgREST's pgFmtIdent cuts an identifier at its first NUL; the statement never carries one.
    resp = api.get("items", params={"select": '"a\x00b":id', "id": "eq.1"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == [{"a": 1}]


def test_nul_in_a_value_is_refused_by_the_database(api: Api) -> None:
    resp = api.get("items", params={"name": "eq.a\x00b"})
    assert resp.status_code == 400, resp.text
    assert error(resp)["code"] == "22021"  # invalid byte sequence for encoding "UTF8": 0x00


@pytest.mark.parametrize("status", ["²", "２０１"])
def test_non_ascii_response_status_guc_is_pgrst112(api: Api, status: str) -> None:
    resp = api.rpc("bad_status", {"status": status})
    assert resp.status_code == 500
    assert error(resp)["code"] == "PGRST112"
