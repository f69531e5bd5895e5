"""The page-weight budget (DESIGN.md §5): the first load of any citizen page, cache
cold, transfers at most 150 KB, of which JavaScript at most 75 KB, and every request
goes to the site itself (no CDN, no third party).

Bytes are what Chromium counts on the wire for each request (CDP Network.loadingFinished
encodedDataLength: headers and body as sent). The test server sends HTML and static files
uncompressed, so this is the worst case; production compresses static files (whitenoise).
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image

from motcua.dossiers.models import Draft
from motcua.organizations.selectors import unit_list_communes
from tests.filing import birth

pytestmark = pytest.mark.browser

KB = 1024
TOTAL_BUDGET = 150 * KB
SCRIPT_BUDGET = 75 * KB
CODE = "1.001193"


@pytest.fixture
def site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


def first_load(browser, url: str, session: str | None = None) -> dict:
    """Open `url` in a new browser profile (nothing cached) and count every request."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    if session:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    requests: dict[str, dict] = {}

    def sent(event):
        requests.setdefault(event["requestId"], {}).update(
            url=event["request"]["url"], type=event.get("type", "Other"), bytes=0
        )

    def received(event):
        requests.setdefault(event["requestId"], {}).update(
            type=event["type"], status=event["response"]["status"]
        )

    def finished(event):
        requests.setdefault(event["requestId"], {})["bytes"] = event["encodedDataLength"]

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.send("Network.enable")
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url
    context.close()
    rows = list(requests.values())
    return {
        "url": url,
        "requests": rows,
        "total": sum(r["bytes"] for r in rows),
        "script": sum(r["bytes"] for r in rows if r["type"] == "Script"),
    }


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (480, 640), "white").save(out, "JPEG", quality=70)
    return SimpleUploadedFile("giay-chung-sinh.jpg", out.getvalue(), content_type="image/jpeg")


def file_a_draft(client: Client) -> tuple[dict[str, str], Draft]:
    """Answer every question of the birth registration with the plain test client; the
    URL of each page on the way, by page id."""
    commune = unit_list_communes(province_code=settings.MOTCUA_PROVINCE_CODE).first().code
    answers = {**dict(birth.answers(commune)), birth.DELIVERY[0]: birth.DELIVERY[1]}
    urls = {}
    url = client.post(f"/nop-ho-so/{CODE}/")["Location"]
    while "/kiem-tra/" not in url:
        page_id = url.rstrip("/").rsplit("/", 1)[1]
        urls[page_id] = url
        if page_id == "giay_chung_sinh":
            client.post(url, {"action": "upload", "file": photo()})
            data = {"action": "continue"}
        else:
            data = {"action": "continue", **answers[page_id]}
        response = client.post(url, data)
        assert response.status_code == 302, (page_id, response.status_code)
        url = response["Location"]
    # Every question page of the form was on the way (the papers and the delivery too).
    pages = [page_id for page_id, _data in birth.answers(commune)]
    assert list(urls) == [*pages, "giay_chung_sinh", birth.DELIVERY[0]], list(urls)
    urls["check"] = url
    return urls, Draft.objects.get()


def test_first_load_of_every_citizen_page_is_within_budget(browser, site, capsys):
    host = urlsplit(site).netloc
    anonymous = {
        "home": "/",
        "search results": "/tim-kiem/?q=dang+ky+khai+sinh",
        "all procedures": "/tim-kiem/",
        "procedure": f"/thu-tuc/{CODE}/",
        "filing start": f"/nop-ho-so/{CODE}/",
        "sign in": "/dang-nhap/",
        "tracking": "/tra-cuu/",
    }
    loads = {name: first_load(browser, site + path) for name, path in anonymous.items()}

    waiting = Client()
    waiting.post("/dang-nhap/", {"phone": "0987 654 321"})
    loads["code"] = first_load(
        browser, site + "/dang-nhap/ma/", waiting.cookies[settings.SESSION_COOKIE_NAME].value
    )

    citizen = Client()
    citizen.force_login(get_user_model().objects.create_user(username="0987654321"))
    session = citizen.cookies[settings.SESSION_COOKIE_NAME].value
    urls, draft = file_a_draft(citizen)
    for page_id, path in urls.items():
        loads[f"question {page_id}" if page_id != "check" else "check"] = first_load(
            browser, site + path, session
        )
    loads["unfinished forms"] = first_load(browser, site + "/ho-so-cua-toi/nhap/", session)
    response = citizen.post(urls["check"], {"draft": draft.pk, "key": draft.idempotency_key})
    assert response.status_code == 302
    loads["confirmation"] = first_load(browser, site + response["Location"], session)

    with capsys.disabled():
        print(f"\nFirst load, cold cache, uncompressed ({len(loads)} pages):")
        for name, load in loads.items():
            print(f"  {name:28} {load['total'] / KB:6.1f} KB  JS {load['script'] / KB:4.1f} KB"
                  f"  {len(load['requests'])} requests")
    for name, load in loads.items():
        assert load["total"] <= TOTAL_BUDGET, (name, load["total"], load["requests"])
        assert load["script"] <= SCRIPT_BUDGET, (name, load["script"], load["requests"])
        for request in load["requests"]:
            assert urlsplit(request["url"]).netloc == host, (name, request["url"])
            assert request["bytes"] > 0 or request.get("status") == 204, (name, request)
    # The signed-in pages do load the site's scripts: the counting sees them.
    assert loads["question tre"]["script"] > 0
    assert loads["confirmation"]["script"] > 0
