"""Officials: password, then TOTP for those who enrolled; the others sign in as before."""

from __future__ import annotations

import re
import time

from motcua.accounts import otp
from motcua.accounts.models import OfficialTotp
from motcua.demo.officials import DEMO_PASSWORD

OFFICIAL = "batxat.tiepnhan"


def secret_of(uri: str) -> str:
    return re.search(r"secret=([A-Z2-7]+)", uri).group(1)


def password_step(client, username=OFFICIAL):
    return client.post("/mot-cua/dang-nhap/", {"username": username, "password": DEMO_PASSWORD})


def enrol(client) -> str:
    assert password_step(client).status_code == 302
    page = client.get("/mot-cua/xac-thuc-hai-buoc/")
    assert page.status_code == 200 and b"<svg" in page.content
    uri = re.search(r"<code>(otpauth://[^<]+)</code>", page.content.decode()).group(1)
    uri = uri.replace("&amp;", "&")
    secret = secret_of(uri)
    wrong = client.post("/mot-cua/xac-thuc-hai-buoc/", {"code": "000000"})
    if otp.totp_now(secret) != "000000":
        assert wrong.status_code == 400
    response = client.post("/mot-cua/xac-thuc-hai-buoc/", {"code": otp.totp_now(secret)})
    assert response.status_code == 302
    client.post("/mot-cua/dang-xuat/")
    return secret


def test_official_without_totp_signs_in_with_password(client, demo):
    response = password_step(client)
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    assert "_auth_user_id" in client.session


def test_enrolment_then_sign_in_asks_the_code(client, demo):
    secret = enrol(client)
    row = OfficialTotp.objects.get(user__username=OFFICIAL)
    assert row.confirmed and secret not in row.secret_encrypted
    # The secret is not shown again.
    assert password_step(client).status_code == 200
    response = client.post(
        "/mot-cua/dang-nhap/", {"totp": otp.totp_now(secret, at=time.time() + 30)}
    )
    assert response.status_code == 302 and response["Location"] == "/mot-cua/"
    assert b"otpauth" not in client.get("/mot-cua/xac-thuc-hai-buoc/").content


def test_wrong_totp_is_refused(client, demo):
    secret = enrol(client)
    response = password_step(client)
    assert response.status_code == 200 and b'name="totp"' in response.content
    assert "_auth_user_id" not in client.session
    good = otp.totp_now(secret, at=time.time() + 30)
    bad = "123456" if good != "123456" else "654321"
    response = client.post("/mot-cua/dang-nhap/", {"totp": bad})
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    for _ in range(4):
        client.post("/mot-cua/dang-nhap/", {"totp": bad})
    # After 5 wrong codes the password must be typed again.
    response = client.post("/mot-cua/dang-nhap/", {"totp": good})
    assert response.status_code == 302 and response["Location"] == "/mot-cua/dang-nhap/"
    assert "_auth_user_id" not in client.session


def test_a_code_is_not_accepted_twice(db):
    from django.contrib.auth import get_user_model

    from motcua.accounts.services import official_totp_begin, official_totp_check

    user = get_user_model().objects.create_user("x.y", password="irrelevant-pass-9")
    secret = secret_of(official_totp_begin(user=user))
    code = otp.totp_now(secret)
    assert official_totp_check(user=user, code=code)
    assert not official_totp_check(user=user, code=code)


def test_totp_matches_rfc6238_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 → the last 6 digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert otp.totp_now(secret, at=59) == "287082"
