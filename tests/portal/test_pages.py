import re

import pytest

from motcua.catalog.models import Procedure

pytestmark = pytest.mark.usefixtures("demo")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_home_has_one_search_box(client):
    response = client.get("/")
    assert response.status_code == 200
    body = text(response)
    assert body.count('type="search"') == 1
    assert "Bạn cần làm thủ tục gì?" in body
    assert '<html lang="vi">' in body


def test_search_without_diacritics_ranks_birth_registration_first(client):
    response = client.get("/tim-kiem/", {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    hits = response.context["result"].items
    assert hits[0].code == "1.001193"
    assert 'href="/thu-tuc/1.001193/">Đăng ký khai sinh</a>' in text(response)


def test_empty_query_lists_procedures_grouped_by_field(client):
    response = client.get("/tim-kiem/", {"q": "  "})
    assert response.status_code == 200
    groups = dict(response.context["groups"])
    assert {"Hộ tịch", "Chứng thực", "Đất đai", "Lý lịch tư pháp"} <= set(groups)
    assert sum(len(hits) for hits in groups.values()) == Procedure.objects.count() >= 40


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("x" * 1000, "Từ khóa"),
        # Refused before the search sees it (core.middleware.InputCharactersMiddleware).
        ("khai\x00sinh", "ký tự không hợp lệ"),
        ("khai\x07sinh", "ký tự không hợp lệ"),
    ],
)
def test_bad_query_gets_a_clear_vietnamese_message_not_a_500(client, query, words):
    response = client.get("/tim-kiem/", {"q": query})
    assert response.status_code == 400
    body = text(response)
    assert words in body and 'role="alert"' in body


def test_no_result_suggests_what_to_do(client):
    response = client.get("/tim-kiem/", {"q": "qwzxqwzx"})
    assert response.status_code == 200
    assert "Xem tất cả thủ tục theo lĩnh vực" in text(response)


def test_procedure_page_answers_the_citizens_questions(client):
    body = text(client.get("/thu-tuc/2.000815/"))
    for heading in (
        "Có làm trên mạng được không?",
        "Cần chuẩn bị gì",
        "Mất bao lâu",
        "Tốn bao nhiêu tiền",
        "Nộp ở đâu",
    ):
        assert heading in body
    # Fee schedule parsed from the legal text, in integer VND.
    assert "2.000 đồng mỗi trang" in body
    assert "từ trang thứ 3: 1.000 đồng mỗi trang, tối đa 200.000 đồng" in body
    assert "Trong ngày" in body


def test_demo_values_are_marked_as_demo(client):
    body = text(client.get("/thu-tuc/1.001193/"))
    assert "dữ liệu minh họa" in body
    assert "Đăng ký khai sinh" in body


def test_unknown_procedure_is_404(client):
    assert client.get("/thu-tuc/9.999999999/").status_code == 404


def test_english_is_available(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = text(client.get("/thu-tuc/1.001193/"))
    assert '<html lang="en">' in body
    assert "How long it takes" in body
