"""Role switching, RLS, per-role settings and the request.* GUCs, seen through HTTP."""

from __future__ import annotations

from .conftest import Api, error

ALICE = "00000000-0000-0000-0000-00000000000a"
BOB = "00000000-0000-0000-0000-00000000000b"


def test_gateway_connects_as_authenticator_never_a_superuser(api: Api) -> None:
    body = api.rpc("whoami", token=api.service_key).json()
    assert body["session_user"] == "authenticator"
    assert body["session_user_is_superuser"] is False
    assert body["current_user"] == "service_role"


def test_each_role_gets_its_own_statement_timeout(api: Api) -> None:
    assert api.rpc("whoami").json()["statement_timeout"] == "3s"
    assert api.rpc("whoami", token=api.user_token(ALICE)).json()["statement_timeout"] == "8s"


def test_request_gucs_are_set_like_postgrest(api: Api) -> None:
    resp = api.rpc("whoami", headers={"X-Trace-Id": "abc", "Cookie": "session=s1; theme=dark"})
    body = resp.json()
    assert body["method"] == "POST"
    assert body["path"] == "/rpc/whoami"
    assert body["headers"]["x-trace-id"] == "abc"
    assert "cookie" not in body["headers"]
    assert body["cookies"] == {"session": "s1", "theme": "dark"}
    assert body["claims"]["role"] == "anon"
    assert body["auth_role"] == "anon"


def test_search_path_is_the_profile_schema_then_the_extra_path(api: Api) -> None:
    path = api.rpc("whoami").json()["search_path"]
    assert path.split(",")[0].strip().strip('"') == "contract_fixtures"


def test_rls_filters_rows_per_user(api: Api) -> None:
    alice = api.get("docs", token=api.user_token(ALICE), params={"select": "body"}).json()
    bob = api.get("docs", token=api.user_token(BOB), params={"select": "body", "order": "body"}).json()
    assert alice == [{"body": "alice doc"}]
    assert bob == [{"body": "bob doc 1"}, {"body": "bob doc 2"}]


def test_anon_sees_no_rls_rows(api: Api) -> None:
    assert api.get("docs").json() == []


def test_service_role_bypasses_rls(api: Api) -> None:
    resp = api.get("docs", token=api.service_key, params={"select": "id"})
    assert resp.status_code == 200
    assert len(resp.json()) == 3


def test_missing_execute_privilege_is_401_for_anon(api: Api) -> None:
    resp = api.rpc("members_only")
    assert resp.status_code == 401
    assert error(resp)["code"] == "42501"
    assert resp.headers.get("www-authenticate", "").startswith("Bearer")


def test_missing_execute_privilege_is_403_for_a_signed_in_role(api: Api) -> None:
    token = api.token(role="anon", sub=ALICE)
    # The same anon role through a user token is still anon: 401.
    assert api.rpc("members_only", token=token).status_code == 401
    revoked = api.rpc("raise_code", {"code": "42501"}, token=api.user_token(ALICE))
    assert revoked.status_code == 403
    assert api.rpc("members_only", token=api.user_token(ALICE)).json() == "secret"


def test_get_runs_read_only_and_post_of_a_stable_function_too(api: Api) -> None:
    assert api.rpc("whoami").json()["read_only"] == "on"
    assert api.rpc("whoami", method="GET").json()["read_only"] == "on"
