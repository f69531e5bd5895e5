"""VNeID as the demo runs it: the simulator's consent page (who you are, what motcua will
receive, "Đồng ý và tiếp tục" / "Hủy"), the richer claims filling the citizen's profile
(sex, ethnicity, nationality, residence with today's commune), `citizen_identity`, and the
demo people shared with the population database. Redirects are followed with the test
client and urllib over real HTTP; the browser test walks the pages in Chromium at 360 px."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from motcua.accounts.contrib.population.people import (
    demo_people,
    demo_person,
    vneid_claims,
    vneid_default,
    vneid_people,
)
from motcua.accounts.models import CitizenProfile
from motcua.accounts.selectors import citizen_identity
from motcua.accounts.services import citizen_from_oidc_claims, citizen_get_or_create
from tests.browsing import phone_context

MOTHER = "010303004127"
FATHER = "010200006318"
WITNESS = "010085011743"
CONSENT = [{"consent_page": True}]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, form: dict | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) of one request to the provider, redirects not followed."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, data=data, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


class _Form(HTMLParser):
    """The consent page's form: hidden fields, radio choices (value → checked), buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, bool] = {}
        self.buttons: list[tuple[str, str]] = []
        self.action = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action", "")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.hidden[attrs["name"]] = attrs.get("value", "")
        elif tag == "input" and attrs.get("type") == "radio":
            self.radios[attrs["value"]] = "checked" in attrs
        elif tag == "button":
            self.buttons.append((attrs.get("name", ""), attrs.get("value", "")))


def start(client, next_url: str = "/tra-cuu/") -> str:
    response = client.post(f"/dang-nhap/vneid/?next={next_url}")
    assert response.status_code == 302
    return response["Location"]


def consent_page(client, next_url: str = "/tra-cuu/") -> tuple[str, _Form, str]:
    authorize = start(client, next_url)
    status, headers, page = fetch(authorize)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    form = _Form()
    form.feed(page)
    return authorize, form, page


def decide(authorize: str, form: _Form, *, decision: str = "allow", person: str = "") -> str:
    """Press a button of the consent page; returns where the provider sends the browser."""
    chosen = person or next(sub for sub, checked in form.radios.items() if checked)
    action = urllib.parse.urljoin(authorize, form.action)
    status, headers, _page = fetch(action, {**form.hidden, "person": chosen, "decision": decision})
    assert status in (302, 303), status
    return headers["Location"]


def back(client, location: str):
    parts = urllib.parse.urlsplit(location)
    assert parts.path == "/dang-nhap/vneid/ve/"
    return client.get(parts.path, dict(urllib.parse.parse_qsl(parts.query)))


def auto_sign_in(client):
    """Sign in without the consent page: the provider redirects straight back."""
    status, headers, _page = fetch(start(client))
    assert status == 302
    return back(client, headers["Location"])


def sign_in_as(client, person: str = "", next_url: str = "/tra-cuu/"):
    authorize, form, _page = consent_page(client, next_url)
    return back(client, decide(authorize, form, person=person))


# --- the demo people ------------------------------------------------------------------------


def test_demo_people_are_valid_people_of_lao_cai():
    from vietnam_provinces import Ward

    from motcua.dossiers.validation import cccd_error

    people = demo_people()
    communes = {f"{int(w.code):05d}": w.name for w in Ward.iter_by_province(15)}
    assert len(people) >= 6
    assert len({p["id_number"] for p in people}) == len(people)
    for person in people:
        born = date.fromisoformat(person["birth_date"])
        assert cccd_error(person["id_number"], birth_date=born) is None, person["full_name"]
        assert person["id_number"][:3] in ("010", "015")  # born in Lào Cai or Yên Bái
        assert communes[person["commune_code"]] == person["commune"]
        assert person["sex"] in ("nam", "nu")
    assert {"Kinh", "Tày", "Giáy", "Dao", "H'Mông", "Nùng"} <= {p["ethnicity"] for p in people}
    mother = vneid_default()
    assert mother["id_number"] == MOTHER and mother["sex"] == "nu" and mother["vneid"]
    assert demo_person(FATHER)["vneid"] is False  # only the population database knows him
    assert mother["spouse"] == FATHER and demo_person(FATHER)["spouse"] == MOTHER
    assert WITNESS in {p["id_number"] for p in vneid_people()}
    assert FATHER not in {p["id_number"] for p in vneid_people()}


# --- the consent page -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_consent_page_says_who_and_what(client, vneid):
    _authorize, form, page = consent_page(client)
    assert '<html lang="vi">' in page and "<title>" in page and "<main>" in page
    assert "<h1>" in page and "VNeID (mô phỏng)" in page
    assert "<script" not in page
    # Who you are: the demo people with VNeID, the first-time mother chosen.
    assert set(form.radios) == {vneid_claims(p)["sub"] for p in vneid_people()}
    assert [sub for sub, checked in form.radios.items() if checked] == [vneid.user["sub"]]
    assert vneid.user["name"] == "Hoàng Thị Lan" and "Hoàng Thị Lan" in page
    assert "Nông Văn Hải" not in page  # the father has no VNeID account
    for label in ("Họ và tên", "Số định danh cá nhân", "Ngày sinh", "Giới tính", "Dân tộc",
                  "Quốc tịch", "Nơi thường trú", "Số điện thoại"):
        assert f"<li>{label}</li>" in page
    assert ("decision", "allow") in form.buttons and ("decision", "deny") in form.buttons
    assert "Đồng ý và tiếp tục" in page and ">Hủy<" in page
    assert {"state", "nonce", "code_challenge", "redirect_uri", "client_id"} <= set(form.hidden)


@pytest.mark.django_db
def test_consent_page_is_a_switch(client, vneid):
    assert vneid.consent_page is False  # the default: auto-approve, as older tests expect
    status, headers, _ = fetch(start(client))
    assert status == 302 and "/dang-nhap/vneid/ve/" in headers["Location"]
    vneid.consent_page = True
    status, _headers, page = fetch(start(client))
    assert status == 200 and "Đồng ý và tiếp tục" in page


@pytest.mark.django_db
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_consent_page_refuses_a_tampered_request(client, vneid):
    authorize, form, _page = consent_page(client)
    action = urllib.parse.urljoin(authorize, form.action)
    status, _h, _b = fetch(action, {**form.hidden, "client_id": "evil", "decision": "allow",
                                    "person": vneid.user["sub"]})
    assert status == 400
    status, _h, page = fetch(action, {**form.hidden, "person": "vneid-nobody",
                                      "decision": "allow"})
    assert status == 400 and 'role="alert"' in page


# --- claims fill the profile ----------------------------------------------------------------


@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_first_time_mother_lands_as_a_new_citizen_with_her_details(client, vneid, demo):
    from motcua.dossiers.models import Dossier

    # load_demo gives her nothing: no account, no dossier.
    assert not CitizenProfile.objects.filter(citizen_id=MOTHER).exists()
    assert not CitizenProfile.objects.filter(phone="84978301245").exists()
    assert not Dossier.objects.filter(applicant_id_number=MOTHER).exists()
    before = timezone.now()

    response = sign_in_as(client, next_url="/nop-ho-so/1.001193/")
    assert response.status_code == 302 and response["Location"] == "/nop-ho-so/1.001193/"
    profile = CitizenProfile.objects.select_related("commune", "user").get(citizen_id=MOTHER)
    assert int(client.session["_auth_user_id"]) == profile.user_id
    assert profile.created_at >= before  # created by this sign-in
    assert not Dossier.objects.filter(citizen=profile.user).exists()
    assert (profile.full_name, profile.birth_date, profile.sex) == (
        "Hoàng Thị Lan", date(2003, 4, 12), "nu"
    )
    assert (profile.ethnicity, profile.nationality) == ("Tày", "Việt Nam")
    assert profile.phone == "84978301245"
    assert profile.commune.name == "Xã Bát Xát" and profile.commune.code == "02683"
    assert profile.commune.valid_to is None  # today's unit
    assert profile.address == "Thôn Bản Vược"
    assert profile.identity_verified_at >= before
    assert profile.user.first_name == "Hoàng Thị Lan"

    identity = citizen_identity(profile.user)
    assert identity.source == "vneid" and identity.verified
    assert (identity.full_name, identity.id_number, identity.phone) == (
        "Hoàng Thị Lan", MOTHER, "0978301245"
    )
    assert (identity.sex, identity.ethnicity, identity.nationality) == ("nu", "Tày", "Việt Nam")
    assert identity.birth_date == date(2003, 4, 12)
    assert identity.commune == profile.commune and identity.address == "Thôn Bản Vược"


@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_another_demo_person_can_be_chosen(client, vneid, demo):
    witness = vneid_claims(demo_person(WITNESS))
    response = sign_in_as(client, person=witness["sub"])
    assert response.status_code == 302
    profile = CitizenProfile.objects.get(oidc_subject=witness["sub"])
    assert int(client.session["_auth_user_id"]) == profile.user_id
    assert (profile.full_name, profile.sex, profile.ethnicity) == ("Giàng A Sử", "nam", "H'Mông")
    assert profile.citizen_id == WITNESS and profile.commune.name == "Xã Bát Xát"
    assert not CitizenProfile.objects.filter(citizen_id=MOTHER).exists()


def test_each_sign_in_refreshes_the_profile(client, vneid, demo):
    auto_sign_in(client)
    profile = CitizenProfile.objects.get(citizen_id=MOTHER)
    stale = timezone.now() - timedelta(days=400)
    CitizenProfile.objects.filter(pk=profile.pk).update(
        full_name="Hoang Thi Lan", ethnicity="", sex="", commune=None, address="cũ",
        identity_verified_at=stale,
    )
    client.post("/dang-xuat/")
    auto_sign_in(client)
    profile.refresh_from_db()
    assert CitizenProfile.objects.count() == 1
    assert (profile.full_name, profile.ethnicity, profile.sex) == ("Hoàng Thị Lan", "Tày", "nu")
    assert profile.commune.name == "Xã Bát Xát" and profile.address == "Thôn Bản Vược"
    assert profile.identity_verified_at > stale


def test_claims_in_other_shapes(demo):
    # OIDC gender or Vietnamese nam/nu; an address given only as one formatted line.
    user = citizen_from_oidc_claims(
        claims={
            "sub": "x-1", "name": "Lục Thị Sen", "gender": "nu", "citizen_id": "010195008264",
            "address": {"formatted": "Thôn Na Khui, Xã Mường Khương, Tỉnh Lào Cai"},
        },
        id_claim="citizen_id",
    )
    profile = user.citizen_profile
    assert profile.sex == "nu" and profile.commune.name == "Xã Mường Khương"
    assert profile.address == "Thôn Na Khui"
    # A residence outside the province: kept as written, no commune of ours.
    user = citizen_from_oidc_claims(
        claims={
            "sub": "x-2", "name": "Trần Văn Nam", "gender": "male",
            "address": {"formatted": "Số 5 Tràng Tiền, Phường Hoàn Kiếm, Thành phố Hà Nội",
                        "street_address": "Số 5 Tràng Tiền", "locality": "Phường Hoàn Kiếm"},
            "vn_commune_code": "00070",
        },
        id_claim="citizen_id",
    )
    profile = user.citizen_profile
    assert profile.sex == "nam" and profile.commune is None
    assert profile.address == "Số 5 Tràng Tiền"
    assert profile.identity_verified_at is not None
    # No residence claim: nothing about it is changed; unknown gender leaves it blank.
    user = citizen_from_oidc_claims(
        claims={"sub": "x-3", "name": "Sầm Văn Tư", "gender": "other"}, id_claim="citizen_id"
    )
    assert user.citizen_profile.sex == "" and user.citizen_profile.commune is None


@pytest.mark.django_db
def test_identity_of_phone_only_citizens_officials_and_visitors():
    from django.contrib.auth.models import AnonymousUser

    user = citizen_get_or_create(phone="84912000777")
    identity = citizen_identity(user)
    assert identity.source == "profile" and identity.verified is False
    assert identity.phone == "0912000777" and identity.full_name == "" and identity.commune is None
    official = get_user_model().objects.create_user(username="batxat.test")
    assert citizen_identity(official) is None
    assert citizen_identity(AnonymousUser()) is None


# --- cancel, forgeries ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_cancel_gives_a_clear_message_and_no_account(client, vneid):
    authorize, form, _page = consent_page(client)
    location = decide(authorize, form, decision="deny")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["error"] == "access_denied" and query["state"] == form.hidden["state"]
    response = back(client, location)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You cancelled signing in with VNeID, so VNeID shared nothing with us." in html
    assert 'role="status"' in html and "did not work" not in html
    assert '<form method="post" action="/dang-nhap/vneid/"' in html  # try again
    assert '<form method="post" action="/dang-nhap/"' in html  # or the phone
    assert "_auth_user_id" not in client.session
    assert not CitizenProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_a_cancel_with_another_state_is_not_believed(client, vneid):
    authorize, form, _page = consent_page(client)
    parts = urllib.parse.urlsplit(decide(authorize, form, decision="deny"))
    query = {**dict(urllib.parse.parse_qsl(parts.query)), "state": "forged"}
    response = client.get(parts.path, query)
    assert response.status_code == 400 and b"did not work" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_forged_id_token_is_still_refused_after_consent(client, vneid):
    vneid.forge_signature = True
    response = sign_in_as(client)
    assert response.status_code == 400 and b"did not work" in response.content
    assert "_auth_user_id" not in client.session
    assert not CitizenProfile.objects.exists()


# --- sign-in pages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_page_offers_vneid_first(client, vneid):
    html = client.get("/dang-nhap/").content.decode()
    vneid_form = html.index('action="/dang-nhap/vneid/"')
    phone_form = html.index('action="/dang-nhap/"')
    assert vneid_form < phone_form
    assert "Sign in with VNeID" in html and "are filled in for you" in html
    assert "Or sign in with your phone number" in html


@pytest.mark.django_db
def test_code_page_offers_vneid_too(client, vneid, sms):
    client.post("/dang-nhap/", {"phone": "0912000888"})
    html = client.get("/dang-nhap/ma/").content.decode()
    assert html.index('action="/dang-nhap/ma/"') < html.index('action="/dang-nhap/vneid/"')


@pytest.mark.django_db
def test_demo_server_starts_both_simulators_and_points_motcua_at_them():
    from motcua.demo.management.commands.demo_server import identity_simulators_start

    env, sims = identity_simulators_start(vneid_port=0, population_port=0)
    try:
        assert env["OIDC_VNEID_ISSUER"].startswith("http://127.0.0.1:")
        assert env["OIDC_VNEID_CLIENT_ID"] and env["OIDC_VNEID_CLIENT_SECRET"]
        assert env["POPULATION_API_URL"].startswith("http://127.0.0.1:")
        assert env["POPULATION_CLIENT_ID"] and env["POPULATION_CLIENT_SECRET"]
        status, _h, _b = fetch(env["OIDC_VNEID_ISSUER"] + "/.well-known/openid-configuration")
        assert status == 200 and sims[0].consent_page is True
    finally:
        for sim in sims:
            sim.stop()


# --- in Chromium, at 360 px, without JavaScript ---------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("vneid", CONSENT, indirect=True)
def test_vneid_pages_in_a_phone_browser(browser, transactional_db, live_server, vneid,
                                        assert_accessible):
    context, _client = phone_context(browser, live_server.url, javascript=False)
    page = context.new_page()

    def check() -> None:
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(live_server.url + "/dang-nhap/?next=/tai-khoan/")
    check()
    vneid_button = page.locator("main form[action='/dang-nhap/vneid/'] button")
    phone_input = page.locator("#id_phone")
    assert vneid_button.bounding_box()["y"] < phone_input.bounding_box()["y"]  # VNeID first

    # Cancel at VNeID: back to the sign-in page with a plain message.
    vneid_button.click()
    page.wait_for_url(f"{vneid.issuer}/authorize?*")
    check()
    assert page.title().startswith("VNeID (mô phỏng)")
    page.get_by_role("button", name="Hủy").click()
    page.wait_for_url("**/dang-nhap/vneid/ve/**")
    assert page.locator("[role=status]").count() == 1
    check()

    # Agree: signed in as the first-time mother, on the page asked for.
    page.locator("main form[action='/dang-nhap/vneid/'] button").click()
    page.wait_for_url(f"{vneid.issuer}/authorize?*")
    assert page.locator("input[name=person]:checked").get_attribute("value") == vneid.user["sub"]
    page.get_by_role("button", name="Đồng ý và tiếp tục").click()
    page.wait_for_url("**/tai-khoan/")
    assert CitizenProfile.objects.get(citizen_id=MOTHER).identity_verified_at is not None
    context.close()
