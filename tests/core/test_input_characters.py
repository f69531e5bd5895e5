"""NUL bytes and other control characters are refused before any view reads them: 400
with a message naming the field (JSON under /api/), never a 500 — PostgreSQL refuses a
NUL in text, so without the check a NUL answer would fail there (ASVS 5.0 V2.2.1)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory

from motcua.core.middleware import InputCharactersMiddleware
from motcua.dossiers.models import Draft
from tests.officials import official_login

BIRTH_BASE = "/nop-ho-so/1.001193/"
REFUSED = "có ký tự không hợp lệ (ký tự điều khiển)"


def _problem(request) -> str:
    return InputCharactersMiddleware(lambda r: HttpResponse()).problem(request)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_in_values_and_names(char: str) -> None:
    factory = RequestFactory()
    assert "ho_ten" in _problem(factory.post("/x/", {"ho_ten": f"Lò{char}Văn An"}))
    assert "ho_ten" in _problem(factory.get("/x/", {"ho_ten": f"An{char}"}))
    form = "application/x-www-form-urlencoded"
    assert _problem(factory.post("/x/", urlencode({f"ten{char}": "An"}), content_type=form))


def test_tab_newlines_and_vietnamese_pass() -> None:
    factory = RequestFactory()
    text = "Hoàng Thị Lan\r\nThôn Tòng Sành,\txã Bát Xát — “Lào Cai” 😀 \u200b\u00a0"
    assert _problem(factory.post("/x/", {"dia_chi": text, "ghi_chu": "a\nb"})) == ""
    assert _problem(factory.get("/x/", {"q": text})) == ""


@pytest.fixture
def citizen_client(demo) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user(username="0912345678"))
    return client


def test_nul_in_a_citizen_filing_answer(citizen_client: Client) -> None:
    citizen_client.post(BIRTH_BASE)
    draft = Draft.objects.latest("pk")
    url = f"{BIRTH_BASE}{draft.pk}/cccd_nguoi_khai/"
    before = dict(draft.answers)
    response = citizen_client.post(url, {"value": "0101900\x0000123", "action": "continue"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“value”" in html and REFUSED in html
    assert "<h1>" in html and 'class="site"' in html  # the citizen's layout
    draft.refresh_from_db()
    assert draft.answers == before  # nothing saved


def test_nul_in_a_back_office_form(officials) -> None:
    client = official_login(Client(), officials["batxat.tiepnhan"])
    response = client.post(
        "/mot-cua/tiep-nhan/1.001193/", {"name": "Sùng Thị\x00 Dua", "phone": "0987654321"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“name”" in html and REFUSED in html
    assert 'class="bo"' in html  # the back office's layout


def test_control_characters_never_reach_an_uploaded_file_name() -> None:
    # Django's multipart parser drops them (sanitize_file_name): nothing left to refuse.
    upload = SimpleUploadedFile("gi\x00ay\x07\x85.jpg", b"\xff\xd8", content_type="image/jpeg")
    request = RequestFactory().post("/x/", {"file": upload})
    assert [f.name for f in request.FILES.getlist("file")] == ["giay.jpg"]
    assert _problem(request) == ""


def test_control_character_in_the_address(client: Client, db) -> None:
    response = client.get("/thu-tuc/1.001193%00/")
    assert response.status_code == 400
    assert REFUSED in response.content.decode()


def test_api_json_body_and_query_answer_json(client: Client, db) -> None:
    body = {"orderCode": 12, "data": {"items": [{"name": "ok"}, {"name": "bad\u0000"}]}}
    response = client.post(
        "/api/thanh-toan/payos/thong-bao/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "data.items[1].name" in response.json()["detail"]
    assert REFUSED in response.json()["detail"]

    response = client.get("/api/v1/procedures", {"q": "khai\x00sinh"})
    assert response.status_code == 400
    assert "“q”" in response.json()["detail"]


def test_api_json_that_is_clean_or_not_json_goes_to_the_endpoint(client: Client, db) -> None:
    # Not refused here: the endpoint answers (no such gateway configured: 404 JSON).
    for body in ('{"ok": "a\\tb\\n"}', "not json"):
        response = client.post(
            "/api/thanh-toan/payos/thong-bao/", body, content_type="application/json"
        )
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")


def test_api_json_nested_too_deep_is_a_400_not_a_500(client: Client, db) -> None:
    client.cookies["django_language"] = "en"
    for depth in (2_000, 100_000):  # deeper than Python's recursion limit
        body = "[" * depth + '"x"' + "]" * depth
        response = client.post(
            "/api/thanh-toan/payos/thong-bao/", body, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "The data sent is nested too deeply."}
