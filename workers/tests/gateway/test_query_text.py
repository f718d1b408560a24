"""Query text PostgREST's grammar does not accept is a 400 PGRST100 where it is parsed, never a 500
from Python's int() or a 503 from a NUL that reached the SQL text."""

from __future__ import annotations

import pytest

from .conftest import Api, error


@pytest.mark.usefixtures("standin_only")  # PostgREST's readMaybe drops such a limit; the stand-in refuses it
@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", "²"), ("offset", "²"), ("limit", "٣"), ("limit", "５"), ("limit", "-1"), ("limit", "1.0")],
)
def test_limit_and_offset_take_ascii_digits_only(api: Api, name: str, value: str) -> None:
    for resp in (api.get("items", params={name: value}), api.rpc("all_items", params={name: value})):
        assert resp.status_code == 400, resp.text
        assert error(resp)["code"] == "PGRST100"


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
