"""motcua.core.text.fold: one form for every way of typing a Vietnamese word."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.text import fold, tokens

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
)
vietnamese_text = st.text(
    alphabet=st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + " .,-;()/0123456789"),
    max_size=60,
)
any_text = st.text(max_size=60)


@given(st.one_of(vietnamese_text, any_text))
def test_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.one_of(vietnamese_text, any_text))
def test_composed_and_decomposed_fold_alike(text: str) -> None:
    nfc = fold(unicodedata.normalize("NFC", text))
    assert nfc == fold(unicodedata.normalize("NFD", text))
    assert nfc == fold(unicodedata.normalize("NFKC", text))


@given(st.one_of(vietnamese_text, any_text))
def test_output_has_no_marks_no_d_stroke_no_upper_case(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert not any(unicodedata.category(ch).startswith("M") for ch in folded)
    assert "đ" not in folded and "Đ" not in folded
    assert folded == folded.lower()
    assert folded == folded.strip() and "  " not in folded


@given(vietnamese_text)
def test_vietnamese_folds_to_ascii(text: str) -> None:
    assert fold(text).isascii()


@given(st.one_of(vietnamese_text, any_text))
def test_tokens_are_the_words_of_fold(text: str) -> None:
    words = tokens(text)
    assert " ".join(words) == fold(text)
    assert all(words)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng ký khai sinh", "dang ki khai sinh"),
        ("ĐĂNG KÝ KHAI SINH", "dang ki khai sinh"),
        ("dang ky khai sinh", "dang ki khai sinh"),
        ("  Đăng\tký \n khai   sinh ", "dang ki khai sinh"),
        (
            "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
            "cap ban sao trich luc ho tich ban sao giay khai sinh",
        ),
        (
            "Đăng ký khai sinh kết hợp nhận cha, mẹ, con",
            "dang ki khai sinh ket hop nhan cha me con",
        ),
        ("Thủ tục (áp dụng cho cả trường hợp...)", "thu tuc ap dung cho ca truong hop"),
        ("Đường bộ/đường sắt", "duong bo duong sat"),
        ("Phường Cốc Lếu, Tp.Lào Cai", "phuong coc leu tp lao cai"),
        ("Người Việt", "nguoi viet"),
        ("ưu tiên ơn", "uu tien on"),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    "code",
    ["1.001193", "2.000908", "1.013225"],
)
def test_procedure_codes_stay_one_token(code: str) -> None:
    assert tokens(code) == [code]
    assert tokens(f"Thủ tục {code}.") == ["thu", "tuc", code]
    assert tokens(f"({code})") == [code]


def test_dots_between_words_split() -> None:
    assert tokens("Tp.Lào Cai") == ["tp", "lao", "cai"]
    assert tokens("v.v...") == ["v", "v"]
    assert tokens("1..2") == ["1", "2"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("Hoà Bình", "Hòa Bình"),
        ("thuỷ", "thủy"),
        ("thuỷ lợi", "thủy lợi"),
        ("khoẻ", "khỏe"),
        ("loà", "lòa"),
        ("tuỳ", "tùy"),
        ("hoá", "hóa"),
    ],
)
def test_old_and_new_tone_placement_fold_alike(old: str, new: str) -> None:
    assert fold(old) == fold(new)


@pytest.mark.parametrize(
    ("i_form", "y_form"),
    [
        ("kí", "ký"),
        ("lí", "lý"),
        ("mĩ", "mỹ"),
        ("quí", "quý"),
        ("kĩ thuật", "kỹ thuật"),
        ("hi vọng", "hy vọng"),
        ("sĩ quan", "sỹ quan"),
        ("Lí lịch tư pháp", "Lý lịch tư pháp"),
        ("đăng kí", "đăng ký"),
        ("ì", "ỳ"),
        ("i tế", "y tế"),
    ],
)
def test_i_and_y_spellings_fold_alike(i_form: str, y_form: str) -> None:
    assert fold(i_form) == fold(y_form)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("tay", "tai"),
        ("thuy", "thui"),
        ("may", "mai"),
        ("huy", "hui"),
        ("quay", "quai"),
        ("nguy", "ngui"),
        ("yên", "iên"),
    ],
)
def test_y_after_a_vowel_or_inside_a_syllable_stays(a: str, b: str) -> None:
    assert fold(a) != fold(b)


def test_y_inside_words_is_kept() -> None:
    assert fold("Nguyễn") == "nguyen"
    assert fold("khuyến nghị") == "khuyen nghi"
    assert fold("Yên Bái") == "yen bai"
    assert fold("giấy") == "giay"


def test_d_stroke_and_lookalikes() -> None:
    assert fold("Đđ") == "dd"
    assert fold("Ðð") == "dd"  # eth, typed for đ by some keyboards


def test_invisible_and_compatibility_characters() -> None:
    assert fold("khai\u00adsinh") == "khaisinh"  # soft hyphen is not a word break
    assert fold("khai\u200bsinh") == "khaisinh"
    assert fold("１．００１１９３") == "1.001193"  # full-width forms from phone keyboards
    assert fold("") == ""
    assert tokens("   ") == []
    assert tokens("!!! ...") == []
