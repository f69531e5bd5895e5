"""VNeID sign-in (OpenID Connect, code flow + PKCE) against the local provider simulator:
redirects followed with the test client, token and JWKS over real HTTP."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from motcua.accounts.models import CitizenProfile

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def provider_approves(url: str) -> str:
    """GET the provider's authorize URL over HTTP; returns its redirect back to us."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
        return exc.headers["Location"]
    raise AssertionError("the provider did not redirect")


def start(client, next_url="/tra-cuu/"):
    response = client.post(f"/dang-nhap/vneid/?next={next_url}")
    assert response.status_code == 302
    return response["Location"]


def back(client, location: str):
    parts = urllib.parse.urlsplit(location)
    assert parts.path == "/dang-nhap/vneid/ve/"
    return client.get(parts.path, dict(urllib.parse.parse_qsl(parts.query)))


def test_button_only_when_configured(client, vneid, settings):
    assert "Sign in with VNeID" in client.get("/dang-nhap/").content.decode()
    settings.OIDC_VNEID_ISSUER = ""
    assert b"VNeID" not in client.get("/dang-nhap/").content


def test_full_flow_signs_in_and_maps_claims(client, vneid):
    authorize = start(client)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    assert authorize.startswith(vneid.issuer + "/authorize?")
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    response = back(client, provider_approves(authorize))
    assert response.status_code == 302 and response["Location"] == "/tra-cuu/"
    profile = CitizenProfile.objects.get(oidc_subject=vneid.user["sub"])
    assert int(client.session["_auth_user_id"]) == profile.user_id
    # The simulator's default person: the demo's first-time mother (demo_people.json).
    assert profile.full_name == "Hoàng Thị Lan"
    assert profile.phone == "84978301245"
    assert str(profile.birth_date) == "2003-04-12"
    assert profile.citizen_id == "010303004127"
    # A second sign-in finds the same citizen.
    client.post("/dang-xuat/")
    back(client, provider_approves(start(client)))
    assert CitizenProfile.objects.count() == 1


def test_links_to_the_citizen_who_signed_in_by_phone(client, vneid):
    from motcua.accounts.services import citizen_get_or_create

    user = citizen_get_or_create(phone="84978301245")  # the default person's phone
    back(client, provider_approves(start(client)))
    assert int(client.session["_auth_user_id"]) == user.pk


def test_forged_id_token_is_refused(client, vneid):
    vneid.forge_signature = True
    response = back(client, provider_approves(start(client)))
    assert response.status_code == 400
    assert b"did not work" in response.content
    assert "_auth_user_id" not in client.session
    assert not CitizenProfile.objects.exists()


def test_wrong_state_is_refused(client, vneid):
    location = provider_approves(start(client))
    parts = urllib.parse.urlsplit(location)
    params = dict(urllib.parse.parse_qsl(parts.query))
    params["state"] = "forged-state"
    response = client.get(parts.path, params)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    # Replaying the callback without a sign-in in progress is refused too.
    assert back(client, location).status_code == 400


def test_provider_down_is_a_clear_message_not_a_500(client, vneid, settings):
    settings.OIDC_VNEID_ISSUER = "http://127.0.0.1:9"
    response = client.post("/dang-nhap/vneid/")
    assert response.status_code == 502 and b"did not work" in response.content
