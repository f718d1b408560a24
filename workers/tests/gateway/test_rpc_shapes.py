"""Response shapes of RPC calls (contract §2)."""

from __future__ import annotations

from .conftest import Api, error

OBJECT = "application/vnd.pgrst.object+json"


def test_scalar_is_a_bare_json_value(api: Api) -> None:
    resp = api.rpc("add", {"a": 1, "b": 2})
    assert resp.status_code == 200
    assert resp.json() == 3
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["content-range"] == "0-0/*"


def test_sql_null_scalar_is_json_null(api: Api) -> None:
    resp = api.rpc("null_scalar")
    assert resp.status_code == 200
    assert resp.text == "null"


def test_defaults_fill_omitted_arguments(api: Api) -> None:
    assert api.rpc("greet").json() == "Hello, world"
    assert api.rpc("greet", {"name": "Ada"}).json() == "Hello, Ada"


def test_json_strings_are_coerced_by_the_type_input_function(api: Api) -> None:
    assert api.rpc("add", {"a": "5", "b": 1}).json() == 6


def test_json_arrays_become_postgres_arrays(api: Api) -> None:
    assert api.rpc("sum_array", {"xs": [1, 2, 3]}).json() == 6


def test_any_json_fits_a_jsonb_parameter(api: Api) -> None:
    payload = {"nested": [1, {"k": None}], "s": "x"}
    assert api.rpc("echo_json", {"payload": payload}).json() == payload


def test_composite_is_an_object(api: Api) -> None:
    assert api.rpc("one_item", {"item_id": 2}).json() == {"id": 2, "name": "banana", "qty": 12, "tag": "fruit"}


def test_null_composite_is_an_object_of_nulls(api: Api) -> None:
    assert api.rpc("one_item", {"item_id": 999}).json() == {"id": None, "name": None, "qty": None, "tag": None}


def test_out_parameters_make_an_object(api: Api) -> None:
    assert api.rpc("pair").json() == {"x": 1, "y": "one"}


def test_setof_table_is_an_array_of_objects(api: Api) -> None:
    resp = api.rpc("all_items")
    assert [row["id"] for row in resp.json()] == [1, 2, 3, 4, 5]
    assert resp.headers["content-range"] == "0-4/*"


def test_returns_table_is_an_array_of_objects(api: Api) -> None:
    assert api.rpc("table_fn", {"n": 2}).json() == [{"k": 1, "v": "v1"}, {"k": 2, "v": "v2"}]


def test_empty_set_is_an_empty_array(api: Api) -> None:
    resp = api.rpc("series", {"n": 0})
    assert resp.json() == []
    assert resp.headers["content-range"].startswith("*/")


def test_setof_scalar_is_an_array_of_scalars(api: Api) -> None:
    assert api.rpc("series", {"n": 3}).json() == [1, 2, 3]


def test_void_is_204_without_content_type(api: Api) -> None:
    resp = api.rpc("void_fn")
    assert resp.status_code == 204
    assert resp.content == b""
    assert "content-type" not in resp.headers
    assert "content-range" in resp.headers


def test_single_unnamed_json_parameter_receives_the_whole_body(api: Api) -> None:
    assert api.rpc("raw_json", {"anything": [1, 2]}).json() == {"anything": [1, 2]}


def test_get_passes_arguments_from_the_query_string(api: Api) -> None:
    assert api.rpc("add", method="GET", params={"a": "2", "b": "40"}).json() == 42
    assert api.rpc("sum_array", method="GET", params={"xs": "{4,5}"}).json() == 9


def test_head_has_headers_but_no_body(api: Api) -> None:
    resp = api.rpc("series", method="HEAD", params={"n": "2"})
    assert resp.status_code == 200
    assert resp.content == b""


def test_exact_count_gives_partial_content_and_the_total(api: Api) -> None:
    resp = api.rpc("all_items", params={"limit": "2"}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 206
    assert resp.headers["content-range"] == "0-1/5"
    assert "count=exact" in resp.headers.get("preference-applied", "")


def test_full_page_with_count_is_200(api: Api) -> None:
    resp = api.rpc("all_items", headers={"Prefer": "count=exact"})
    assert resp.status_code == 200
    assert resp.headers["content-range"] == "0-4/5"


def test_offset_past_the_total_is_416(api: Api) -> None:
    resp = api.rpc("all_items", params={"offset": "10"}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 416
    assert error(resp)["code"] == "PGRST103"


def test_filters_and_order_apply_to_setof_results(api: Api) -> None:
    resp = api.rpc("all_items", params={"tag": "eq.fruit", "order": "qty.desc", "select": "name"})
    assert resp.json() == [{"name": "banana"}, {"name": "apple"}, {"name": "Durian"}]


def test_object_accept_header_returns_the_single_row(api: Api) -> None:
    resp = api.rpc("all_items", params={"id": "eq.3"}, headers={"Accept": OBJECT})
    assert resp.status_code == 200
    assert resp.json()["name"] == "carrot"


def test_object_accept_header_with_many_rows_is_pgrst116(api: Api) -> None:
    resp = api.rpc("all_items", headers={"Accept": OBJECT})
    assert resp.status_code == 406
    assert error(resp)["code"] == "PGRST116"
    assert error(resp)["details"] == "The result contains 5 rows"


def test_response_status_and_headers_gucs_are_honoured(api: Api) -> None:
    resp = api.rpc("with_status")
    assert resp.status_code == 201
    assert resp.headers["x-custom"] == "yes"
    assert resp.json() == "created"


def test_invalid_response_status_guc_is_pgrst112(api: Api) -> None:
    resp = api.rpc("bad_status")
    assert resp.status_code == 500
    assert error(resp)["code"] == "PGRST112"


def test_responses_are_labelled_json_with_length(api: Api) -> None:
    resp = api.rpc("add", {"a": 1, "b": 1})
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert int(resp.headers["content-length"]) == len(resp.content)
