"""Officials' and administrators' sign-in (issue 13, ASVS 5.0 V6 and V7): attempt limits
per account and per address with lockout and unlock by an administrator, password rules,
the mandatory second factor (back office and /admin/), password change and reset with a
forced change, the absolute session lifetime, production cookies."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from motcua.accounts.models import OfficialAccount, OfficialTotp
from motcua.accounts.signin import SESSION_SECOND_FACTOR, SESSION_SIGNED_IN_AT
from motcua.audit.models import AuditEvent
from motcua.demo.officials import DEMO_PASSWORD
from tests.officials import official_login, sign_in_with_password, totp_code

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/mot-cua/dang-nhap/"
OFFICERS = "/mot-cua/tai-khoan-can-bo/"
PASSWORD_PAGE = "/mot-cua/mat-khau/"
DESK = "batxat.tiepnhan"
SPECIALIST = "batxat.chuyenvien"  # of Bát Xát's People's Committee, like batxat.quantri
NEW_PASSWORD = "rừng-thông-Y-Tý-mùa-lúa-chín"


def wrong_password(client: Client, username: str, *, ip: str = "127.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": "not-the-password"}, REMOTE_ADDR=ip
    )


def password_step(client: Client, username: str, password: str = DEMO_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def asks_code(response) -> bool:
    return response.status_code == 200 and b'name="totp"' in response.content


def lock(client: Client, username: str) -> None:
    for attempt in range(1, 6):
        response = wrong_password(client, username)
        assert response.status_code == (429 if attempt == 5 else 200), attempt


def admin_client(officials, username: str = "tinh.quantritinh") -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return official_login(client, officials[username])


# --- attempt limits -----------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, officials):
    for attempt in range(4):
        response = wrong_password(client, DESK, ip="10.0.0.7")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = wrong_password(client, DESK, ip="10.0.0.7")
    assert locked.status_code == 429
    assert "the account is locked" in locked.content.decode()
    # The right password: still locked, from this address or any other, and no code asked.
    for ip in ("10.0.0.7", "10.9.9.9"):
        response = password_step(client, DESK, REMOTE_ADDR=ip)
        assert response.status_code == 429 and b'name="totp"' not in response.content
    assert SESSION_KEY not in client.session
    # Every failure went through the signal with its request: audited with the address.
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor_label=DESK)
    assert failed.count() == 7 and set(failed.values_list("ip", flat=True)) == {
        "10.0.0.7",
        "10.9.9.9",
    }
    # The lockout itself once, not again for each try refused while locked.
    lockouts = AuditEvent.objects.filter(action="auth.lockout")
    assert list(lockouts.values_list("object_id", flat=True)) == [str(officials[DESK].pk)]


def test_wrong_codes_count_towards_the_lockout(client, officials):
    good = totp_code(officials[DESK])
    bad = "123456" if good != "123456" else "654321"
    assert asks_code(password_step(client, DESK))
    for attempt in range(1, 6):
        response = client.post(LOGIN, {"totp": bad})
        assert response.status_code == (429 if attempt == 5 else 400), attempt
    assert SESSION_KEY not in client.session
    assert password_step(client, DESK).status_code == 429
    assert AuditEvent.objects.filter(action="auth.totp_failed", actor_label=DESK).count() == 5


def test_thirty_wrong_tries_from_one_address_lock_the_address(client, officials):
    for attempt in range(30):
        # Different names, each well under the account's limit: password spraying.
        response = wrong_password(client, f"nobody{attempt}", ip="10.1.1.1")
        assert response.status_code == (429 if attempt == 29 else 200), attempt
    refused = password_step(client, DESK, REMOTE_ADDR="10.1.1.1")
    assert refused.status_code == 429 and "from this connection" in refused.content.decode()
    # The official's account is not locked: from another address they sign in.
    assert asks_code(password_step(Client(), DESK, REMOTE_ADDR="10.1.1.2"))


def test_the_province_administrator_unlocks_then_sign_in_works(client, officials):
    lock(client, SPECIALIST)
    admin = admin_client(officials)
    page = admin.get(OFFICERS, {"q": SPECIALIST})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Locked" in html and f"Unlock {SPECIALIST}" in html
    target = officials[SPECIALIST]
    response = admin.post(f"{OFFICERS}{target.pk}/", {"action": "unlock"})
    assert response.status_code == 302 and response["Location"] == OFFICERS
    assert "Locked" not in admin.get(OFFICERS, {"q": SPECIALIST}).content.decode()
    assert AuditEvent.objects.filter(action="auth.unlock", object_id=str(target.pk)).exists()
    response = sign_in_with_password(client, SPECIALIST, DEMO_PASSWORD)
    assert response.status_code == 302 and client.session.get(SESSION_SECOND_FACTOR)
    assert client.get("/mot-cua/").status_code == 200


def test_an_agency_administrator_looks_after_their_agency_only(client, officials):
    lock(client, SPECIALIST)
    lock(client, "laocai.chuyenvien")
    agency_admin = admin_client(officials, "batxat.quantri")
    listed = agency_admin.get(OFFICERS).content.decode()
    assert SPECIALIST in listed and "laocai.chuyenvien" not in listed
    other = officials["laocai.chuyenvien"]
    refused = agency_admin.post(f"{OFFICERS}{other.pk}/", {"action": "unlock"})
    assert refused.status_code == 403
    assert password_step(Client(), "laocai.chuyenvien").status_code == 429  # still locked
    mine = officials[SPECIALIST]
    assert agency_admin.post(f"{OFFICERS}{mine.pk}/", {"action": "unlock"}).status_code == 302
    assert asks_code(password_step(Client(), SPECIALIST))
    # An official who administers nothing does not see the page.
    assert admin_client(officials, DESK).get(OFFICERS).status_code == 403


# --- the second factor is required everywhere ---------------------------------------------


def test_the_back_office_refuses_a_session_without_the_second_factor(client, officials):
    client.force_login(officials[DESK])  # a password-only session
    response = client.get("/mot-cua/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get(OFFICERS).status_code == 302
    assert client.get(PASSWORD_PAGE).status_code == 302


def test_admin_refuses_a_session_without_the_second_factor(client, demo):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    client.force_login(admin)
    for url in ("/admin/", "/admin/auth/user/", "/admin/accounts/populationlookup/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"site-name" not in response.content  # not the admin's pages
    # The admin's own login page only sends to the officials' sign-in; posting to it
    # signs nobody in.
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302 and login["Location"].startswith(LOGIN)
    other = Client()
    posted = other.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": DEMO_PASSWORD}
    )
    assert posted.status_code == 302 and SESSION_KEY not in other.session
    # With the second factor the same administrator reaches the admin.
    official_login(client, admin)
    assert client.get("/admin/").status_code == 200


def test_the_administrator_signs_in_with_password_and_code_into_the_admin(client, demo):
    response = client.post(
        f"{LOGIN}?next=/admin/", {"username": "admin", "password": DEMO_PASSWORD}
    )
    assert asks_code(response) and SESSION_KEY not in client.session
    admin = get_user_model().objects.get(username="admin")
    response = client.post(LOGIN, {"totp": totp_code(admin)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- passwords --------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key_and_ends_the_old_one(client, officials):
    """ASVS 5.0 V7.2.4: a key seen before sign-in (fixation) is worthless after it."""
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    stolen = Client()
    stolen.cookies["sessionid"] = before
    response = sign_in_with_password(client, DESK, DEMO_PASSWORD)
    assert response.status_code == 302
    after = client.session.session_key
    assert after and after != before
    assert client.get("/mot-cua/").status_code == 200
    assert stolen.get("/mot-cua/").status_code == 302  # the old key signs no one in


@pytest.mark.parametrize("weak", ["1", "motcua123", "12345678901234", "password1234"])
def test_password_validators_refuse_weak_passwords(db, weak):
    user = get_user_model()(username="batxat.thu", first_name="Lò Thị Thu")
    with pytest.raises(ValidationError):
        validate_password(weak, user)
    validate_password(NEW_PASSWORD, user)  # long and uncommon: accepted, any characters


def test_an_official_changes_their_password(client, officials):
    user = officials[DESK]
    official_login(client, user)
    elsewhere = official_login(Client(), user)  # another browser of the same official
    wrong_current = client.post(
        PASSWORD_PAGE, {"current": "not-it", "new1": NEW_PASSWORD, "new2": NEW_PASSWORD}
    )
    assert wrong_current.status_code == 400
    weak = client.post(
        PASSWORD_PAGE, {"current": DEMO_PASSWORD, "new1": "motcua123", "new2": "motcua123"}
    )
    assert weak.status_code == 400
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)
    response = client.post(
        PASSWORD_PAGE, {"current": DEMO_PASSWORD, "new1": NEW_PASSWORD, "new2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/mot-cua/").status_code == 200  # this session goes on
    assert elsewhere.get("/mot-cua/").status_code == 302  # the other one has ended
    assert AuditEvent.objects.filter(action="auth.password_change", actor=user).exists()


def test_a_reset_by_the_administrator_forces_a_change_at_next_sign_in(client, officials):
    target = officials[DESK]
    response = admin_client(officials).post(f"{OFFICERS}{target.pk}/", {"action": "reset_password"})
    assert response.status_code == 200
    temporary = re.search(r'<code class="secret">([^<]+)</code>', response.content.decode())[1]
    assert OfficialAccount.objects.get(user=target).must_change_password
    assert password_step(client, DESK).status_code == 200  # the old password is gone …
    assert not asks_code(password_step(client, DESK))
    # … the temporary one still needs the code, then leads to the password page only.
    response = sign_in_with_password(client, DESK, temporary)
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    to_change = client.get("/mot-cua/")
    assert to_change.status_code == 302 and to_change["Location"].startswith(PASSWORD_PAGE)
    page = client.get(to_change["Location"])
    assert page.status_code == 200 and b'name="new1"' in page.content
    response = client.post(
        PASSWORD_PAGE,
        {"current": temporary, "new1": NEW_PASSWORD, "new2": NEW_PASSWORD, "next": "/mot-cua/"},
    )
    assert response.status_code == 302
    assert client.get("/mot-cua/").status_code == 200
    assert not OfficialAccount.objects.get(user=target).must_change_password


def test_a_temporary_password_not_used_in_time_stops_working(client, officials, settings):
    target = officials[DESK]
    response = admin_client(officials).post(f"{OFFICERS}{target.pk}/", {"action": "reset_password"})
    temporary = re.search(r'<code class="secret">([^<]+)</code>', response.content.decode())[1]
    OfficialAccount.objects.filter(user=target).update(
        password_reset_at=timezone.now()
        - timedelta(hours=settings.MOTCUA_TEMPORARY_PASSWORD_HOURS + 1)
    )
    response = password_step(client, DESK, temporary)
    assert not asks_code(response) and "temporary password has expired" in response.content.decode()


# --- sessions -----------------------------------------------------------------------------


def test_the_absolute_lifetime_ends_a_session_active_all_along(client, officials, settings):
    official_login(client, officials[DESK])
    lifetime = settings.MOTCUA_SESSION_ABSOLUTE_HOURS * 3600

    def signed_in_ago(seconds: float) -> None:
        session = client.session
        session[SESSION_SIGNED_IN_AT] = time.time() - seconds
        session.save()

    signed_in_ago(lifetime - 60)  # active all day: every request renews the idle timer
    assert client.get("/mot-cua/").status_code == 200
    signed_in_ago(lifetime + 60)
    response = client.get("/mot-cua/?box=receive")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN) and "box%3Dreceive" in response["Location"]
    assert SESSION_KEY not in client.session
    assert client.get("/mot-cua/").status_code == 302  # the old session cannot come back


def test_a_citizen_session_also_ends_and_goes_to_the_citizens_sign_in(client, db, settings):
    client.force_login(get_user_model().objects.create_user(username="0912000444"))
    session = client.session
    session[SESSION_SIGNED_IN_AT] = time.time() - settings.MOTCUA_SESSION_ABSOLUTE_HOURS * 3600 - 1
    session.save()
    response = client.get("/ho-so-cua-toi/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert SESSION_KEY not in client.session


def test_production_cookies_are_secure_and_host_prefixed(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MOTCUA_", "DJANGO_")) and key not in ("DATABASE_URL", "SECRET_KEY")
    }
    env.update(
        MOTCUA_ENV="production",
        DJANGO_SETTINGS_MODULE="motcua.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="motcua.laocai.gov.vn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MOTCUA_VAR_DIR=str(tmp_path / "var"),
    )
    script = (
        "import json, django; django.setup()\n"
        "from django.conf import settings as s\n"
        "from django.test import Client, override_settings\n"
        # No collectstatic here: plain static names instead of the manifest's.
        "plain = {**s.STORAGES, 'staticfiles': {'BACKEND':"
        " 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "with override_settings(STORAGES=plain):\n"
        "    r = Client().get('/mot-cua/dang-nhap/', secure=True,"
        " HTTP_HOST='motcua.laocai.gov.vn')\n"
        "c = r.cookies[s.CSRF_COOKIE_NAME]\n"
        "print(json.dumps({'session': [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_PATH, s.SESSION_COOKIE_DOMAIN],"
        " 'csrf': [c.key, bool(c['secure']), c['path'], c['domain'], r.status_code]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["session"] == ["__Host-sessionid", True, True, "/", None]
    assert values["csrf"] == ["__Host-csrftoken", True, "/", "", 200]


# --- enrolling a new phone ------------------------------------------------------------------


def test_enrolment_after_a_reset_asks_for_the_password_again(client, officials):
    user = officials[SPECIALIST]
    official_login(client, user)  # a session left open at the desk
    OfficialTotp.objects.filter(user=user).delete()  # the administrator reset the app
    page = client.get("/mot-cua/xac-thuc-hai-buoc/")
    assert page.status_code == 200
    assert b'name="password"' in page.content and b"<svg" not in page.content
    # Neither a code alone nor a wrong password shows the new key.
    assert b"<svg" not in client.post("/mot-cua/xac-thuc-hai-buoc/", {"code": "123456"}).content
    wrong = client.post("/mot-cua/xac-thuc-hai-buoc/", {"password": "not-the-password"})
    assert wrong.status_code == 400 and b"<svg" not in wrong.content
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label=SPECIALIST).exists()
    right = client.post("/mot-cua/xac-thuc-hai-buoc/", {"password": DEMO_PASSWORD})
    assert right.status_code == 302
    page = client.get("/mot-cua/xac-thuc-hai-buoc/")
    assert b"<svg" in page.content
    secret = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page.content.decode())[1]
    from motcua.accounts import otp

    code = otp.totp_now(secret.replace(" ", ""))
    response = client.post("/mot-cua/xac-thuc-hai-buoc/", {"code": code})
    assert response.status_code == 302
    assert OfficialTotp.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(action="auth.second_factor_enrol", actor=user).exists()
