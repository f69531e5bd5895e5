"""Officials: the password, then the code of their authenticator app, always (ASVS 5.0
V6.3.3). One without an app sets it up on the spot, after the password, before being
signed in."""

from __future__ import annotations

import re

from django.contrib.auth import SESSION_KEY

from motcua.accounts import otp
from motcua.accounts.models import OfficialTotp
from motcua.accounts.signin import SESSION_SECOND_FACTOR
from motcua.demo.officials import DEMO_PASSWORD
from tests.officials import totp_code

OFFICIAL = "batxat.tiepnhan"


def password_step(client, username=OFFICIAL):
    return client.post("/mot-cua/dang-nhap/", {"username": username, "password": DEMO_PASSWORD})


def shown_key(response) -> str:
    """The key the enrolment page shows under the QR code, for typing into an app."""
    found = re.search(r"<code>([A-Z2-7 ]{16,})</code>", response.content.decode())
    assert found, "no key on the page"
    return found.group(1).replace(" ", "")


def test_the_password_alone_does_not_sign_in(client, officials):
    response = password_step(client)
    assert response.status_code == 200 and b'name="totp"' in response.content
    assert SESSION_KEY not in client.session
    assert client.get("/mot-cua/").status_code == 302  # still to the sign-in page


def test_the_code_after_the_password_signs_in(client, officials):
    assert password_step(client).status_code == 200
    response = client.post("/mot-cua/dang-nhap/", {"totp": totp_code(officials[OFFICIAL])})
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    assert client.session[SESSION_KEY] == str(officials[OFFICIAL].pk)
    assert client.session.get(SESSION_SECOND_FACTOR)
    assert client.get("/mot-cua/").status_code == 200


def test_an_official_without_an_app_enrols_before_being_signed_in(client, officials):
    OfficialTotp.objects.filter(user=officials[OFFICIAL]).delete()
    page = password_step(client)
    assert page.status_code == 200 and b"<svg" in page.content
    assert SESSION_KEY not in client.session
    secret = shown_key(page)
    row = OfficialTotp.objects.get(user=officials[OFFICIAL])
    assert not row.confirmed and secret not in row.secret_encrypted  # stored encrypted
    good = otp.totp_now(secret)
    wrong = client.post("/mot-cua/dang-nhap/", {"totp": "000000" if good != "000000" else "111111"})
    assert wrong.status_code == 400 and SESSION_KEY not in client.session
    assert shown_key(wrong) == secret  # the same key again, to try once more
    response = client.post("/mot-cua/dang-nhap/", {"totp": good})
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    assert client.session.get(SESSION_SECOND_FACTOR)
    row.refresh_from_db()
    assert row.confirmed
    # Once on, the key is never shown again: the next sign-in asks for the code only.
    client.post("/mot-cua/dang-xuat/")
    again = password_step(client)
    assert b'name="totp"' in again.content and b"<svg" not in again.content
    assert secret not in again.content.decode()


def test_wrong_codes_are_refused(client, officials):
    user = officials[OFFICIAL]
    assert password_step(client).status_code == 200
    good = totp_code(user)
    bad = "123456" if good != "123456" else "654321"
    for _ in range(3):
        response = client.post("/mot-cua/dang-nhap/", {"totp": bad})
        assert response.status_code == 400 and SESSION_KEY not in client.session
    response = client.post("/mot-cua/dang-nhap/", {"totp": good})
    assert response.status_code == 302 and client.session.get(SESSION_SECOND_FACTOR)


def test_a_code_step_without_a_password_step_goes_back_to_the_password(client, officials):
    response = client.post("/mot-cua/dang-nhap/", {"totp": totp_code(officials[OFFICIAL])})
    assert response.status_code == 302 and response["Location"] == "/mot-cua/dang-nhap/"
    assert SESSION_KEY not in client.session


def test_a_code_is_not_accepted_twice(db):
    from django.contrib.auth import get_user_model

    from motcua.accounts.services import official_totp_begin, official_totp_check

    user = get_user_model().objects.create_user("x.y", password="irrelevant-pass-9")
    uri = official_totp_begin(user=user)
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    code = otp.totp_now(secret)
    assert official_totp_check(user=user, code=code)
    assert not official_totp_check(user=user, code=code)


def test_totp_matches_rfc6238_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 → the last 6 digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert otp.totp_now(secret, at=59) == "287082"
