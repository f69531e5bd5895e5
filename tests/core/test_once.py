"""One-use form keys (motcua.core.once): every POST form that creates or changes a record
carries `{% once_key %}`, and the middleware answers a repeat of a keyed POST with the
first answer instead of running the view again.

The middleware tests go through Django's real request handling (every middleware of the
settings) to small views of this module that write calendar rows, so that a second run
of a view would show as a second row."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import get_template
from django.test import Client, RequestFactory
from django.urls import include, path
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from motcua.core import once
from motcua.core.models import CalendarDay, FormKey
from motcua.core.tasks import form_keys_housekeeping

# --- every POST form carries a key ----------------------------------------------------------

ROOT = Path(settings.BASE_DIR) / "motcua"
FORM = re.compile(r"<form\b[^>]*>", re.I)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.I)

# POST forms without a key: (template, a piece of the form (its tag or what it holds), ""
# for every form of the template) → why. A sign-in answer sets the session cookie, which
# a replayed answer could not give back; the other forms record nothing, or are meant to
# be sent again from the same page.
ALLOWED = {
    ("backoffice/login.html", ""): "sign-in (the login templates belong to the sign-in work)",
    ("backoffice/login_totp.html", ""): "sign-in, second step",
    ("backoffice/totp_enrol.html", ""): (
        "turning the second factor on during sign-in; a repeated code finds it on already"
    ),
    ("backoffice/login_enrol.html", ""): "sign-in: the authenticator app set up on the way in",
    ("backoffice/password_change.html", "novalidate"): (
        "a new password renews the session cookie, which a replay could not give back; "
        "a repeat is refused by the old-password check anyway"
    ),
    ("backoffice/password_change.html", "backoffice:logout"): "sign-out",
    ("backoffice/officials.html", 'value="reset_password"'): (
        "a temporary password: the answer shows it once and is never stored, so a repeat "
        "must reset again to show one that works"
    ),
    ("portal/auth/phone.html", ""): "citizen sign-in: a code by SMS, or VNeID",
    ("portal/auth/code.html", ""): "citizen sign-in: the code, a new code, VNeID",
    ("backoffice/base.html", "backoffice:logout"): "sign-out",
    ("backoffice/not_official.html", "backoffice:logout"): "sign-out",
    ("portal/account/overview.html", "citizen:sign_out"): "sign-out",
    ("portal/mine/list.html", "citizen:sign_out"): "sign-out",
    ("base.html", "citizen:keepalive"): (
        "keeps the session alive; session.js sends it again and again from the same page"
    ),
    ("backoffice/base.html", "backoffice:switch_agency"): (
        "chooses the agency the official acts for, kept in the session only"
    ),
    ("portal/track.html", "portal:track"): "tracking lookup: reads, records nothing",
    ("backoffice/counter_form.html", "counter_walk_in_slip"): (
        "prints form 02 or 03 in a new tab and records nothing; the officer corrects and "
        "prints again from the same page, which a key would answer with the first PDF"
    ),
}


def post_forms() -> list[tuple[str, str, str]]:
    """(template name, <form> tag, the form up to </form>) of every POST form."""
    found = []
    for file in sorted(ROOT.glob("**/templates/**/*.html")):
        name = file.as_posix().split("/templates/", 1)[1]
        source = file.read_text(encoding="utf-8")
        for tag in FORM.finditer(source):
            if POST.search(tag.group(0)):
                end = source.find("</form>", tag.end())
                found.append((name, tag.group(0), source[tag.end() : end if end >= 0 else None]))
    return found


def allowed(name: str, form: str) -> tuple[str, str] | None:
    return next(((t, piece) for t, piece in ALLOWED if t == name and piece in form), None)


def test_every_post_form_that_records_something_carries_a_key():
    forms = post_forms()
    assert len(forms) >= 40  # the scan sees the templates
    missing = [
        f"{name}: {tag}"
        for name, tag, body in forms
        if "{% once_key %}" not in body and allowed(name, tag + body) is None
    ]
    assert not missing, "POST forms without {% once_key %} (or a reason in ALLOWED):\n" + (
        "\n".join(missing)
    )


def test_every_allowed_form_still_exists_without_a_key():
    unkeyed = [(n, t + body) for n, t, body in post_forms() if "{% once_key %}" not in body]
    used = {allowed(name, form) for name, form in unkeyed}
    assert set(ALLOWED) <= used, set(ALLOWED) - used


def test_templates_with_keys_load_the_tag():
    names = {name for name, _tag, body in post_forms() if "{% once_key %}" in body}
    assert len(names) >= 15
    for name in names:
        get_template(name)  # TemplateSyntaxError without {% load once %}


def test_the_tag_mints_a_new_key_each_time():
    from django.template import engines

    template = engines["django"].from_string("{% load once %}{% once_key %}|{% once_key %}")
    first, second = template.render().split("|")
    keys = [
        re.fullmatch(r'<input type="hidden" name="_once" value="([^"]+)">', html).group(1)
        for html in (first, second)
    ]
    assert keys[0] != keys[1]
    assert all(once.KEY_PATTERN.fullmatch(key) for key in keys)


def test_the_autosave_does_not_spend_the_key():
    script = (ROOT / "portal" / "static" / "portal" / "filing.js").read_text()
    assert 'data.delete("_once")' in script


# --- the middleware, through Django's request handling ------------------------------------


def _make_day(request) -> CalendarDay:
    day = date(2030, 1, 1) + timedelta(days=CalendarDay.objects.count())
    return CalendarDay.objects.create(date=day, kind="day_off", name=request.POST["name"])


@require_POST
def make_and_redirect(request):
    day = _make_day(request)
    return redirect(f"/made/{day.pk}/")


@require_POST
def make_and_show(request):
    day = _make_day(request)
    return HttpResponse(f"<p>made {day.pk}</p>", status=201, content_type="text/html")


@require_POST
def make_and_fail(request):
    _make_day(request)
    raise RuntimeError("the disk is full")


@require_POST
def too_many(request):
    return HttpResponse("later", status=429)


urlpatterns = [
    path("make/", make_and_redirect),
    path("make/other/", make_and_redirect),
    path("show/", make_and_show),
    path("fail/", make_and_fail),
    path("busy/", too_many),
    path("", include("motcua.urls")),  # the site's error pages name its addresses
]


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="0911000001", password="x")


@pytest.fixture
def client_in(urls, user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_repeat_gets_the_first_redirect_and_nothing_is_made_twice(client_in):
    key = once.once_key_new()
    first = client_in.post("/make/", {"name": "a", "_once": key})
    again = client_in.post("/make/", {"name": "a", "_once": key})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert CalendarDay.objects.count() == 1
    row = FormKey.objects.get(pk=key)
    assert (row.finished, row.status, row.location) == (True, 302, first["Location"])


def test_a_multipart_form_is_keyed_too(client_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    key = once.once_key_new()
    for _ in range(3):
        response = client_in.post(
            "/make/", {"name": "a", "_once": key, "scan": SimpleUploadedFile("a.pdf", b"%PDF")}
        )
        assert response.status_code == 302
    assert CalendarDay.objects.count() == 1


def test_a_repeat_gets_the_first_page_with_its_status(client_in):
    key = once.once_key_new()
    first = client_in.post("/show/", {"name": "a", "_once": key})
    again = client_in.post("/show/", {"name": "a", "_once": key})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == "text/html"
    assert CalendarDay.objects.count() == 1


def test_a_first_answer_too_big_to_keep_is_not_replayed(client_in, monkeypatch):
    monkeypatch.setattr(once, "BODY_LIMIT", 4)
    key = once.once_key_new()
    assert client_in.post("/show/", {"name": "a", "_once": key}).status_code == 201
    again = client_in.post(
        "/show/", {"name": "a", "_once": key}, HTTP_REFERER="http://testserver/x/"
    )
    assert again.status_code == 409
    page = again.content.decode()
    # In Vietnamese, the default language ("Yêu cầu này đã được gửi").
    with translation.override("vi"):
        assert gettext("This request has already been sent") in page
    assert 'href="http://testserver/x/"' in page
    assert CalendarDay.objects.count() == 1


def test_a_repeat_while_the_first_is_still_running_is_told_so(client_in, user, monkeypatch):
    monkeypatch.setattr(once, "WAIT_SECONDS", 0)
    key = once.once_key_new()
    sent = RequestFactory().post("/make/", {"name": "a", "_once": key})
    FormKey.objects.create(  # the first, unfinished
        key=key, user_id=user.pk, path="/make/", digest=once._content_digest(sent)
    )
    response = client_in.post(
        "/make/", {"name": "a", "_once": key}, HTTP_REFERER="https://elsewhere.example/"
    )
    assert response.status_code == 409
    assert 'href="/"' in response.content.decode()  # not back to another site
    assert not CalendarDay.objects.exists()


def test_the_same_form_drawn_with_another_csrf_token_is_still_a_repeat(client_in):
    key = once.once_key_new()
    first = client_in.post("/make/", {"name": "a", "_once": key, "csrfmiddlewaretoken": "1"})
    again = client_in.post("/make/", {"name": "a", "_once": key, "csrfmiddlewaretoken": "2"})
    assert first.status_code == again.status_code == 302
    assert CalendarDay.objects.count() == 1


def test_a_form_changed_after_it_was_sent_is_told_its_changes_were_not_sent(client_in):
    """The Back button brings the sent page back with its used key; the changed form is
    not answered as if the change had been made."""
    key = once.once_key_new()
    assert client_in.post("/make/", {"name": "a", "_once": key}).status_code == 302
    changed = client_in.post("/make/", {"name": "b", "_once": key})
    assert changed.status_code == 409
    assert changed["Cache-Control"] == "no-store"
    page = changed.content.decode()
    with translation.override("vi"):
        assert (
            gettext(
                "This form was sent once already, before it was changed. The changes were not sent."
            )
            in page
        )
        assert gettext("This request has already been sent") in page
    assert "portal/site.css" in page  # in the citizen portal's layout
    assert list(CalendarDay.objects.values_list("name", flat=True)) == ["a"]


def test_another_file_under_the_same_key_is_a_changed_form(client_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    key = once.once_key_new()
    for content, status in ((b"%PDF-1", 302), (b"%PDF-1", 302), (b"%PDF-12", 409)):
        response = client_in.post(
            "/make/", {"name": "a", "_once": key, "scan": SimpleUploadedFile("a.pdf", content)}
        )
        assert response.status_code == status
    assert CalendarDay.objects.count() == 1


def test_another_users_key_is_refused(client_in, urls):
    key = once.once_key_new()
    assert client_in.post("/make/", {"name": "a", "_once": key}).status_code == 302
    other = Client()
    other.force_login(get_user_model().objects.create_user(username="0911000002"))
    assert other.post("/make/", {"name": "b", "_once": key}).status_code == 400
    assert CalendarDay.objects.count() == 1


def test_a_key_used_on_another_form_is_refused(client_in):
    key = once.once_key_new()
    assert client_in.post("/make/", {"name": "a", "_once": key}).status_code == 302
    assert client_in.post("/make/other/", {"name": "b", "_once": key}).status_code == 400
    assert CalendarDay.objects.count() == 1


@pytest.mark.parametrize("bad", ["", "short", "a" * 33, "a" * 31 + ".", "<" + "a" * 31, "ạ" * 32])
def test_a_malformed_key_is_refused(client_in, bad):
    assert client_in.post("/make/", {"name": "a", "_once": bad}).status_code == 400
    assert not CalendarDay.objects.exists() and not FormKey.objects.exists()


def test_two_keys_in_one_form_are_refused(client_in):
    data = {"name": "a", "_once": [once.once_key_new(), once.once_key_new()]}
    assert client_in.post("/make/", data).status_code == 400
    assert not CalendarDay.objects.exists()


def test_a_failing_view_gives_the_key_back(client_in):
    client_in.raise_request_exception = False
    key = once.once_key_new()
    assert client_in.post("/fail/", {"name": "a", "_once": key}).status_code == 500
    assert not FormKey.objects.filter(pk=key).exists()


def test_a_busy_answer_gives_the_key_back(client_in):
    key = once.once_key_new()
    assert client_in.post("/busy/", {"name": "a", "_once": key}).status_code == 429
    assert not FormKey.objects.filter(pk=key).exists()


def test_a_post_without_a_key_is_left_alone(client_in):
    client_in.post("/make/", {"name": "a"})
    client_in.post("/make/", {"name": "a"})
    assert CalendarDay.objects.count() == 2
    assert not FormKey.objects.exists()


def test_an_anonymous_post_claims_nothing(urls, db):
    key = once.once_key_new()
    Client().post("/make/", {"name": "a", "_once": key})
    assert not FormKey.objects.exists()


# --- nightly housekeeping ---------------------------------------------------------------------


def test_old_keys_are_forgotten_and_kept_pages_dropped(db):
    now = timezone.now()
    FormKey.objects.create(key="old", path="/x/", created_at=now - timedelta(days=3))
    FormKey.objects.create(
        key="hour",
        path="/x/",
        created_at=now - timedelta(hours=2),
        finished=True,
        status=200,
        body=b"<p>typed in</p>",
    )
    FormKey.objects.create(key="new", path="/x/", finished=True, status=200, body=b"<p>x</p>")
    form_keys_housekeeping.call_local()
    kept = {key: body and bytes(body) for key, body in FormKey.objects.values_list("key", "body")}
    assert kept == {"hour": None, "new": b"<p>x</p>"}
