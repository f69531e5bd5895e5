"""GET /api/v1/procedures and the API's error shape."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.catalog.models import Procedure
from motcua.catalog.services import catalog_revision_bump
from motcua.core.text import fold

pytestmark = pytest.mark.django_db

URL = "/api/v1/procedures"
ITEM_KEYS = {"code", "name", "field", "level", "online_level", "url"}


def get(client: Client, **params: object) -> tuple[int, dict]:
    response = client.get(URL, params)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "q",
    [
        "dang ky khai sinh",
        "khai sinh",
        unicodedata.normalize("NFD", "Đăng ký khai sinh"),
        "dang ki khai sinh",
        "khai xinh",
        "Đăng ký khai sinh",
    ],
)
def test_birth_registration_first(client: Client, catalog: object, q: str) -> None:
    status, body = get(client, q=q)
    assert status == 200
    assert body["items"][0]["code"] == "1.001193"
    assert body["items"][0]["name"] == "Đăng ký khai sinh"
    assert body["total"] >= len(body["items"]) > 1


def test_item_shape(client: Client, catalog: object) -> None:
    _, body = get(client, q="1.001193")
    assert set(body) == {"items", "total"}
    assert body["items"][0] == {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "commune",
        "online_level": "full",
        "url": "/thu-tuc/1.001193/",
    }


def test_confusables_follow(client: Client, catalog: object) -> None:
    _, body = get(client, q="khai sinh", limit=5)
    codes = [item["code"] for item in body["items"]]
    assert codes[0] == "1.001193"
    assert {"1.004884", "2.000635"} <= set(codes)


def test_limit_and_offset(client: Client, catalog: object) -> None:
    _, first = get(client, q="dang ky", limit=2)
    _, second = get(client, q="dang ky", limit=2, offset=2)
    _, both = get(client, q="dang ky", limit=4)
    assert len(first["items"]) == 2
    assert first["items"] + second["items"] == both["items"]
    assert first["total"] == second["total"] == both["total"]
    _, default = get(client, q="dang ky")
    assert len(default["items"]) == min(10, default["total"])
    status, body = get(client, q="dang ky", limit=50)
    assert status == 200 and len(body["items"]) == body["total"]


def test_empty_query_lists_all_by_field_then_name(client: Client, catalog: list) -> None:
    status, body = get(client, q="", limit=50)
    assert status == 200
    assert body["total"] == len(catalog)
    keys = [(fold(i["field"]), fold(i["name"])) for i in body["items"]]
    assert keys == sorted(keys)
    assert all(set(item) == ITEM_KEYS for item in body["items"])
    status, no_q = get(client, limit=50)
    assert status == 200 and no_q == body


@pytest.mark.parametrize(
    "q", ["x" * 1000, "k" * 201, "khai\x00sinh", "khai\x07sinh", "\x1b[31m", "khai\u200bsinh"]
)
def test_bad_query_is_400(client: Client, catalog: object, q: str) -> None:
    status, body = get(client, q=q)
    assert status == 400
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str) and body["detail"]


def test_too_long_query_says_so(client: Client, db: None) -> None:
    _, body = get(client, q="x" * 1000, HTTP_ACCEPT_LANGUAGE="en")
    assert "200" in body["detail"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": -3}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_bad_paging_is_400_naming_the_parameter(
    client: Client, catalog: object, params: dict, name: str
) -> None:
    status, body = get(client, q="khai sinh", **params)
    assert status == 400
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str)
    assert name in body["detail"]


def test_new_procedure_is_found_after_a_catalog_change(
    client: Client, catalog: object, add: Callable[..., Procedure]
) -> None:
    _, before = get(client, q="dang ky nuoi con nuoi")
    assert "1.003005" not in [i["code"] for i in before["items"]]
    add("1.003005", "Đăng ký việc nuôi con nuôi trong nước", "Nuôi con nuôi", ["commune"])
    catalog_revision_bump()
    _, after = get(client, q="dang ky nuoi con nuoi")
    assert after["items"][0]["code"] == "1.003005"


def test_retired_procedure_disappears_after_a_catalog_change(
    client: Client, catalog: object
) -> None:
    Procedure.objects.filter(code="1.000894").update(current=None)
    catalog_revision_bump()
    _, body = get(client, q="dang ky ket hon")
    assert "1.000894" not in [i["code"] for i in body["items"]]


def test_openapi_docs(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "motcua API"
    assert schema["info"]["version"] == "1"
    assert "/api/v1/procedures" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=250), limit=st.text(max_size=4) | st.integers(-5, 60).map(str))
def test_never_a_server_error(client: Client, catalog: object, q: str, limit: str) -> None:
    response = client.get(URL, {"q": q, "limit": limit})
    assert response.status_code in (200, 400)
    body = response.json()
    if response.status_code == 400:
        assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"]
    else:
        assert set(body) == {"items", "total"}
