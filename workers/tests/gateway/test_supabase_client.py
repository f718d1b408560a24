"""supabase-py against the gateway: data comes back, errors become APIError with all four fields."""

from __future__ import annotations

import pytest
import supabase
from postgrest.exceptions import APIError
from postgrest.types import CountMethod

from .conftest import SCHEMA, Api


@pytest.fixture
def client(api: Api) -> supabase.Client:
    base = api.base.removesuffix("/rest/v1")
    return supabase.create_client(base, api.anon_key)


def test_rpc_returns_data(client: supabase.Client) -> None:
    assert client.schema(SCHEMA).rpc("add", {"a": "2", "b": "3"}).execute().data == 5


def test_void_rpc_gives_an_empty_list(client: supabase.Client) -> None:
    assert client.schema(SCHEMA).rpc("void_fn", {}).execute().data == []


def test_table_select_with_count(client: supabase.Client) -> None:
    resp = (
        client.schema(SCHEMA)
        .table("items")
        .select("id", count=CountMethod.exact)
        .eq("tag", "fruit")
        .order("id")
        .limit(2)
        .execute()
    )
    assert resp.data == [{"id": 1}, {"id": 2}]
    assert resp.count == 3


def test_errors_carry_code_message_details_hint(client: supabase.Client) -> None:
    with pytest.raises(APIError) as caught:
        client.schema(SCHEMA).rpc("raise_p0001", {}).execute()
    err = caught.value
    assert err.code == "P0001"
    assert err.message == "I refuse!"
    assert err.details == "Pretty simple"
    assert err.hint == "There is nothing you can do."


def test_unknown_function_error(client: supabase.Client) -> None:
    with pytest.raises(APIError) as caught:
        client.schema(SCHEMA).rpc("ad", {"a": "1", "b": "2"}).execute()
    assert caught.value.code == "PGRST202"
