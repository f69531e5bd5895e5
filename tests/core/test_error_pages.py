"""Error pages in plain Vietnamese, in the layout of where they happened (the citizen
portal, or the back office under /mot-cua/); JSON {"detail": …} under /api/, whatever
the error (ASVS 5.0 V16.5.1: nothing of the inside shown)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from motcua.core import errors
from motcua.urls import urlpatterns as project_urls


def _boom(request):
    raise RuntimeError("secret internals: password=hunter2")


def _denied(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("bad")


def _limited(request):
    return render(request, "429.html", {"retry_minutes": 7}, status=429)


def _limited_plain(request):
    return render(request, "429.html", status=429)


def _post_only(request):
    return HttpResponse("ok") if request.method == "POST" else HttpResponse(status=405)


_EXTRA = []
for prefix in ("", "mot-cua/", "api/v1/"):
    _EXTRA += [
        path(f"{prefix}_t/boom/", _boom),
        path(f"{prefix}_t/denied/", _denied),
        path(f"{prefix}_t/suspicious/", _suspicious),
        path(f"{prefix}_t/limited/", _limited),
        path(f"{prefix}_t/limited-plain/", _limited_plain),
    ]

urlpatterns = _EXTRA + list(project_urls)
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def _html(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_project_urls_name_these_handlers() -> None:
    import motcua.urls

    assert motcua.urls.handler400 == "motcua.core.errors.bad_request"
    assert motcua.urls.handler403 == "motcua.core.errors.permission_denied"
    assert motcua.urls.handler404 == "motcua.core.errors.page_not_found"
    assert motcua.urls.handler500 == "motcua.core.errors.server_error"


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/khong-co-trang-nay/", 404, "Không tìm thấy trang"),
        ("/_t/denied/", 403, "Bạn không mở được trang này"),
        ("/_t/suspicious/", 400, "Không xử lý được yêu cầu"),
        ("/_t/limited/", 429, "7 phút"),
        ("/_t/limited-plain/", 429, "vài phút"),
        ("/_t/boom/", 500, "Đã có lỗi ở phía chúng tôi"),
    ],
)
def test_citizen_pages(client: Client, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    html = _html(response)
    assert words in html, html
    assert '<header class="site">' in html and "portal/site.css" in html
    assert 'href="/"' in html
    assert "hunter2" not in html and "Traceback" not in html


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/mot-cua/khong-co/", 404, "Không tìm thấy trang"),
        ("/mot-cua/_t/denied/", 403, "quản trị"),
        ("/mot-cua/_t/limited/", 429, "7 phút"),
        ("/mot-cua/_t/boom/", 500, "Đã có lỗi ở phía chúng tôi"),
    ],
)
def test_back_office_pages(client: Client, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    html = _html(response)
    assert words in html, html
    assert '<header class="bo">' in html and "backoffice/office.css" in html
    assert 'href="/mot-cua/"' in html
    assert "hunter2" not in html


def test_english_when_chosen(client: Client) -> None:
    client.cookies["django_language"] = "en"
    assert "Page not found" in _html(client.get("/khong-co/"))


def test_500_renders_without_context_or_database(monkeypatch) -> None:
    """The page needs no session, user or query: the database may be what failed."""
    request = RequestFactory().get("/ho-so-cua-toi/")

    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    with connection.execute_wrapper(no_database):
        response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Đã có lỗi ở phía chúng tôi" in html and '<header class="site">' in html
    assert "csrfmiddlewaretoken" not in html  # no form that could not be sent


def test_500_falls_back_when_its_template_breaks(monkeypatch) -> None:
    from django.template import loader

    def broken(name, *args, **kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr(loader, "get_template", broken)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Đã có lỗi ở phía chúng tôi" in response.content.decode()


@override_settings(DEBUG=False)
def test_csrf_failure_page(db) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/tra-cuu/", {"ma": "X"})
    assert response.status_code == 403
    html = _html(response)
    assert "Trang đã hết hạn, vui lòng quay lại" in html
    assert "cookie" in html  # no CSRF cookie at all: the hint to allow cookies
    response = client.post("/mot-cua/dang-nhap/", {"username": "x"})
    assert response.status_code == 403
    assert '<header class="bo">' in _html(response)


# --- the API: JSON whatever the error ---------------------------------------------------


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/khong-co", 404),
        ("get", "/api/khong-co/", 404),
        ("get", "/api/v1/_t/boom/", 500),
        ("get", "/api/v1/_t/denied/", 403),
        ("get", "/api/v1/_t/suspicious/", 400),
        ("get", "/api/v1/_t/limited/", 429),
        ("get", "/api/v1/procedures?limit=abc", 400),
        ("post", "/api/v1/procedures", 405),
        ("get", "/api/v1/indicators?unit=15&from=2026-01-01&to=2026-01-31", 401),
        ("get", "/api/thanh-toan/khong-co/thong-bao/", 404),
        ("put", "/api/thanh-toan/vnpay/thong-bao/", 405),
        ("delete", "/api/v1/dossiers/X/status", 405),
    ],
)
def test_api_errors_are_json(client: Client, method: str, url: str, status: int) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == status
    body = _json(response)
    assert "hunter2" not in body["detail"]


def test_api_405_keeps_allow(client: Client) -> None:
    response = client.put("/api/thanh-toan/vnpay/thong-bao/")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_api_messages_are_vietnamese(client: Client) -> None:
    assert _json(client.get("/api/v1/khong-co"))["detail"] == "Không tìm thấy."


def test_api_endpoint_crash_is_json_without_internals(client: Client, monkeypatch) -> None:
    import motcua.api.api

    def crash(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(motcua.api.api, "procedure_search", crash)
    response = client.get("/api/v1/procedures", {"q": "khai sinh"})
    assert response.status_code == 500
    assert "hunter2" not in _json(response)["detail"]
