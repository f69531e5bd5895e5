"""Help where citizens need it (issue 12): "Cần giúp đỡ?" with the phone and opening
hours of the right one-stop desk on the procedure page, the filing pages and the
citizen's dossier page; and the words citizens stumble on explained where they appear,
escaped safely. The same pages in Chromium with axe: tests/portal/test_help_browser.py."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.test import Client
from django.utils import translation
from django.utils.safestring import mark_safe

from motcua.accounts.models import CitizenProfile
from motcua.catalog.formdefs import form_definition_latest
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.services import Applicant, dossier_file_online
from motcua.filing.drafts import draft_start
from motcua.organizations.models import Agency
from motcua.portal.glossary import TERMS, terms_found
from motcua.portal.help import desk_help, office_hours_text, tel_href
from motcua.portal.templatetags.portal_help import explain_terms

BIRTH = "1.001193"
BATXAT_PHONE = "0214 3880 123"
LAOCAI_PHONE = "0214 3840 456"
PROVINCE_PHONE = "0214 3820 820"
HOURS = "Monday – Friday, 7:00–11:30 and 13:30–17:00"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def desks(agencies) -> dict[str, Agency]:
    """The demo desks with phone numbers (the demo's own agencies have none)."""
    for key, phone in (
        ("batxat_desk", BATXAT_PHONE),
        ("laocai_desk", LAOCAI_PHONE),
        ("province_desk", PROVINCE_PHONE),
    ):
        agencies[key].phone = phone
        agencies[key].save(update_fields=["phone"])
    return agencies


def citizen_of(unit, username: str = "0912345678"):
    user = get_user_model().objects.create_user(username=username)
    CitizenProfile.objects.update_or_create(
        user=user, defaults={"phone": "84" + username[1:], "commune": unit}
    )
    return user


def english(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def help_box(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    found = re.findall(r'<details class="help">.*?</details>', body, re.S)
    assert len(found) == 1, "one help box on the page"
    return re.sub(r"\s+", " ", found[0])


def assert_desk(box: str, phone: str) -> None:
    assert "<summary>Need help?</summary>" in box
    digits = re.sub(r"\D", "", phone)
    assert f'href="tel:+84{digits[1:]}"' in box
    assert f"Call {phone}" in box
    assert HOURS in box


# --- the desk and its hours --------------------------------------------------------------


def test_office_hours_in_plain_words():
    agency = Agency()
    assert office_hours_text(agency) == HOURS
    agency.working_weekdays = "012345"
    agency.morning_start = time(7, 30)
    assert office_hours_text(agency) == "Monday – Saturday, 7:30–11:30 and 13:30–17:00"
    agency.working_weekdays = "024"
    agency.morning_end = agency.afternoon_start = time(12, 0)  # open through lunch
    assert office_hours_text(agency) == "Monday, Wednesday, Friday, 7:30–17:00"


def test_office_hours_in_vietnamese_use_the_weekday_names_people_say():
    with translation.override("vi"):
        text = office_hours_text(Agency())
    assert text.endswith("7:00–11:30 và 13:30–17:00") or text.endswith(
        "7:00–11:30 and 13:30–17:00"  # until `make messages` compiles the new messages
    )


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("0214 3880 123", "tel:+842143880123"),
        ("0214.3880.123 (máy lẻ 12)", "tel:+842143880123"),
        ("+84 912 345 678", "tel:+84912345678"),
        ("1022", ""),
        ("", ""),
    ],
)
def test_tel_links(phone, href):
    assert tel_href(phone) == href


def test_the_desk_of_the_citizens_commune_else_the_province_centre(desks):
    batxat = desks["batxat_desk"].unit
    help_ = desk_help(user=citizen_of(batxat))
    assert help_.agency_name == desks["batxat_desk"].name
    assert help_.phone == BATXAT_PHONE and help_.tel_href == "tel:+842143880123"
    assert help_.hours == HOURS
    assert help_.demo  # the demo's agencies are flagged: the box says "demo data"
    assert desk_help().agency_name == desks["province_desk"].name  # nobody signed in
    stranger = get_user_model().objects.create_user(username="0987654321")  # no profile
    assert desk_help(user=stranger).agency_name == desks["province_desk"].name
    # An explicit desk (a filed dossier's) wins over the profile.
    assert desk_help(user=citizen_of(batxat, "0911111111"), agency=desks["laocai_desk"]).phone == (
        LAOCAI_PHONE
    )


def test_a_desk_without_a_phone_gives_way_to_the_province_centre(desks):
    desks["batxat_desk"].phone = ""
    desks["batxat_desk"].save(update_fields=["phone"])
    help_ = desk_help(unit=desks["batxat_desk"].unit)
    assert help_.agency_name == desks["province_desk"].name and help_.phone == PROVINCE_PHONE


def test_the_commune_service_centre_else_the_peoples_committee(desks):
    desks["batxat_desk"].is_active = False
    desks["batxat_desk"].save(update_fields=["is_active"])
    desks["batxat_committee"].phone = "0214 3880 999"
    desks["batxat_committee"].save(update_fields=["phone"])
    help_ = desk_help(unit=desks["batxat_desk"].unit)
    assert help_.agency_name == desks["batxat_committee"].name


# --- on the pages ---------------------------------------------------------------------------


def test_procedure_page_help_for_a_citizen_of_a_demo_commune_and_for_anyone_else(desks):
    assert_desk(help_box(english().get(f"/thu-tuc/{BIRTH}/")), PROVINCE_PHONE)
    user = citizen_of(desks["batxat_desk"].unit)
    box = help_box(english(user).get(f"/thu-tuc/{BIRTH}/"))
    assert_desk(box, BATXAT_PHONE)
    assert desks["batxat_desk"].name in box


def test_filing_start_page_help(desks):
    assert_desk(help_box(english().get(f"/nop-ho-so/{BIRTH}/")), PROVINCE_PHONE)
    user = citizen_of(desks["laocai_desk"].unit)
    assert_desk(help_box(english(user).get(f"/nop-ho-so/{BIRTH}/")), LAOCAI_PHONE)


def test_check_page_help_follows_the_address_typed_in_the_form(desks):
    # The profile says Lào Cai, the form's address says Bát Xát: the dossier will go to
    # Bát Xát's desk, so that is the desk to call.
    user = citizen_of(desks["laocai_desk"].unit)
    version = procedure_get_current(code=BIRTH)
    form = form_definition_latest(procedure=version.procedure)
    address_page = form.definition["applicant"]["address"]
    draft = draft_start(
        citizen=user, procedure_version=version, form_definition=form,
        answers={address_page: {"commune": desks["batxat_desk"].unit.code, "street": "Thôn 1"}},
    )
    box = help_box(english(user).get(f"/nop-ho-so/{BIRTH}/{draft.pk}/kiem-tra/"))
    assert_desk(box, BATXAT_PHONE)
    # Without an address answer, the profile's commune.
    other = draft_start(citizen=user, procedure_version=version, form_definition=form, answers={})
    box = help_box(english(user).get(f"/nop-ho-so/{BIRTH}/{other.pk}/kiem-tra/"))
    assert_desk(box, LAOCAI_PHONE)


def test_dossier_page_help_is_the_desk_that_has_the_dossier(desks):
    user = citizen_of(desks["laocai_desk"].unit)
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=Applicant(name="Lò Thị Mai", birth_date=date(1990, 5, 17), phone="0912345678"),
        receiving_agency=desks["batxat_desk"],
        citizen=user,
    )
    box = help_box(english(user).get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert_desk(box, BATXAT_PHONE)
    assert desks["batxat_desk"].name in box


def test_the_help_box_is_one_partial_everywhere():
    root = Path(settings.BASE_DIR) / "motcua" / "portal" / "templates" / "portal"
    for name in ("procedure.html", "filing/start.html", "filing/check.html", "mine/detail.html"):
        assert "{% desk_help_box" in (root / name).read_text(), name


# --- words explained ------------------------------------------------------------------------


def render(source: str, **context) -> str:
    return Template("{% load portal_help %}" + source).render(Context(context))


def test_the_filter_escapes_what_it_is_given():
    out = explain_terms('<script>alert("bản sao")</script> & bản sao <b>')
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;" in out and "&amp;" in out and "&lt;b&gt;" in out
    assert out.count('class="term"') == 1  # the first "bản sao" only (inside the quotes)
    rendered = render("{{ text|explain_terms }}", text="<img src=x onerror=alert(1)> bản chính")
    assert "<img" not in rendered and "&lt;img" in rendered
    assert explain_terms(None) == ""


def test_text_already_marked_safe_is_left_alone():
    html = mark_safe('<a href="/x" title="bản sao">bản sao</a>')
    assert explain_terms(html) is html


def test_the_first_occurrence_of_each_term_the_longest_match_whole_words_only():
    out = explain_terms("Bản sao chứng thực giấy khai sinh, bản sao sổ hộ khẩu, bản sao khác")
    assert '<a class="term" href="#tu-ngu-ban-sao-chung-thuc"' in out
    assert 'href="#tu-ngu-chung-thuc"' not in out  # inside the longer term
    assert out.count('href="#tu-ngu-ban-sao"') == 1
    assert ">Bản sao chứng thực</a>" in out  # the text as written
    assert 'aria-describedby="tu-ngu-ban-sao-giai-thich"' in out
    assert "class=" not in explain_terms("VNeIDs tờ khaiX")  # not inside longer words
    # Composed or decomposed, the same word.
    assert 'href="#tu-ngu-thuong-tru"' in explain_terms(unicodedata.normalize("NFD", "thường trú"))
    # "một phần" alone is everyday Vietnamese; only the service level is a term.
    assert "class=" not in explain_terms("một phần diện tích")
    assert 'href="#tu-ngu-mot-phan"' in explain_terms("Dịch vụ công trực tuyến một phần")


def test_every_term_has_its_words_and_explanation():
    slugs = [term.slug for term in TERMS]
    assert len(slugs) == len(set(slugs))
    for term in TERMS:
        assert term.words and str(term.explanation).strip()
        assert re.fullmatch(r"[a-z0-9-]+", term.slug)
        for word in term.words:  # each spelling finds its own term
            assert [t.slug for _s, _e, t in terms_found(word)] == [term.slug], word
    for needed in (
        "định danh", "số định danh cá nhân", "CSDLQG", "Cơ sở dữ liệu quốc gia về dân cư",
        "bản chính", "bản sao", "bản sao chứng thực", "chứng thực", "trích lục", "VNeID",
        "hộ tịch", "thường trú", "tạm trú", "lệ phí", "phiếu hẹn", "bổ sung hồ sơ",
        "toàn trình", "trực tuyến một phần",
    ):
        assert list(terms_found(needed)), needed


def test_the_glossary_block_lists_each_marked_term_once_after_its_content():
    out = render(
        "{% glossary %}<p>{{ a|explain_terms }}</p><p>{{ b|explain_terms }}</p>{% endglossary %}",
        a="Bản sao giấy khai sinh <i>", b="bản sao, lệ phí",
    )
    content, _sep, words = out.partition('<section class="glossary"')
    assert 'href="#tu-ngu-ban-sao"' in content and 'href="#tu-ngu-le-phi"' in content
    assert words.count('<dt id="tu-ngu-ban-sao"') == 1
    assert words.index("tu-ngu-ban-sao") < words.index("tu-ngu-le-phi")  # order of the page
    assert "Words explained" in words
    assert '<dd id="tu-ngu-ban-sao-giai-thich">A photocopy' in words
    # Nothing marked, nothing added.
    assert render("{% glossary %}<p>{{ a|explain_terms }}</p>{% endglossary %}", a="Xin chào") == (
        "<p>Xin chào</p>"
    )


def test_every_portal_template_using_the_filter_lists_the_words():
    root = Path(settings.BASE_DIR) / "motcua"
    using = [p for p in root.glob("*/templates/**/*.html") if "explain_terms" in p.read_text()]
    assert len(using) >= 2
    sources = {path: path.read_text() for path in root.glob("*/templates/**/*.html")}
    for path in using:
        source = sources[path]
        if path.name.startswith("_"):  # a partial: every page including it lists the words
            name = str(path).split("/templates/", 1)[1]
            includers = [s for s in sources.values() if f'"{name}"' in s]
            assert includers and all("{% glossary %}" in s for s in includers), path
            continue
        assert "{% glossary %}" in source and "{% endglossary %}" in source, path


def test_procedure_page_explains_the_papers_words(desks):
    body = english().get(f"/thu-tuc/{BIRTH}/").content.decode()
    # "Tờ khai đăng ký khai sinh (bản chính)" in the demo catalog: the paper's name, and
    # (in Vietnamese) the form it is brought in; the catalog's notes name the CSDLQG.
    assert '<a class="term" href="#tu-ngu-to-khai"' in body
    assert '<a class="term" href="#tu-ngu-csdlqg"' in body
    words = body.split('<section class="glossary"')[1]
    assert "The form with your details" in words
    vietnamese = Client().get(f"/thu-tuc/{BIRTH}/").content.decode()
    assert '<a class="term" href="#tu-ngu-ban-chinh"' in vietnamese
    assert 'id="tu-ngu-ban-chinh-giai-thich"' in vietnamese
    # Every link has its explanation on the page.
    for slug in re.findall(r'href="#tu-ngu-([a-z0-9-]+)"', body):
        assert f'id="tu-ngu-{slug}"' in body and f'id="tu-ngu-{slug}-giai-thich"' in body


def test_filing_start_page_explains_the_words_of_what_you_need(desks):
    body = english().get(f"/nop-ho-so/{BIRTH}/").content.decode()
    # "Số định danh (số căn cước) của cha, mẹ cháu bé" in the form's list of needs.
    assert '<a class="term" href="#tu-ngu-so-dinh-danh"' in body
    assert 'id="tu-ngu-so-dinh-danh-giai-thich"' in body
