"""procedure_search: ranking, tolerance, validation and the lazily rebuilt index."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.catalog import search
from motcua.catalog.models import Procedure
from motcua.catalog.search import (
    MAX_QUERY_LENGTH,
    ProcedureHit,
    SearchQueryError,
    SearchResult,
    procedure_search,
    procedures_by_field,
    validate_query,
)
from motcua.catalog.services import catalog_revision_bump
from motcua.core.text import fold

pytestmark = pytest.mark.django_db

Codes = Callable[..., list[str]]
KHAI_SINH = "1.001193"
CATALOG = [
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch", ["commune"], "full"),
    ("1.004884", "Đăng ký lại khai sinh", "Hộ tịch", ["commune"], "partial"),
    (
        "2.000635",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "Hộ tịch",
        ["province", "commune"],
        "full",
    ),
    ("1.000656", "Đăng ký khai tử", "Hộ tịch", ["commune"], "full"),
    ("1.004222", "Đăng ký thường trú", "Đăng ký, quản lý cư trú", ["commune"], "full"),
    ("2.000908", "Cấp bản sao từ sổ gốc", "Chứng thực", ["province", "commune"], "full"),
    ("1.002185", "Công bố sản phẩm mỹ phẩm", "Dược phẩm", ["province"], "full"),
]


@pytest.mark.parametrize(
    "query",
    [
        "Đăng ký khai sinh",
        unicodedata.normalize("NFD", "Đăng ký khai sinh"),
        "dang ky khai sinh",
        "DANG KY KHAI SINH",
        "dang ki khai sinh",
        "đăng kí khai sinh",
        "khai sinh",
        "khai xinh",  # typo in the last word
        "dang ky khai xinh",
        "dang kys khai sinh",  # typo: ký typed with telex residue
        "dabg ky khai sinh",
        "dang ky khai si",  # still typing
        "1.001193",
        "1001193",
        "  đăng   ký,  khai sinh!  ",
    ],
)
def test_birth_registration_comes_first(catalog: object, codes: Codes, query: str) -> None:
    assert codes(query)[0] == KHAI_SINH


def test_shorter_name_beats_longer_names_holding_the_same_words(
    catalog: object, codes: Codes
) -> None:
    found = codes("khai sinh")
    assert found.index(KHAI_SINH) < found.index("1.004884")  # Đăng ký lại khai sinh
    assert found.index(KHAI_SINH) < found.index("2.000635")  # Cấp bản sao ... Giấy khai sinh
    assert set(found[:5]) == {"1.001193", "1.004884", "1.001695", "1.000689", "2.000635"}


def test_phrase_beats_scattered_words(catalog: object, codes: Codes) -> None:
    found = codes("dang ky khai sinh")
    # "Đăng ký lại khai sinh" holds every word but not the phrase.
    assert found.index("1.001695") < found.index("1.004884")
    assert found.index("1.000689") < found.index("1.004884")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khai tu", "1.000656"),
        ("đăng ký kết hôn", "1.000894"),
        ("ket hon", "1.000894"),
        ("dang ky thuong tru", "1.004222"),
        ("dang ky thuong tr", "1.004222"),
        ("tam tru", "1.004194"),
        ("tạm vắng", "1.003677"),
        ("thuỷ lợi", "1.003867"),  # old tone placement against "thuỷ" in the name
        ("thủy lợi", "1.003867"),  # new placement
        ("thuy loi", "1.003867"),
        ("hoà giải viên", "2.000930"),  # name is written "hòa"
        ("hoa giai vien", "2.000930"),
        ("mĩ phẩm", "1.002185"),  # name is written "mỹ"
        ("mi pham", "1.002185"),
        ("chung thuc chu ki", "2.000884"),
        ("giay phep xay dung", "1.013225"),
        ("giay phep xay dumg", "1.013225"),  # typo
        ("can cuoc", "2.001194"),
        ("2.000908", "2.000908"),
        ("ban sao so goc", "2.000908"),
        ("ben thuy noi dia", "1.009454"),
    ],
)
def test_finds(catalog: object, codes: Codes, query: str, expected: str) -> None:
    assert codes(query)[0] == expected


def test_last_word_is_completed_until_a_space_follows(catalog: object) -> None:
    typing = procedure_search(query="ket h").items[0]
    finished = procedure_search(query="ket h ").items[0]
    assert typing.code == finished.code == "1.000894"  # Đăng ký kết hôn
    assert typing.score > finished.score  # "h" counted as "hôn" only while typing


def test_exact_code_is_first_even_when_words_match_others(catalog: object) -> None:
    result = procedure_search(query="2.000635")
    assert result.items[0].code == "2.000635"
    assert result.total == 1


def test_procedures_without_a_version_in_force_are_not_found(catalog: object, codes: Codes) -> None:
    assert "9.999999" not in codes("khai sinh ban nhap", limit=50)
    assert "9.999999" not in codes("9.999999")
    assert all(hit.code != "9.999999" for _, hits in procedures_by_field() for hit in hits)


def test_fuzzy_matches_rank_below_exact_ones(catalog: object) -> None:
    exact = procedure_search(query="dang ky khai sinh").items[0]
    typo = procedure_search(query="dang ky khai xinh").items[0]
    assert exact.code == typo.code == KHAI_SINH
    assert typo.score < exact.score


def test_unknown_words_find_nothing(catalog: object) -> None:
    assert procedure_search(query="zzzzqqq").total == 0
    assert procedure_search(query="!!!").total == 0


def test_hit_carries_what_the_portal_shows(catalog: object) -> None:
    hit = procedure_search(query="Cấp bản sao Trích lục hộ tịch").items[0]
    assert isinstance(hit, ProcedureHit)
    assert hit.code == "2.000635"
    assert hit.name == "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh"
    assert hit.field == "Hộ tịch"
    assert hit.levels == ["province", "commune"]
    assert hit.level == "commune"  # the lowest level a citizen can go to
    assert hit.online_level == "full"
    assert hit.url == "/thu-tuc/2.000635/"
    assert hit.score > 0
    central = procedure_search(query="the can cuoc").items[0]
    assert central.level == "province"


def test_hits_are_copies(catalog: object) -> None:
    hit = procedure_search(query="khai sinh").items[0]
    hit.levels.append("central")
    assert procedure_search(query="khai sinh").items[0].levels == ["commune"]


def test_paging_slices_one_ranking(catalog: object) -> None:
    full = procedure_search(query="dang ky", limit=50)
    assert isinstance(full, SearchResult)
    assert full.total == len(full.items) >= 9
    pages = [procedure_search(query="dang ky", limit=3, offset=o) for o in range(0, 12, 3)]
    assert [h.code for p in pages for h in p.items] == [h.code for h in full.items][:12]
    assert all(p.total == full.total for p in pages)
    assert procedure_search(query="dang ky", offset=1000).items == []
    with pytest.raises(ValueError):
        procedure_search(query="dang ky", limit=-1)


def test_results_are_ordered_by_score(catalog: object) -> None:
    items = procedure_search(query="cap giay phep", limit=50).items
    scores = [h.score for h in items]
    assert scores == sorted(scores, reverse=True)


def test_empty_query_lists_everything_by_field_then_name(catalog: list[object]) -> None:
    result = procedure_search(query="   ", limit=50)
    assert result.total == len(catalog)
    keys = [(fold(h.field), fold(h.name)) for h in result.items]
    assert keys == sorted(keys)
    grouped = [h.code for _, hits in procedures_by_field() for h in hits]
    assert [h.code for h in result.items] == grouped


def test_fields_sort_the_vietnamese_way(catalog: object) -> None:
    fields = [name for name, _ in procedures_by_field()]
    # Đ sorts with D, not after Z as raw code points would have it.
    assert fields.index("Chứng thực") < fields.index("Đăng ký, quản lý cư trú")
    assert fields.index("Đăng ký, quản lý cư trú") < fields.index("Hộ tịch")
    for _, hits in procedures_by_field():
        names = [fold(h.name) for h in hits]
        assert names == sorted(names)


def test_index_follows_catalog_revision(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    assert "1.001777" not in codes("dao tao lai xe")
    add("1.001777", "Cấp Giấy phép đào tạo lái xe", "Đường bộ", ["province"], "full")
    # Not visible until the write bumps the revision: the index is cached.
    assert "1.001777" not in codes("dao tao lai xe")
    catalog_revision_bump()
    assert codes("dao tao lai xe")[0] == "1.001777"


def test_index_built_in_a_rolled_back_transaction_is_not_reused(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        add("1.001777", "Cấp Giấy phép đào tạo lái xe", "Đường bộ", ["province"], "full")
        catalog_revision_bump()
        assert codes("dao tao lai xe")[0] == "1.001777"  # indexed, then rolled back
        raise Abort
    # The next committed change reuses the revision number; its moment differs.
    add("1.000703", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", "Đường bộ")
    catalog_revision_bump()
    assert "1.001777" not in codes("dao tao lai xe")
    assert codes("kinh doanh van tai")[0] == "1.000703"


def test_index_is_built_once_per_revision(catalog: object, monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    real_build = search._build_index

    def counting_build(revision: int) -> search._Index:
        builds.append(revision)
        return real_build(revision)

    monkeypatch.setattr(search, "_build_index", counting_build)
    for query in ("khai sinh", "ket hon", "", "1.001193"):
        procedure_search(query=query)
    procedures_by_field()
    assert len(builds) == 1
    catalog_revision_bump()
    procedure_search(query="khai sinh")
    assert len(builds) == 2 and builds[1] > builds[0]


def test_concurrent_searches_share_one_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    # gunicorn gthread: many threads see the new revision at once; one rebuilds.
    builds: list[int] = []
    revision = [1]

    def slow_build(rev: tuple[int, None]) -> search._Index:
        builds.append(rev[0])
        time.sleep(0.05)
        return search._Index(
            revision=rev,
            docs=[],
            postings={},
            vocabulary=[],
            fuzzy_terms=[],
            fuzzy_originals=[],
        )

    monkeypatch.setattr(search, "_build_index", slow_build)
    monkeypatch.setattr(search, "catalog_revision_key", lambda: (revision[0], None))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                assert procedure_search(query="khai sinh").total == 0
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for expected_builds, rev in ((1, 1), (2, 2)):
        revision[0] = rev
        threads = [threading.Thread(target=worker) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert builds == list(range(1, expected_builds + 1))


def test_results_do_not_depend_on_creation_order(
    codes: Codes, add: Callable[..., Procedure]
) -> None:
    from motcua.catalog.models import ProcedureVersion, Sector

    for row in reversed(CATALOG):
        add(*row)
    catalog_revision_bump()
    reversed_order = [codes(q) for q in ("khai sinh", "dang ky", "cap", "xinh")]
    Procedure.objects.update(current=None)
    ProcedureVersion.objects.all().delete()
    Procedure.objects.all().delete()
    Sector.objects.all().delete()
    for row in CATALOG:
        add(*row)
    catalog_revision_bump()
    assert [codes(q) for q in ("khai sinh", "dang ky", "cap", "xinh")] == reversed_order


class TestValidateQuery:
    def test_returns_trimmed_nfc(self) -> None:
        nfd = unicodedata.normalize("NFD", " Đăng ký ")
        assert validate_query(nfd) == "Đăng ký"
        assert validate_query("khai\tsinh\n") == "khai\tsinh"
        assert validate_query("") == ""

    def test_length_is_counted_in_composed_characters(self) -> None:
        assert validate_query("ế" * 200) == "ế" * 200
        assert validate_query(unicodedata.normalize("NFD", "ế" * 200))  # 600 code points
        with pytest.raises(SearchQueryError, match="200"):
            validate_query("a" * 201)
        with pytest.raises(SearchQueryError):
            validate_query("khai sinh " * 100)

    @pytest.mark.parametrize(
        "bad",
        ["khai\x00sinh", "\x07", "khai\x1bsinh", "khai\u200bsinh", "\ufeffkhai", "a\x7f"],
    )
    def test_control_characters_are_refused(self, bad: str) -> None:
        with pytest.raises(SearchQueryError) as caught:
            validate_query(bad)
        assert isinstance(caught.value, ValueError)
        assert str(caught.value)

    def test_search_validates_too(self) -> None:
        with pytest.raises(SearchQueryError):
            procedure_search(query="x" * 1000)
        with pytest.raises(SearchQueryError):
            procedure_search(query="khai\x00sinh")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.text(max_size=MAX_QUERY_LENGTH).filter(lambda q: not _has_control(q)),
    limit=st.integers(0, 50),
    offset=st.integers(0, 30),
)
def test_any_valid_query_searches(catalog: object, query: str, limit: int, offset: int) -> None:
    result = procedure_search(query=query, limit=limit, offset=offset)
    assert len(result.items) <= limit
    assert result.total >= len(result.items)
    scores = [hit.score for hit in result.items]
    assert scores == sorted(scores, reverse=True)
    # NFC and NFD spellings of one query give the same answer.
    again = procedure_search(
        query=unicodedata.normalize("NFD", query)[:MAX_QUERY_LENGTH], limit=limit, offset=offset
    )
    if len(unicodedata.normalize("NFD", query)) <= MAX_QUERY_LENGTH:
        assert again == result


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\t\n\r" for ch in text)


def test_procedures_missing_a_word_are_dropped_when_others_hold_them_all(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("2.000720", "Đăng ký thành lập hộ kinh doanh", "Hộ kinh doanh")
    catalog_revision_bump()
    # "xinh" is one edit from "kinh" as well as from "sinh".
    assert "2.000720" not in codes("khai xinh", limit=50)
    assert codes("khai xinh")[0] == "1.001193"


def test_longer_queries_forgive_a_typo_that_makes_another_real_word(
    catalog: object, codes: Codes, add: Callable[..., Procedure]
) -> None:
    add("1.002755", "Gia hạn tạm trú", "Đăng ký, quản lý cư trú")
    add("1.000001", "Gia hạn giấy phép tạm thời của ban quản trị", "Nhà ở")
    catalog_revision_bump()
    assert "1.002755" in codes("gia han tam tri")
