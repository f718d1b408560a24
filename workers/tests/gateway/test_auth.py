"""Kong's apikey check and PostgREST's JWT → role step (v13+ error codes)."""

from __future__ import annotations

import base64
import time

import orjson

from controlroom import keys

from .conftest import Api, error


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_missing_apikey_is_refused_with_kongs_body(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/add", json={"a": 1, "b": 2}, headers={"Authorization": f"Bearer {api.anon_key}"}
    )
    assert resp.status_code == 401
    assert resp.json() == {"message": "No API key found in request"}


def test_unknown_apikey_is_refused(api: Api) -> None:
    resp = api.http.post(f"{api.base}/rpc/add", json={"a": 1, "b": 2}, headers=api.headers(apikey="not-a-key"))
    assert resp.status_code == 401
    assert "message" in resp.json()


def test_executor_style_request_uses_the_bearer_role(api: Api) -> None:
    token = api.user_token("00000000-0000-0000-0000-00000000000a")
    body = api.rpc("whoami", token=token).json()
    assert body["current_user"] == "authenticated"
    assert body["claims"]["role"] == "authenticated"
    assert body["uid"] == "00000000-0000-0000-0000-00000000000a"


def test_no_bearer_falls_back_to_the_apikey_role(api: Api) -> None:
    resp = api.http.post(
        f"{api.base}/rpc/whoami", json={}, headers={"apikey": api.anon_key, "Content-Profile": "contract_fixtures"}
    )
    assert resp.status_code == 200
    assert resp.json()["current_user"] == "anon"


def test_expired_token_is_pgrst303_with_www_authenticate(api: Api) -> None:
    now = int(time.time())
    token = keys.sign({"role": "authenticated", "iat": now - 3600, "exp": now - 120}, api.secret)
    resp = api.rpc("whoami", token=token)
    assert resp.status_code == 401
    assert error(resp)["code"] == "PGRST303"
    assert error(resp)["message"] == "JWT expired"
    assert resp.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_expiry_allows_thirty_seconds_of_clock_skew(api: Api) -> None:
    now = int(time.time())
    token = keys.sign({"role": "authenticated", "iat": now - 3600, "exp": now - 5}, api.secret)
    assert api.rpc("whoami", token=token).status_code == 200


def test_token_signed_with_another_secret_is_pgrst301(api: Api) -> None:
    token = keys.sign({"role": "service_role"}, "x" * 40)
    resp = api.rpc("whoami", token=token)
    assert resp.status_code == 401
    assert error(resp)["code"] == "PGRST301"
    assert "www-authenticate" in resp.headers


def test_alg_none_is_refused(api: Api) -> None:
    header = _b64(orjson.dumps({"alg": "none", "typ": "JWT"}))
    payload = _b64(orjson.dumps({"role": "service_role"}))
    resp = api.rpc("whoami", token=f"{header}.{payload}.")
    assert resp.status_code == 401
    assert error(resp)["code"] == "PGRST301"
    assert error(resp)["message"] == "Wrong or unsupported encoding algorithm"


def test_malformed_token_reports_its_parts(api: Api) -> None:
    resp = api.rpc("whoami", token="only.two")
    assert resp.status_code == 401
    assert error(resp) | {"details": None, "hint": None} == {
        "code": "PGRST301",
        "message": "Expected 3 parts in JWT; got 2",
        "details": None,
        "hint": None,
    }


def test_unknown_role_is_401(api: Api) -> None:
    resp = api.rpc("whoami", token=api.token(role="no_such_role_here"))
    assert resp.status_code == 401
    assert error(resp)["code"] == "22023"


def test_jwt_is_checked_before_routing(api: Api) -> None:
    resp = api.rpc("no_such_function", token=keys.sign({"role": "anon"}, "y" * 40))
    assert resp.status_code == 401


def test_token_without_role_claim_runs_as_anon(api: Api) -> None:
    body = api.rpc("whoami", token=api.token(sub="00000000-0000-0000-0000-0000000000cc")).json()
    assert body["current_user"] == "anon"
    assert body["claims"]["role"] == "anon"
