"""Finding the function to call: names, overloads, fallbacks and their errors (contract §1)."""

from __future__ import annotations

from .conftest import Api, error


def test_unknown_function_is_pgrst202_with_a_suggestion(api: Api) -> None:
    resp = api.rpc("ad", {"b": 1, "a": 2})
    assert resp.status_code == 404
    assert error(resp) == {
        "code": "PGRST202",
        "message": "Could not find the function contract_fixtures.ad(a, b) in the schema cache",
        "details": "Searched for the function contract_fixtures.ad with parameters a, b or with a single "
        "unnamed json/jsonb parameter, but no matches were found in the schema cache.",
        "hint": "Perhaps you meant to call the function contract_fixtures.add",
    }


def test_unknown_function_without_arguments(api: Api) -> None:
    body = error(api.rpc("zzzqqq_nothing_like_it"))
    assert body["message"] == (
        "Could not find the function contract_fixtures.zzzqqq_nothing_like_it without parameters in the schema cache"
    )
    assert body["hint"] is None


def test_wrong_argument_names_suggest_the_known_signature(api: Api) -> None:
    body = error(api.rpc("add", {"a": 1, "c": 2}))
    assert body["code"] == "PGRST202"
    assert body["details"] == (
        "Searched for the function contract_fixtures.add with parameters a, c or with "
        "a single unnamed json/jsonb parameter, but no matches were found in the "
        "schema cache."
    )
    assert body["hint"] == "Perhaps you meant to call the function contract_fixtures.add(a, b)"


def test_get_details_do_not_mention_the_json_fallback(api: Api) -> None:
    body = error(api.rpc("add", method="GET", params={"x": "1"}))
    assert body["details"] == (
        "Searched for the function contract_fixtures.add with parameter x, but no "
        "matches were found in the schema cache."
    )


def test_ambiguous_overload_is_pgrst203_with_300(api: Api) -> None:
    resp = api.rpc("over", {"a": 1})
    assert resp.status_code == 300
    body = error(resp)
    assert body["code"] == "PGRST203"
    assert body["message"].startswith("Could not choose the best candidate function between: ")
    assert "contract_fixtures.over(a => integer)" in body["message"]
    assert "contract_fixtures.over(a => text)" in body["message"]
    assert body["hint"] == (
        "Try renaming the parameters or the function itself in the database so function overloading can be resolved"
    )


def test_overloads_resolve_by_argument_names(api: Api) -> None:
    assert api.rpc("over", {"a": 1, "b": 2}).json() == "two"


def test_put_on_rpc_is_pgrst101(api: Api) -> None:
    resp = api.http.put(f"{api.base}/rpc/add", json={}, headers=api.headers())
    assert resp.status_code == 405
    assert error(resp)["code"] == "PGRST101"
    assert error(resp)["message"] == "Cannot use the PUT method on RPC"


def test_invalid_json_body_is_pgrst102(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/add", content=b"{not json", headers={**api.headers(), "Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert error(resp)["code"] == "PGRST102"


def test_empty_body_counts_as_no_arguments(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/greet", content=b"", headers={**api.headers(), "Content-Type": "application/json"}
    )
    assert resp.json() == "Hello, world"


def test_array_body_uses_its_first_element(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/add",
        content=b'[{"a": 1, "b": 2}, {"a": 5, "b": 5}]',
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert resp.json() == 3


def test_uncoercible_argument_is_22p02(api: Api) -> None:
    resp = api.rpc("add", {"a": "x", "b": 1})
    assert resp.status_code == 400
    assert error(resp)["code"] == "22P02"


def test_deeper_rpc_path_is_not_found(api: Api) -> None:
    resp = api.rpc("add/extra", {"a": 1, "b": 2})
    assert resp.status_code == 404
