"""The Content-Security-Policy header on every kind of page, and the browser fixture
that fails a test on any violation (ASVS 5.0 V3.4.3)."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from motcua.urls import urlpatterns as project_urls
from tests.browsing import phone_context
from tests.officials import official_login


def _inline_script(request):
    return HttpResponse("<!doctype html><title>x</title><script>document.title = 'ran'</script>")


def _inline_style(request):
    return HttpResponse('<!doctype html><title>x</title><p style="color: red">styled</p>')


def _inline_handler(request):
    return HttpResponse('<!doctype html><title>x</title><button onclick="go()">go</button>')


urlpatterns = [
    path("_t/inline-script/", _inline_script),
    path("_t/inline-style/", _inline_style),
    path("_t/inline-handler/", _inline_handler),
    *project_urls,
]

pytestmark = pytest.mark.urls(__name__)


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "url",
    [
        "/",  # citizen portal
        "/tra-cuu/",
        "/mot-cua/dang-nhap/",  # back office
        "/admin/login/",  # Django admin (a redirect to the officials' sign-in)
        "/api/v1/docs",  # the API's documentation page
        "/khong-co-trang-nay/",  # an error page
    ],
)
def test_every_kind_of_page_has_the_policy(db, url: str) -> None:
    response = Client().get(url)
    assert response.status_code in (200, 302, 404), response.status_code
    _assert_strict(response)


def _assert_strict(response) -> None:
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.fixture
def administrator(db):
    from django.contrib.auth import get_user_model

    from motcua.notifications.services import message_template_save

    user = get_user_model().objects.create_superuser("admin.tinh", password=None)
    # A template with a preview on its change page (the admin's own pages, plus ours).
    template = message_template_save(
        key="csp_test", subject="Hồ sơ {{ code }}", email_body="Dòng 1\nDòng 2 {{ code }}"
    )
    user.csp_pages = [
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{user.pk}/change/",
        f"/admin/notifications/messagetemplate/{template.pk}/change/",
        "/admin/notifications/messagetemplate/add/",
    ]
    return user


def test_admin_pages_have_the_policy(administrator) -> None:
    client = official_login(Client(), administrator)
    for url in administrator.csp_pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _assert_strict(response)
        assert b"style=" not in response.content, url


# What a strict policy blocks in a page's HTML: style attributes, inline scripts (JSON
# data islands are not executed and allowed), event handler attributes.
_INLINE = re.compile(
    r"""\sstyle\s*=|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>|"""
    r"""<[a-z][^>]*\son[a-z]+\s*=""",
    re.IGNORECASE,
)


def test_every_admin_list_and_form_is_free_of_inline_code(administrator) -> None:
    from django.contrib import admin
    from django.urls import reverse

    client = official_login(Client(), administrator)
    urls = list(administrator.csp_pages)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
    assert len(urls) > 30
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:  # no adding to an append-only log, for instance
            continue
        assert response.status_code == 200, (url, response.status_code)
        found = _INLINE.search(response.content.decode())
        assert found is None, (url, found and found.group())


def test_configured_form_targets_join_form_action(db, settings) -> None:
    settings.PAY_VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    settings.MOTCUA_CSP_FORM_ACTION = ["https://pay.payos.vn"]
    directives = _directives(Client().get("/"))
    assert directives["form-action"] == [
        "'self'",
        "https://sandbox.vnpayment.vn",
        "https://pay.payos.vn",
    ]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/_t/inline-script/", "script"),
        ("/_t/inline-style/", "style"),
        ("/_t/inline-handler/", "script"),
    ],
)
def test_the_browser_fixture_catches_a_violation(
    live_server, page, csp_violations, url: str, words: str
) -> None:
    page.goto(live_server.url + url)
    page.wait_for_load_state("load")
    assert page.title() == "x"  # the inline script did not run
    assert any(words in text for text in csp_violations.violations()), csp_violations.violations()
    # What the teardown of every test does: the test fails, listing the violation.
    with pytest.raises(pytest.fail.Exception, match="Content-Security-Policy violations"):
        csp_violations.check()
    assert csp_violations.violations() == []


@pytest.mark.browser
def test_the_fixture_also_watches_contexts_tests_make(live_server, browser, csp_violations):
    context = browser.new_context()
    context.new_page().goto(live_server.url + "/_t/inline-style/")
    context.close()
    assert csp_violations.violations()
    with pytest.raises(pytest.fail.Exception):
        csp_violations.check()


@pytest.mark.browser
@pytest.mark.parametrize(
    "url", ["/", "/tra-cuu/", "/mot-cua/dang-nhap/", "/admin/login/", "/api/v1/docs"]
)
def test_pages_raise_no_violation(live_server, page, csp_violations, url: str) -> None:
    page.goto(live_server.url + url)
    page.wait_for_load_state("networkidle")
    assert csp_violations.violations() == []


@pytest.mark.browser
def test_admin_pages_raise_no_violation(live_server, browser, administrator, csp_violations):
    context, _client = phone_context(browser, live_server.url, user=administrator)
    page = context.new_page()
    for url in administrator.csp_pages:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        assert page.url == live_server.url + url  # the page itself, not a sign-in
        assert csp_violations.violations() == [], url
    context.close()
