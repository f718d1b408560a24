"""SQLSTATE → HTTP mapping for every error the control plane can raise (contract §4)."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Api, error


def test_raise_exception_is_p0001_400_with_detail_and_hint(api: Api) -> None:
    resp = api.rpc("raise_p0001")
    assert resp.status_code == 400
    assert error(resp) == {
        "code": "P0001",
        "message": "I refuse!",
        "details": "Pretty simple",
        "hint": "There is nothing you can do.",
    }
    assert resp.headers["proxy-status"] == "PostgREST; error=P0001"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("PT400", 400),
        ("PT402", 402),
        ("PT404", 404),
        ("PT409", 409),
        ("PT413", 413),
        ("22023", 400),
        ("23505", 409),
        ("23503", 409),
        ("LH001", 400),
        ("42883", 404),
        ("57014", 500),
    ],
)
def test_sqlstate_maps_to_http_status(api: Api, code: str, status: int) -> None:
    resp = api.rpc("raise_code", {"code": code})
    assert resp.status_code == status
    assert error(resp) == {
        "code": code,
        "message": f"raised {code}",
        "details": f"detail of {code}",
        "hint": f"hint of {code}",
    }
    assert resp.headers["proxy-status"] == f"PostgREST; error={code}"


def test_unique_violation_from_a_real_insert_is_409(api: Api) -> None:
    note = f"dup-{uuid.uuid4()}"
    assert api.rpc("writer", {"note": note}).status_code == 200
    resp = api.rpc("writer", {"note": note})
    assert resp.status_code == 409
    assert error(resp)["code"] == "23505"


def test_statement_timeout_is_57014_500(api: Api) -> None:
    resp = api.rpc("slow")
    assert resp.status_code == 500
    assert error(resp)["code"] == "57014"


def test_get_of_a_volatile_writer_is_read_only_405_and_writes_nothing(api: Api) -> None:
    note = f"get-{uuid.uuid4()}"
    resp = api.rpc("writer", method="GET", params={"note": note})
    assert resp.status_code == 405
    assert error(resp)["code"] == "25006"
    assert api.get("notes", params={"note": f"eq.{note}"}).json() == []


def test_post_of_a_volatile_writer_commits(api: Api) -> None:
    note = f"post-{uuid.uuid4()}"
    new_id = api.rpc("writer", {"note": note}).json()
    assert api.get("notes", params={"note": f"eq.{note}", "select": "id"}).json() == [{"id": new_id}]


def test_failed_request_rolls_its_transaction_back(api: Api) -> None:
    note = f"rollback-{uuid.uuid4()}"
    resp = api.rpc(
        "writer_rows", {"note": note}, headers={"Accept": "application/vnd.pgrst.object+json"}, params={"id": "eq.-1"}
    )
    assert resp.status_code == 406
    assert error(resp)["code"] == "PGRST116"
    assert api.get("notes", params={"note": f"eq.{note}"}).json() == []


def test_raise_sqlstate_pgrst_controls_the_whole_response(api: Api) -> None:
    resp = api.rpc("raise_pgrst")
    assert resp.status_code == 418
    assert resp.headers["x-teapot"] == "yes"
    assert error(resp) == {"code": "LCR42", "message": "custom body", "details": "d", "hint": "h"}
