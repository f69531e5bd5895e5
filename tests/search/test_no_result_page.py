"""The citizen's search page when nothing matches: the closest procedures and the
province's one-stop desk to call (Lào Cai demo)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

pytestmark = pytest.mark.usefixtures("demo")

PHONE = "0214 3 840 840"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def desk(agencies: dict):
    """The provincial service centre with a phone number (the demo's have none)."""
    centre = agencies["province_desk"]
    centre.phone = PHONE
    centre.address = "Đại lộ Trần Hưng Đạo, phường Lào Cai"
    centre.save(update_fields=["phone", "address"])
    return centre


def test_words_run_together_get_suggestions_and_the_desk(client, desk) -> None:
    response = client.get("/tim-kiem/", {"q": "khaisinh"})
    assert response.status_code == 200
    assert response.context["result"].total == 0
    assert [hit.code for hit in response.context["suggestions"]][:1] == ["1.001193"]
    body = text(response)
    assert '<html lang="vi">' in body
    assert 'href="/thu-tuc/1.001193/">Đăng ký khai sinh</a>' in body
    assert "Trung tâm Phục vụ hành chính công tỉnh Lào Cai" in body
    assert f'href="tel:+84{PHONE.replace(" ", "")[1:]}"' in body and PHONE in body
    assert "Đại lộ Trần Hưng Đạo" in body
    assert "Xem tất cả thủ tục theo lĩnh vực" in body


def test_gibberish_gets_the_desk_without_suggestions(client, desk) -> None:
    response = client.get("/tim-kiem/", {"q": "qwzxqwzx"})
    assert response.status_code == 200
    assert response.context["suggestions"] == []
    body = text(response)
    assert PHONE in body
    assert 'aria-labelledby="suggestions"' not in body


def test_a_procedure_not_offered_here_is_named_and_the_desk_shown(client, desk) -> None:
    response = client.get("/tim-kiem/", {"q": "xin giấy hộ nghèo cho mẹ"})
    assert response.status_code == 200
    body = text(response)
    assert "“công nhận hộ nghèo, hộ cận nghèo”" in body
    assert "Đăng ký nhận cha, mẹ, con" not in body
    assert PHONE in body


def test_a_hit_found_by_an_everyday_name_says_so_and_no_desk_box(client, desk) -> None:
    response = client.get("/tim-kiem/", {"q": "cắt khẩu"})
    assert response.status_code == 200
    assert response.context["result"].items[0].code == "9.900062"
    assert "desk" not in response.context
    body = text(response)
    first = body.index('href="/thu-tuc/9.900062/">Xóa đăng ký thường trú</a>')
    assert body.index("“cắt khẩu”", first) > first
    assert PHONE not in body


def test_a_desk_without_phone_is_still_named(client, agencies) -> None:
    agencies["province_desk"].phone = ""
    agencies["province_desk"].save(update_fields=["phone"])
    body = text(client.get("/tim-kiem/", {"q": "qwzxqwzx"}))
    assert "Trung tâm Phục vụ hành chính công tỉnh Lào Cai" in body
    assert "tel:" not in body


@pytest.mark.parametrize(
    "query",
    ["khaisinh  ", "1.999999", "!!!", "đ", "x" * 200, "cat kh", "giấy hộ nghèo", "sổ đỏ " * 30],
)
def test_odd_queries_never_fail(client, desk, query: str) -> None:
    response = client.get("/tim-kiem/", {"q": query[:200]})
    assert response.status_code == 200


def test_the_no_result_page_speaks_vietnamese(client, desk) -> None:
    msgids = [
        "Did you mean one of these?",
        "Not sure which procedure you need? Ask the one-stop desk",
    ]
    with translation.override("vi"):
        wanted = [translation.gettext(msgid) for msgid in msgids]
    if wanted == msgids:
        pytest.skip("the Vietnamese catalog has no translation of these messages yet")
    body = text(client.get("/tim-kiem/", {"q": "khaisinh"}))
    for sentence in wanted:
        assert sentence in body
    assert f"Gọi {PHONE}" in body
