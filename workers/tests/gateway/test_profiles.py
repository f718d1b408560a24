"""Schema selection with Accept-Profile / Content-Profile (PGRST106)."""

from __future__ import annotations

from .conftest import SCHEMA, Api, error


def test_unexposed_schema_is_pgrst106(api: Api) -> None:
    resp = api.rpc("add", {"a": 1, "b": 2}, schema="private")
    assert resp.status_code == 406
    body = error(resp)
    assert body["code"] == "PGRST106"
    assert body["message"] == "Invalid schema: private"
    assert body["hint"].startswith("Only the following schemas are exposed: ")
    assert SCHEMA in body["hint"]


def test_get_reads_accept_profile(api: Api) -> None:
    resp = api.http.get(
        f"{api.base}/items",
        params={"id": "eq.1", "select": "id"},
        headers={**api.headers(schema=None), "Accept-Profile": SCHEMA},
    )
    assert resp.json() == [{"id": 1}]
    assert resp.headers["content-profile"] == SCHEMA


def test_post_reads_content_profile(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/add",
        json={"a": 1, "b": 2},
        headers={**api.headers(schema=None), "Content-Profile": SCHEMA, "Accept-Profile": "private"},
    )
    assert resp.json() == 3


def test_default_schema_is_public(api: Api) -> None:
    resp = api.rpc("whoami", schema=None)
    assert resp.status_code == 404
    assert error(resp)["code"] == "PGRST202"
    assert "public.whoami" in error(resp)["message"]
