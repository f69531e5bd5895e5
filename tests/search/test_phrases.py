"""The vocabulary of everyday names: its loader, its admin and how the search uses it,
over the small look-alike catalog of conftest.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from motcua.catalog.models import Procedure, SearchPhrase
from motcua.catalog.search import procedure_search, procedure_suggestions
from motcua.catalog.selectors import catalog_revision
from motcua.catalog.services import (
    CatalogFileError,
    catalog_revision_bump,
    search_phrases_load,
)

pytestmark = pytest.mark.django_db

Codes = Callable[..., list[str]]
KHAI_SINH = "1.001193"
THUONG_TRU = "1.004222"


def phrase(text: str, *, code: str = "", words: str = "", active: bool = True) -> SearchPhrase:
    """Store one everyday name and bump the revision, as the loader and the admin do."""
    row = SearchPhrase.objects.create(
        phrase=text,
        procedure=Procedure.objects.get(code=code) if code else None,
        official_words=words,
        active=active,
    )
    catalog_revision_bump()
    return row


# --- the loader -----------------------------------------------------------------


def test_loader_adds_new_phrases_once_and_bumps_the_revision(catalog: object) -> None:
    entries = {
        "phrases": [
            {"phrase": "làm giấy khai sinh", "procedure": KHAI_SINH},
            {"phrase": "birth registration", "procedure": KHAI_SINH, "language": "en"},
            {"phrase": "nhập khẩu", "words": "đăng ký thường trú", "note": "desk word"},
        ]
    }
    before = catalog_revision()
    report = search_phrases_load(entries=entries)
    assert (report.created, report.unchanged, report.skipped, report.unmatched) == (3, 0, [], [])
    assert catalog_revision() == before + 1
    row = SearchPhrase.objects.get(phrase="birth registration")
    assert (row.procedure.code, row.language, row.active) == (KHAI_SINH, "en", True)
    assert SearchPhrase.objects.get(phrase="nhập khẩu").note == "desk word"

    again = search_phrases_load(entries=entries)
    assert (again.created, again.unchanged) == (0, 3)
    assert catalog_revision() == before + 1  # nothing new: the index stays
    assert SearchPhrase.objects.count() == 3


def test_loader_keeps_what_the_administrator_changed(catalog: object) -> None:
    entries = [{"phrase": "nhập khẩu", "words": "đăng ký thường trú"}]
    search_phrases_load(entries=entries)
    SearchPhrase.objects.update(active=False, note="not used in this province")
    search_phrases_load(entries=entries)
    row = SearchPhrase.objects.get()
    assert (row.active, row.note) == (False, "not used in this province")


def test_loader_skips_unknown_procedures_and_reports_words_no_name_holds(
    catalog: object,
) -> None:
    report = search_phrases_load(
        entries=[
            {"phrase": "đăng ký xe máy", "procedure": "1.999999"},
            {"phrase": "giấy hộ nghèo", "words": "công nhận hộ nghèo"},
            # Every word is in "Đăng ký khai sinh có yếu tố nước ngoài", not in this order.
            {"phrase": "nước ngoài khai sinh", "words": "nước ngoài đăng ký khai sinh"},
        ]
    )
    assert report.skipped == [("đăng ký xe máy", "1.999999")]
    assert report.unmatched == [
        ("giấy hộ nghèo", "công nhận hộ nghèo"),
        ("nước ngoài khai sinh", "nước ngoài đăng ký khai sinh"),
    ]
    # Words are kept for the day the catalog holds the procedure; a missing code is not.
    assert sorted(SearchPhrase.objects.values_list("phrase", flat=True)) == [
        "giấy hộ nghèo",
        "nước ngoài khai sinh",
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"items": []}, "list of phrases"),
        ([{"phrase": "cắt khẩu"}], "either 'procedure' or 'words'"),
        ([{"phrase": "cắt khẩu", "procedure": KHAI_SINH, "words": "x"}], "either"),
        ([{"phrase": "  ", "words": "xóa đăng ký thường trú"}], "'phrase'"),
        ([{"phrase": "cắt khẩu", "procedure": "khai sinh"}], "national code"),
        ([{"phrase": "cắt khẩu", "words": "!!"}], "'words'"),
        ([{"phrase": "cắt khẩu", "words": "xóa", "language": "fr"}], "'language'"),
        ([{"phrase": "cắt khẩu", "words": "xóa", "colour": "red"}], "colour"),
        (["cắt khẩu"], "object"),
    ],
)
def test_a_malformed_file_is_refused_whole(catalog: object, entries: object, message: str) -> None:
    good = {"phrase": "làm giấy khai sinh", "procedure": KHAI_SINH}
    if isinstance(entries, list):
        entries = [good, *entries]
    with translation.override("en"), pytest.raises(CatalogFileError, match=message):
        search_phrases_load(entries=entries)
    assert not SearchPhrase.objects.exists()


def test_a_phrase_stands_for_a_procedure_or_for_official_words(catalog: object) -> None:
    khai_sinh = Procedure.objects.get(code=KHAI_SINH)
    with pytest.raises(ValidationError):
        SearchPhrase(phrase="khai sinh cho con").full_clean()
    with pytest.raises(ValidationError):
        SearchPhrase(
            phrase="khai sinh cho con", procedure=khai_sinh, official_words="đăng ký khai sinh"
        ).full_clean()
    with pytest.raises(ValidationError):
        SearchPhrase(phrase="!!", procedure=khai_sinh).full_clean()
    SearchPhrase(phrase="khai sinh cho con", procedure=khai_sinh).full_clean()
    SearchPhrase(phrase="cắt khẩu", official_words="xóa đăng ký thường trú").full_clean()


# --- the search -------------------------------------------------------------------


def test_a_phrase_puts_its_procedure_first(catalog: object, codes: Codes) -> None:
    assert codes("nhập khẩu")[:1] != [THUONG_TRU]
    phrase("nhập khẩu", code=THUONG_TRU)
    assert codes("nhập khẩu")[0] == THUONG_TRU
    assert codes("nhap khau")[0] == THUONG_TRU
    assert codes("nhập khẩuu")[0] == THUONG_TRU  # a typo in a word no procedure has
    assert codes("xin nhập khẩu cho vợ")[0] == THUONG_TRU  # inside a longer request
    assert codes("nhap kh")[0] == THUONG_TRU  # still typing


def test_official_words_reach_the_procedures_whose_names_hold_them(
    catalog: object, codes: Codes
) -> None:
    phrase("birth registration", words="đăng ký khai sinh")
    found = codes("birth registration")
    assert found[0] == KHAI_SINH
    # The look-alikes are found too, below the plain one ...
    assert {"1.004884", "1.001695", "1.000689"} <= set(found)
    # ... and the rest of the query chooses among them.
    assert codes("birth registration nước ngoài")[0] == "1.001695"


def test_inactive_phrases_are_not_searched(catalog: object, codes: Codes) -> None:
    phrase("nhập khẩu", code=THUONG_TRU, active=False)
    assert codes("nhập khẩu")[:1] != [THUONG_TRU]


def test_the_longer_of_two_nested_phrases_wins(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("1.000703", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", "Đường bộ")
    add("2.000720", "Đăng ký thành lập hộ kinh doanh", "Hộ kinh doanh")
    catalog_revision_bump()
    phrase("giấy phép kinh doanh", words="đăng ký thành lập hộ kinh doanh")
    phrase("giấy phép kinh doanh vận tải", code="1.000703")
    assert codes("giấy phép kinh doanh")[0] == "2.000720"
    assert codes("xin giấy phép kinh doanh vận tải")[0] == "1.000703"


def test_official_names_typed_in_full_are_not_overridden(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("2.000720", "Đăng ký thành lập hộ kinh doanh", "Hộ kinh doanh")
    add("8.000024", "Cấp giấy phép kinh doanh karaoke", "Văn hóa")
    add("1.002755", "Gia hạn tạm trú", "Đăng ký, quản lý cư trú")
    catalog_revision_bump()
    phrase("giấy phép kinh doanh", words="đăng ký thành lập hộ kinh doanh")
    phrase("tạm trú cho sinh viên", code="1.004194")
    assert codes("giấy phép kinh doanh karaoke")[0] == "8.000024"
    assert codes("tạm trú cho sinh viên")[0] == "1.004194"
    assert codes("gia hạn tạm trú cho sinh viên")[0] == "1.002755"


def test_a_phrase_whose_procedure_is_not_offered_says_so(catalog: object) -> None:
    phrase("giấy hộ nghèo", words="công nhận hộ nghèo")
    result = procedure_search(query="xin giấy hộ nghèo cho mẹ")
    assert (result.total, result.unavailable) == (0, ("công nhận hộ nghèo",))
    assert procedure_search(query="khai sinh").unavailable == ()


# --- the plain procedure and its look-alikes --------------------------------------


def test_plain_procedure_first_unless_the_query_names_the_look_alike(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("8.000005", "Đăng ký khai sinh lưu động", "Hộ tịch")
    add("9.000001", "Đăng ký khai sinh (liên thông)", "Hộ tịch")
    add("9.000002", "Cấp lại đăng ký khai sinh cho người nước ngoài", "Hộ tịch")
    catalog_revision_bump()
    for query in ("khai sinh", "đăng ký khai sinh", "dang ky khai sinh cho be"):
        found = codes(query, limit=20)
        assert found[0] == KHAI_SINH, query
        assert found.index(KHAI_SINH) < found.index("8.000005")
    assert codes("khai sinh lưu động")[0] == "8.000005"
    assert codes("khai sinh luu dong")[0] == "8.000005"
    assert codes("khai sinh lại")[0] == "1.004884"
    assert codes("khai sinh liên thông")[0] == "9.000001"
    assert codes("khai sinh nước ngoài")[0] == "1.001695"  # the shorter of the two


def test_a_look_alike_is_not_named_by_a_word_spelled_otherwise(
    codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("1.000656", "Đăng ký khai tử", "Hộ tịch")
    add("9.000003", "Huỷ bỏ đăng ký khai tử", "Hộ tịch")
    catalog_revision_bump()
    # "bố" (father) folds to "bo" like the "bỏ" of "Huỷ bỏ".
    assert codes("đăng ký khai tử cho bố")[0] == "1.000656"
    assert codes("huỷ bỏ đăng ký khai tử")[0] == "9.000003"


# --- suggestions for a search that found nothing -------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("khaisinh", KHAI_SINH),  # words run together
        ("dangkykethon", "1.000894"),
        ("kethonn", "1.000894"),  # a letter typed twice
        ("chungthuc chuky", "2.000884"),
    ],
)
def test_suggestions_for_a_search_that_found_nothing(
    catalog: object, query: str, expected: str
) -> None:
    assert procedure_search(query=query).total == 0
    assert [hit.code for hit in procedure_suggestions(query=query)][:1] == [expected]


def test_suggestions_from_an_everyday_name_typed_badly(catalog: object) -> None:
    phrase("cắt khẩu", words="đăng ký thường trú")
    assert procedure_search(query="cattt khauuu").total == 0
    assert [hit.code for hit in procedure_suggestions(query="cattt khauuu")][:1] == [THUONG_TRU]


def test_no_suggestion_for_gibberish(catalog: object) -> None:
    assert procedure_suggestions(query="qwzxqwzx") == []
    assert procedure_suggestions(query="   ") == []
    assert len(procedure_suggestions(query="khaisinh", limit=2)) == 2


# --- the administrator edits the vocabulary ------------------------------------------


def test_an_admin_edit_of_a_phrase_changes_the_results(
    catalog: object, codes: Codes, admin_client
) -> None:
    assert codes("cắt khẩu")[:1] != [THUONG_TRU]
    response = admin_client.post(
        "/admin/catalog/searchphrase/add/",
        {
            "phrase": "cắt khẩu",
            "procedure": "",
            "official_words": "đăng ký thường trú",
            "language": "vi",
            "note": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert codes("cắt khẩu")[0] == THUONG_TRU  # the revision moved: the index is rebuilt

    row = SearchPhrase.objects.get(phrase="cắt khẩu")
    page = admin_client.get(f"/admin/catalog/searchphrase/{row.pk}/change/")
    assert "Đăng ký thường trú" in page.content.decode()  # what it finds now
    response = admin_client.post(
        f"/admin/catalog/searchphrase/{row.pk}/change/",
        {
            "phrase": "cắt khẩu",
            "procedure": Procedure.objects.get(code="1.004194").pk,
            "official_words": "",
            "language": "vi",
            "note": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert codes("cắt khẩu")[0] == "1.004194"

    response = admin_client.post(
        "/admin/catalog/searchphrase/",
        {"action": "make_inactive", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert codes("cắt khẩu")[:1] != ["1.004194"]

    admin_client.post(f"/admin/catalog/searchphrase/{row.pk}/delete/", {"post": "yes"})
    assert not SearchPhrase.objects.exists()


def test_the_admin_lists_and_filters_phrases(catalog: object, admin_client) -> None:
    phrase("cắt khẩu", words="đăng ký thường trú")
    phrase("birth registration", code=KHAI_SINH)
    listing = admin_client.get("/admin/catalog/searchphrase/", {"q": "khẩu"}).content.decode()
    assert "cắt khẩu" in listing and "birth registration" not in listing
    by_target = admin_client.get("/admin/catalog/searchphrase/", {"target": "procedure"})
    assert "birth registration" in by_target.content.decode()
    assert "cắt khẩu" not in by_target.content.decode()
