"""What a browser page needs from the Data API, as PostgREST does it: CORS and preflights, the
vendor media types (`vnd.pgrst.object+json`, `vnd.pgrst.array+json`, `nulls=stripped`), the Range
header, lenient `limit`, and PostgREST's 404s for a trailing slash and OPTIONS on unknown names.

Sources: PostgREST docs (references/api/cors.rst, references/api/resource_representation.rst
"Stripped nulls", references/api/pagination_count.rst "Limits and Pagination", references/api/
options.rst) and its code (CORS.hs: wai-cors policy; MediaType.hs; RangeQuery.hs; ApiRequest.hs).
"""

from __future__ import annotations

import httpx

from .conftest import Api, error

ORIGIN = "http://127.0.0.1:54323"
EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, "
    "Transfer-Encoding, Range-Unit"
)


def ids(resp: httpx.Response) -> list[int]:
    assert resp.status_code in (200, 206), resp.text
    return [row["id"] for row in resp.json()]


# --- CORS ---------------------------------------------------------------------------------------


def test_a_cross_origin_read_is_allowed_from_any_origin_and_exposes_content_range(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "order": "id"}, headers={"Origin": ORIGIN})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "*"
    assert resp.headers["access-control-expose-headers"] == EXPOSED


def test_an_error_response_carries_the_cors_headers_too(api: Api) -> None:
    resp = api.get("itemz", headers={"Origin": ORIGIN})
    assert resp.status_code == 404
    assert resp.headers["access-control-allow-origin"] == "*"


def test_a_request_without_origin_gets_no_cors_headers(api: Api) -> None:
    resp = api.get("items", params={"select": "id"})
    assert "access-control-allow-origin" not in resp.headers


def test_a_preflight_is_answered_without_apikey_or_token(api: Api) -> None:
    # Browsers never send credentials on a preflight; it must not be refused by key-auth.
    resp = api.http.options(
        f"{api.base}/rpc/add",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "apikey, authorization, content-type, x-client-info",
        },
    )
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["access-control-allow-origin"] == "*"
    assert resp.headers["access-control-allow-methods"] == "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
    assert resp.headers["access-control-allow-headers"] == (
        "Authorization, apikey, authorization, content-type, x-client-info, Accept, Accept-Language, Content-Language"
    )
    assert resp.headers["access-control-max-age"] == "86400"


def test_a_preflight_for_an_unsupported_method_falls_through_to_the_router(api: Api) -> None:
    resp = api.http.options(
        f"{api.base}/items",
        headers={**api.headers(), "Origin": ORIGIN, "Access-Control-Request-Method": "TRACE"},
    )
    assert resp.status_code == 200
    assert resp.headers["allow"] == "OPTIONS,GET,HEAD"
    assert "access-control-allow-methods" not in resp.headers


def test_a_cross_origin_request_refused_by_key_auth_still_carries_cors_headers(api: Api) -> None:
    resp = api.http.get(f"{api.base}/items", headers={"Origin": ORIGIN})
    assert resp.status_code == 401
    assert resp.headers["access-control-allow-origin"] == "*"


# --- OPTIONS and paths ----------------------------------------------------------------------------


def test_options_on_an_unknown_function_is_pgrst202(api: Api) -> None:
    resp = api.http.options(f"{api.base}/rpc/no_such_fn", headers=api.headers())
    assert resp.status_code == 404
    assert error(resp)["code"] == "PGRST202"


def test_options_on_an_unknown_table_is_pgrst205(api: Api) -> None:
    resp = api.http.options(f"{api.base}/itemz", headers=api.headers())
    assert resp.status_code == 404
    assert error(resp)["code"] == "PGRST205"


def test_options_on_a_known_function_answers_allow(api: Api) -> None:
    resp = api.http.options(f"{api.base}/rpc/add", headers=api.headers())
    assert resp.status_code == 200
    assert resp.headers["allow"] == "OPTIONS,GET,HEAD,POST"


def test_a_trailing_slash_is_an_invalid_path(api: Api) -> None:
    resp = api.get("items/", params={"select": "id"})
    assert resp.status_code == 404
    assert error(resp)["code"] == "PGRST125"
    resp = api.rpc("add/", {"a": 1, "b": 2})
    assert resp.status_code == 404
    assert error(resp)["code"] == "PGRST125"


# --- media types ----------------------------------------------------------------------------------


def test_the_singular_media_type_is_answered_with_that_content_type(api: Api) -> None:
    resp = api.get(
        "items", params={"id": "eq.4", "select": "id,name"}, headers={"Accept": "application/vnd.pgrst.object+json"}
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.pgrst.object+json; charset=utf-8"
    assert resp.json() == {"id": 4, "name": "Durian"}
    resp = api.rpc("one_item", {"item_id": 1}, headers={"Accept": "application/vnd.pgrst.object+json"})
    assert resp.headers["content-type"] == "application/vnd.pgrst.object+json; charset=utf-8"


def test_the_array_media_type_is_accepted_and_answered_as_json(api: Api) -> None:
    resp = api.get(
        "items", params={"select": "id", "order": "id"}, headers={"Accept": "application/vnd.pgrst.array+json"}
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert ids(resp) == [1, 2, 3, 4, 5]


def test_nulls_stripped_on_the_array_media_type(api: Api) -> None:
    resp = api.get(
        "items",
        params={"select": "id,tag", "id": "in.(2,3)", "order": "id"},
        headers={"Accept": "application/vnd.pgrst.array+json;nulls=stripped"},
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"
    assert resp.json() == [{"id": 2, "tag": "fruit"}, {"id": 3}]


def test_nulls_stripped_on_the_singular_media_type_and_on_rpc(api: Api) -> None:
    resp = api.get(
        "items",
        params={"select": "id,tag", "id": "eq.3"},
        headers={"Accept": "application/vnd.pgrst.object+json;nulls=stripped"},
    )
    assert resp.headers["content-type"] == "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"
    assert resp.json() == {"id": 3}
    resp = api.rpc("all_items", {}, headers={"Accept": "application/vnd.pgrst.array+json;nulls=stripped"})
    assert {"id": 3, "name": "carrot", "qty": 7} in resp.json()


def test_without_nulls_stripped_nulls_stay(api: Api) -> None:
    resp = api.get("items", params={"select": "id,tag", "id": "eq.3"})
    assert resp.json() == [{"id": 3, "tag": None}]


# --- Range and limit ------------------------------------------------------------------------------


def test_a_range_header_pages_a_read(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "order": "id"}, headers={"Range": "1-2"})
    assert ids(resp) == [2, 3]
    assert resp.headers["content-range"] == "1-2/*"
    resp = api.get("items", params={"select": "id", "order": "id"}, headers={"Range": "3-"})
    assert ids(resp) == [4, 5]


def test_a_range_header_is_intersected_with_limit_and_offset(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "order": "id", "limit": "2"}, headers={"Range": "1-3"})
    assert ids(resp) == [2]  # [0,1] ∩ [1,3]
    resp = api.get("items", params={"select": "id", "order": "id", "offset": "2"}, headers={"Range": "0-3"})
    assert ids(resp) == [3, 4]  # [2,∞) ∩ [0,3]


def test_an_inverted_range_is_416_pgrst103(api: Api) -> None:
    resp = api.get("items", params={"select": "id"}, headers={"Range": "3-1"})
    assert resp.status_code == 416
    body = error(resp)
    assert body["code"] == "PGRST103"
    assert body["message"] == "Requested range not satisfiable"
    assert body["details"] == (
        "The lower boundary must be lower than or equal to the upper boundary in the Range header."
    )


def test_a_malformed_range_header_is_ignored(api: Api) -> None:
    for raw in ("items=0-1", "abc", "-2", "1-2-3"):
        resp = api.get("items", params={"select": "id", "order": "id"}, headers={"Range": raw})
        assert ids(resp) == [1, 2, 3, 4, 5], raw


def test_the_range_header_is_ignored_on_head(api: Api) -> None:
    resp = api.http.head(
        f"{api.base}/items",
        params={"select": "id"},
        headers={**api.headers(), "Range": "3-1", "Prefer": "count=exact"},
    )
    assert resp.status_code == 200
    assert resp.headers["content-range"] == "0-4/5"


def test_a_range_header_pages_a_set_returning_rpc_on_get(api: Api) -> None:
    resp = api.rpc("series", method="GET", params={"n": "5"}, headers={"Range": "0-1"})
    assert resp.json() == [1, 2]


def test_a_non_numeric_limit_is_ignored(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "order": "id", "limit": "abc"})
    assert ids(resp) == [1, 2, 3, 4, 5]


def test_a_negative_limit_is_416(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "limit": "-1"})
    assert resp.status_code == 416
    body = error(resp)
    assert body["code"] == "PGRST103"
    assert body["details"] == "Limit should be greater than or equal to zero."


def test_limit_zero_is_an_empty_page_not_an_error(api: Api) -> None:
    resp = api.get("items", params={"select": "id", "limit": "0"}, headers={"Range": "0-3"})
    assert resp.status_code == 200
    assert resp.json() == []
