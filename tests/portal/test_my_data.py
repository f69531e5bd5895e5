"""A signed-in citizen downloads their own data as one JSON file (Decree 13/2023/NĐ-CP
art. 9): account, dossiers with answers and history, payments, rating, the papers kept
in their store, forms not sent, messages. Never another citizen's; never a one-time
code; never kept by the browser; on the audit trail."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.accounts.services import citizen_get_or_create
from motcua.audit.models import AuditEvent
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.inputs import Applicant
from motcua.dossiers.models import Dossier, DossierRating, Draft, Satisfaction
from motcua.dossiers.services import dossier_file_online, dossier_receive
from motcua.notifications.models import Notification
from motcua.organizations.selectors import unit_list_communes
from motcua.payments.bills import Line
from motcua.payments.services import bill_request, payment_record_counter
from tests.filing.birth import BASE, file_every_page

pytestmark = pytest.mark.django_db

URL = "/tai-khoan/du-lieu-cua-toi/"
COPY = "2.000635"  # certified copies: a fee the desk asks for
PHONE = "84912000111"


def english_client(user) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Test browser")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def download(client: Client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="du-lieu-cua-toi-')
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


@pytest.fixture
def citizen(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return citizen_get_or_create(phone=PHONE)


def file_online(client: Client) -> Dossier:
    commune = unit_list_communes(province_code=settings.MOTCUA_PROVINCE_CODE).first().code
    assert client.post(BASE).status_code == 302
    draft = Draft.objects.latest("pk")
    file_every_page(client, draft, commune)
    client.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    return Dossier.objects.get(draft__pk=draft.pk)


def paid_copy(citizen, agencies, desk, *, name: str, phone: str) -> Dossier:
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code=COPY),
        applicant=Applicant(
            name=name, id_number="010190012345", birth_date=date(1990, 5, 17), phone=phone
        ),
        receiving_agency=agencies["batxat_desk"],
        citizen=citizen,
    )
    dossier = dossier_receive(dossier=dossier, officer=desk, expected_version=dossier.lock_version)
    bill = bill_request(
        dossier=dossier,
        officer=desk,
        expected_version=dossier.lock_version,
        lines=[Line("Lệ phí", 8000, 1, 8000)],
    )
    payment_record_counter(bill=bill, officer=desk, amount_vnd=8000)
    return dossier


def test_the_citizen_downloads_what_the_portal_holds_about_them(citizen, agencies, officials):
    client = english_client(citizen)
    assert b'href="/tai-khoan/du-lieu-cua-toi/"' in client.get("/tai-khoan/").content
    born = file_online(client)
    desk = officials["batxat.tiepnhan"]
    paid = paid_copy(citizen, agencies, desk, name="Lò Thị Mai", phone="0912000111")
    DossierRating.objects.create(
        dossier=paid, citizen=citizen, satisfaction=Satisfaction.VERY_SATISFIED, comment="Nhanh"
    )
    assert client.post(BASE).status_code == 302  # a form started, not sent
    # A sign-in code still in the outbox (not yet delivered) is listed, never shown.
    Notification.objects.create(template="otp", context={"code": "987654"}, recipient_phone=PHONE)
    # Someone else, filing with the same phone number on their own account.
    stranger = get_user_model().objects.create_user(username="someone_else")
    theirs = paid_copy(stranger, agencies, desk, name="Hoàng Văn Lạ", phone="0912000111")

    data = download(client)
    body = json.dumps(data, ensure_ascii=False)

    assert data["format"] == "motcua.citizen-data/1"
    assert data["account"]["phone"] == "0912000111"
    assert {d["code"] for d in data["dossiers"]} == {born.code, paid.code}
    filed = next(d for d in data["dossiers"] if d["code"] == born.code)
    assert filed["answers"] and all(item["question"] for item in filed["answers"])
    assert filed["timeline"] and filed["papers"][0]["file_kept"] is True
    copy = next(d for d in data["dossiers"] if d["code"] == paid.code)
    assert copy["rating"]["comment"] == "Nhanh"
    [bill] = copy["bills"]
    [payment] = bill["payments"]
    assert (bill["total_vnd"], payment["amount_vnd"]) == (8000, 8000) and payment["receipt"]
    assert [(p["kind"], p["dossier"]) for p in data["stored_papers"]] == [("paper", born.code)]
    [unfinished] = [f for f in data["unfinished_forms"] if f["sent_as_dossier"] is None]
    assert unfinished["procedure"] == "Đăng ký khai sinh"
    about = [m["dossier"] for m in data["messages"]]
    assert born.code in about and theirs.code not in about
    assert any(m["text"] == "" and m["dossier"] is None for m in data["messages"])  # the code

    assert theirs.code not in body and "Hoàng Văn Lạ" not in body
    assert "987654" not in body

    [event] = AuditEvent.objects.filter(action="citizen.data_export")
    assert event.actor_id == citizen.pk and event.ip == "203.0.113.7"

    # And the other account sees its own dossier only.
    other = download(english_client(stranger))
    assert [d["code"] for d in other["dossiers"]] == [theirs.code]
    assert "Lò Thị Mai" not in json.dumps(other, ensure_ascii=False)


def test_only_a_signed_in_citizen_downloads_and_only_by_get(citizen):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert english_client(citizen).post(URL).status_code == 405
    assert not AuditEvent.objects.filter(action="citizen.data_export").exists()


def test_a_new_account_downloads_an_almost_empty_file(citizen):
    data = download(english_client(citizen))
    assert data["dossiers"] == [] and data["unfinished_forms"] == []
    assert data["account"]["phone"] == "0912000111"
