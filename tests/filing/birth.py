"""The answers of the Đăng ký khai sinh form (1.001193) page by page, as a citizen who
signed in by phone (nothing known yet) posts them, and a walk through every page the
flow asks; shared by the filing tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.filing.drafts import KNOWN

from .conftest import BIRTH, ID_NUMBER, jpeg_bytes

CODE = "1.001193"
BASE = f"/nop-ho-so/{CODE}/"


def person(name: str) -> dict:
    return {"full_name": name, "birth_date": BIRTH, "sex": "nu", "ethnicity": "Kinh",
            "nationality": "Việt Nam"}


def child(**changes: str) -> dict:
    return {"ho_ten": "Lò Văn An", "gioi_tinh": "nam", "ngay_sinh": "01/02/2026",
            "noi_sinh": "co_so_y_te", "ten_noi_sinh": "Trạm y tế xã Bát Xát",
            "dan_toc": "Giáy", **changes}


def answers(commune_code: str, *, place: str = "co_so_y_te") -> list[tuple[str, dict]]:
    """Every page before the papers: the mother declares, the father is not named."""
    return [
        ("nguoi_khai", person("Lò Thị Mai")),
        ("cccd_nguoi_khai", {"value": ID_NUMBER}),
        ("dien_thoai", {"value": "0912 345 678"}),
        ("noi_o", {"commune": commune_code, "street": "Thôn Làng Mới"}),
        ("quan_he", {"value": "me"}),
        ("tre", child(noi_sinh=place, ten_noi_sinh="" if place == "o_nha" else
                      "Trạm y tế xã Bát Xát")),
        ("cha_me", {"co_cha": "khong"}),
    ]


PAPER_PAGE = {"co_so_y_te": "giay_chung_sinh", "o_nha": "lam_chung", "noi_khac": "lam_chung"}
DELIVERY = ("nhan_ket_qua", {"how": "desk"})


def file_every_page(client, draft, commune_code: str, *,
                    place: str = "co_so_y_te") -> list[str]:
    """Answer every page the draft's flow asks, in order, up to the check page: each page
    says "Step n of N" and "Continue" leads to the next one. Pages known before the first
    question (answers[KNOWN], e.g. the phone the citizen signed in with) are not asked and
    do not count. The paper page gets one photo. Returns the page ids asked."""
    given = {**dict(answers(commune_code, place=place)), DELIVERY[0]: DELIVERY[1]}
    order = [page_id for page_id, _data in answers(commune_code, place=place)]
    order += [PAPER_PAGE[place], DELIVERY[0]]
    known = set(draft.answers.get(KNOWN, []))
    asked = [page_id for page_id in order if page_id not in known]
    for number, page_id in enumerate(asked, start=1):
        url = f"{BASE}{draft.pk}/{page_id}/"
        page = client.get(url)
        assert page.status_code == 200, (page_id, page.status_code)
        assert f"Step {number} of {len(asked)}" in page.content.decode(), page_id
        if page_id == PAPER_PAGE[place]:
            photo = SimpleUploadedFile("giay.jpg", jpeg_bytes(), "image/jpeg")
            response = client.post(url, {"action": "upload", "file": photo})
            assert response.status_code == 302, (page_id, response.content.decode()[:3000])
            data = {"action": "continue"}
        else:
            data = {**given[page_id], "action": "continue"}
        response = client.post(url, data)
        assert response.status_code == 302, (page_id, response.content.decode()[:3000])
        after = asked[number] if number < len(asked) else None
        assert response["Location"] == (
            f"{BASE}{draft.pk}/{after}/" if after else f"{BASE}{draft.pk}/kiem-tra/"
        ), (page_id, response["Location"])
    draft.refresh_from_db()
    return asked
