"""Public tracking: code + last 4 phone digits, nothing personal, no probing, rate-limited."""

import re

import pytest

from motcua.dossiers.tracking import TRACKING_LIMIT


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


PERSONAL = ["Lò Thị Mai", "010190012345", "0912345678", "Thôn Trung Chải", "Trung Chải"]


@pytest.fixture
def dossier(receive):
    return receive("batxat")


def test_the_page_asks_for_the_code_and_four_digits(client, demo):
    response = client.get("/tra-cuu/", {"ma": "000.04.32.H37-260101-0001"})
    assert response.status_code == 200
    body = text(response)
    assert 'value="000.04.32.H37-260101-0001"' in body
    assert 'name="phone_last4"' in body and 'inputmode="numeric"' in body


def test_right_digits_show_the_status_without_personal_data(client, dossier):
    response = client.post("/tra-cuu/", {"code": dossier.code.lower(), "phone_last4": "5678"})
    assert response.status_code == 200
    body = text(response)
    assert dossier.code in body
    assert "Đăng ký khai sinh" in body
    assert "Đang xử lý" in body or "Being processed" in body  # the status, in plain words
    assert "Chờ chuyển xử lý" not in body  # the officials' step name: the citizen's words instead
    for secret in PERSONAL:
        assert secret not in body


def test_wrong_digits_and_unknown_codes_get_the_same_answer(client, dossier):
    wrong = client.post("/tra-cuu/", {"code": dossier.code, "phone_last4": "0000"})
    unknown_code = dossier.code[:-4] + "9999"
    unknown = client.post("/tra-cuu/", {"code": unknown_code, "phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404

    def answer(response) -> str:
        main = text(response).split('<main id="main" class="wrap">')[1].split("</main>")[0]
        return re.sub(r'value="[^"]*"', 'value=""', main)

    assert answer(wrong) == answer(unknown)


def test_bad_input_is_a_message_not_a_500(client, demo):
    response = client.post("/tra-cuu/", {"code": "x" * 500, "phone_last4": "12a4"})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"code", "phone_last4"}


def test_the_page_is_rate_limited_per_address(client, dossier):
    for _n in range(TRACKING_LIMIT):
        assert client.post("/tra-cuu/", {"code": "X", "phone_last4": "1111"}).status_code == 404
    blocked = client.post("/tra-cuu/", {"code": dossier.code, "phone_last4": "5678"})
    assert blocked.status_code == 429
    assert "10" in text(blocked)  # "wait 10 minutes"
    assert dossier.code not in text(blocked).split("</form>")[-1]
    other = client.post(
        "/tra-cuu/", {"code": dossier.code, "phone_last4": "5678"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200


def test_the_api_gives_status_and_history(client, dossier):
    url = f"/api/v1/dossiers/{dossier.code}/status"
    response = client.get(url, {"phone_last4": "5678"})
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == dossier.code
    assert data["status"] == 2
    assert data["status_label"]
    assert data["step"] and data["step"] != "Chờ chuyển xử lý"  # in the citizen's words
    assert data["received_at"] and data["due_at"]
    assert data["returned_at"] is None
    assert [event["text"] for event in data["history"]]
    raw = response.content.decode()
    for secret in PERSONAL:
        assert secret not in raw
    assert not {"applicant_name", "name", "id_number", "phone", "address"} & set(data)


def test_the_api_answers_404_alike_for_wrong_digits_and_unknown_codes(client, dossier):
    wrong = client.get(f"/api/v1/dossiers/{dossier.code}/status", {"phone_last4": "1234"})
    unknown = client.get(f"/api/v1/dossiers/{dossier.code}9/status", {"phone_last4": "5678"})
    missing = client.get(f"/api/v1/dossiers/{dossier.code}/status")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json() == unknown.json() == missing.json()


def test_the_api_is_rate_limited(client, dossier):
    url = f"/api/v1/dossiers/{dossier.code}/status"
    for _n in range(TRACKING_LIMIT):
        client.get(url, {"phone_last4": "0000"})
    response = client.get(url, {"phone_last4": "5678"})
    assert response.status_code == 429
    assert response.json()["detail"]
