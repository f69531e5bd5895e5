"""The audit search page (/mot-cua/nhat-ky/): the province administrator's only; search by
who, action, address, object and days; paged; each search is itself in the trail."""

from __future__ import annotations

from datetime import datetime
from html import unescape

import pytest
from django.core.cache import cache
from django.utils import translation

from motcua.audit.models import AuditEvent
from motcua.backoffice import audit as audit_page
from motcua.core.calendar import VN_TZ
from tests.officials import official_login

URL = "/mot-cua/nhat-ky/"


@pytest.fixture(autouse=True)
def _english():
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def trail(demo) -> dict[str, AuditEvent]:
    """Four events of other days, people, addresses and objects."""

    def add(key: str, when: datetime, **fields) -> tuple[str, AuditEvent]:
        return key, AuditEvent.objects.create(at=when, **fields)

    return dict(
        [
            add(
                "failed",
                datetime(2031, 3, 2, 8, 0, tzinfo=VN_TZ),
                action="auth.login_failed",
                actor_label="kiemtra.mot",
                ip="198.51.100.1",
                detail="/mot-cua/dang-nhap/",
            ),
            add(
                "login",
                datetime(2031, 3, 2, 23, 30, tzinfo=VN_TZ),
                action="auth.login",
                actor_label="kiemtra.mot",
                ip="198.51.100.2",
            ),
            add(
                "view",
                datetime(2031, 3, 3, 0, 30, tzinfo=VN_TZ),  # 3/3 in Hà Nội, 2/3 in UTC
                action="dossier.view",
                actor_label="kiemtra.hai",
                ip="198.51.100.1",
                object_type="dossiers.dossier",
                object_id="999001",
                object_label="000.01.32.H37-310303-0001",
                detail="page",
            ),
            add(
                "change",
                datetime(2031, 3, 5, 9, 0, tzinfo=VN_TZ),
                action="admin.change",
                actor_label="kiemtra.hai",
                ip="198.51.100.3",
                object_type="core.calendarday",
                object_id="7",
                object_label="2031-09-03 Làm bù",
                before={"name": "Nghỉ bù"},
                after={"name": "Làm bù"},
            ),
        ]
    )


def _as(client, officials, username: str):
    return official_login(client, officials[username])


def _found(response) -> set[int]:
    """The pks of the events the page lists."""
    assert response.status_code == 200, response.content[:1000]
    page = response.context["rows"]
    return {row["event"].pk for row in page}


def test_only_the_province_administrator_reads_it(client, officials, trail):
    assert client.get(URL).status_code == 302  # not signed in: to the sign-in page
    for username in ("batxat.quantri", "tinh.lanhdaotinh", "batxat.tiepnhan"):
        response = _as(client, officials, username).get(URL)
        assert response.status_code == 403, username
        assert "Chỉ quản trị viên cấp tỉnh được xem nhật ký" in unescape(response.content.decode())
        assert 'href="/mot-cua/nhat-ky/"' not in response.content.decode()
    response = _as(client, officials, "tinh.quantritinh").get(URL)
    assert response.status_code == 200
    assert 'href="/mot-cua/nhat-ky/"' in response.content.decode()  # in the menu


def test_each_filter_finds_its_events(client, officials, trail):
    admin = _as(client, officials, "tinh.quantritinh")
    window = {"tu": "2031-03-01", "den": "2031-03-31"}
    ids = {key: event.pk for key, event in trail.items()}
    assert _found(admin.get(URL, window)) == set(ids.values())
    assert _found(admin.get(URL, {**window, "nguoi": "kiemtra.mot"})) == {
        ids["failed"],
        ids["login"],
    }
    assert _found(admin.get(URL, {**window, "dia_chi": "198.51.100.1"})) == {
        ids["failed"],
        ids["view"],
    }
    assert _found(admin.get(URL, {**window, "hanh_dong": "dossier.view"})) == {ids["view"]}
    assert _found(admin.get(URL, {**window, "hanh_dong": "auth."})) == {
        ids["failed"],
        ids["login"],
    }
    # The object by its label (a dossier's code) or its id.
    assert _found(admin.get(URL, {**window, "doi_tuong": "000.01.32.H37-310303-0001"})) == {
        ids["view"]
    }
    assert _found(admin.get(URL, {**window, "doi_tuong": "999001"})) == {ids["view"]}
    # Days are Việt Nam's: 23:30 on 2/3 is 2/3, 00:30 on 3/3 is 3/3.
    assert _found(admin.get(URL, {"tu": "2031-03-02", "den": "2031-03-02"})) == {
        ids["failed"],
        ids["login"],
    }
    assert _found(admin.get(URL, {"tu": "03/03/2031", "den": "04/03/2031"})) == {ids["view"]}
    assert _found(admin.get(URL, {"tu": "2031-03-06"})).isdisjoint(ids.values())
    combined = {**window, "nguoi": "kiemtra.hai", "dia_chi": "198.51.100.3"}
    response = admin.get(URL, combined)
    assert _found(response) == {ids["change"]}
    text = unescape(response.content.decode())
    assert "Nghỉ bù" in text and "Làm bù" in text  # before and after shown


def test_bad_filters_get_a_clear_message(client, officials, trail):
    admin = _as(client, officials, "tinh.quantritinh")
    response = admin.get(URL, {"tu": "2031-03-05", "den": "2031-03-01"})
    assert response.status_code == 400
    assert "Ngày cuối đang trước ngày đầu." in unescape(response.content.decode())
    response = admin.get(URL, {"tu": "not a day", "hanh_dong": "nothing.such"})
    assert response.status_code == 400
    assert response.context["rows"] == []
    assert admin.get(URL, {"truoc": "-3"}).status_code == 400


def test_the_pages_go_back_in_time(client, officials, trail, monkeypatch):
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 3)
    admin = _as(client, officials, "tinh.quantritinh")
    window = {"tu": "2031-03-01", "den": "2031-03-31"}
    first = admin.get(URL, window)
    assert [row["event"].pk for row in first.context["rows"]] == sorted(
        (e.pk for e in trail.values()), reverse=True
    )[:3]
    next_url = first.context["next_url"]
    assert next_url and "truoc=" in next_url
    second = admin.get(URL + next_url)
    assert _found(second) == {trail["failed"].pk}
    assert second.context["next_url"] == ""
    assert second.context["first_url"]


def test_each_search_is_itself_in_the_trail(client, officials, trail):
    admin = _as(client, officials, "tinh.quantritinh")
    admin.defaults.update(REMOTE_ADDR="192.0.2.44")
    response = admin.get(URL, {"nguoi": "kiemtra.mot", "dia_chi": "198.51.100.2"})
    assert _found(response) == {trail["login"].pk}
    search = AuditEvent.objects.filter(action="audit.search").latest("pk")
    assert (search.actor_label, search.ip) == ("tinh.quantritinh", "192.0.2.44")
    assert search.data["filters"] == {"who": "kiemtra.mot", "ip": "198.51.100.2"}
    # It shows on the next search, in words.
    response = admin.get(URL, {"hanh_dong": "audit.search"})
    assert search.pk in _found(response)
    assert "Tra cứu nhật ký hệ thống" in unescape(response.content.decode())
