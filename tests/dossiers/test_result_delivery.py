"""How the applicant receives the result (at the desk, by public post, electronically):
chosen on filing, online or at the counter, checked, and shown wherever it matters —
the back-office dossier page and its "return the result" step, the citizen's page and
the receipt slip (form 01)."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from pypdf import PdfReader

from motcua.catalog.models import OnlineLevel
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier, NationalStatus, ResultDelivery
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_act,
    dossier_file_online,
    dossier_receive,
    dossier_receive_at_counter,
)
from motcua.dossiers.slip_contexts import slip_context_for
from motcua.organizations.models import AdministrativeUnit
from tests.officials import sign_in_as

BIRTH = "1.001193"  # Đăng ký khai sinh (demo catalog)
ADDRESS = "Số 12 đường Hoàng Liên, phường Lào Cai, tỉnh Lào Cai"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def applicant() -> Applicant:
    return Applicant(
        name="Lò Thị Mai",
        id_number="010190012345",
        birth_date=date(1990, 5, 17),
        phone="0912345678",
        address="Thôn Trung Chải",
    )


def file_online(agencies, citizen=None, **delivery) -> Dossier:
    return dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=applicant(),
        receiving_agency=agencies["batxat_desk"],
        citizen=citizen,
        **delivery,
    )


def at_counter(officials, agencies, **delivery) -> Dossier:
    version = procedure_get_current(code=BIRTH)
    return dossier_receive_at_counter(
        officer=officials["batxat.tiepnhan"],
        agency=agencies["batxat_desk"],
        procedure_version=version,
        applicant=applicant(),
        papers=[PaperInput(name=p.name, form="original", required_paper=p)
                for p in version.papers.all()],
        **delivery,
    )


def decided(officials, dossier: Dossier) -> Dossier:
    for user, action in (("tiepnhan", "assign"), ("chuyenvien", "propose"),
                         ("pheduyet", "approve")):
        dossier = dossier_act(dossier=dossier, officer=officials[f"batxat.{user}"],
                              action=action, expected_version=dossier.lock_version)
    assert dossier.status == NationalStatus.DECIDED
    return dossier


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    sign_in_as(client, user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    raw = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


# --- the service: stored, checked -------------------------------------------------------


def test_the_choice_is_stored_on_an_online_filing(agencies):
    dossier = file_online(agencies, result_delivery="post",
                          result_address="  Số 12 đường Hoàng Liên,\n phường Lào Cai  ")
    dossier.refresh_from_db()
    assert dossier.result_delivery == ResultDelivery.POST
    assert dossier.result_address == "Số 12 đường Hoàng Liên, phường Lào Cai"  # one line
    # Nothing said: at the desk, as every dossier before the question existed.
    assert file_online(agencies).result_delivery == ResultDelivery.DESK
    # An address only means something for the post.
    electronic = file_online(agencies, result_delivery="electronic", result_address=ADDRESS)
    assert (electronic.result_delivery, electronic.result_address) == ("electronic", "")


def test_the_post_without_an_address_is_refused_with_a_clear_message(agencies):
    before = Dossier.objects.count()
    with pytest.raises(ValidationError) as caught:
        file_online(agencies, result_delivery="post", result_address="   ")
    assert caught.value.message_dict == {
        "result_address": [
            "Address for the result: write where the post office should deliver the result "
            "(house number, village or street, commune)."
        ]
    }
    assert Dossier.objects.count() == before  # nothing half-filed


def test_an_unknown_choice_is_refused_and_named(agencies):
    with pytest.raises(ValidationError) as caught:
        file_online(agencies, result_delivery="pigeon")
    [message] = caught.value.message_dict["result_delivery"]
    assert "“pigeon” is not a choice" in message


def test_electronic_is_refused_only_where_the_catalog_says_in_person_only(agencies):
    version = procedure_get_current(code=BIRTH)
    version.online_level = OnlineLevel.OFFLINE
    version.save(update_fields=["online_level"])
    with pytest.raises(ValidationError) as caught:
        file_online(agencies, result_delivery="electronic")
    assert "cannot be received electronically" in caught.value.message_dict["result_delivery"][0]
    assert file_online(agencies, result_delivery="post", result_address=ADDRESS).pk
    version.online_level = OnlineLevel.UNKNOWN  # the catalog says nothing: allowed
    version.save(update_fields=["online_level"])
    assert file_online(agencies, result_delivery="electronic").result_delivery == "electronic"


def test_the_counter_reception_service_takes_the_same_choice(officials, agencies):
    dossier = at_counter(officials, agencies, result_delivery="post", result_address=ADDRESS)
    assert dossier.status == NationalStatus.RECEIVED
    assert (dossier.result_delivery, dossier.result_address) == ("post", ADDRESS)
    with pytest.raises(ValidationError) as caught:
        at_counter(officials, agencies, result_delivery="post")
    assert set(caught.value.message_dict) == {"result_address"}


# --- the back office ---------------------------------------------------------------------


def test_the_walk_in_form_offers_the_choice_and_explains_a_missing_address(
    officials, agencies
):
    version = procedure_get_current(code=BIRTH)
    unit = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True)
    data = {
        "name": "Sùng Thị Dua", "id_number": "010195004321", "birth_date": "1995-03-02",
        "phone": "0987 654 321", "address": "Thôn Tòng Sành", "unit": unit.pk,
        "result_delivery": "post", "result_address": "",
    }
    for paper in version.papers.all():
        data.update({f"paper-{paper.pk}-received": "on", f"paper-{paper.pk}-form": "original",
                     f"paper-{paper.pk}-count": "1"})
    client = client_for(officials["batxat.tiepnhan"])
    url = f"/mot-cua/tiep-nhan/{BIRTH}/"
    page = text(client.get(url))
    assert 'name="result_delivery" value="post"' in page
    assert 'value="desk" id="id_result_delivery_0" checked' in page

    refused = client.post(url, data)
    assert refused.status_code == 400
    body = re.sub(r"\s+", " ", refused.content.decode())
    assert "Address for the result: write where the post office should deliver" in body
    assert not Dossier.objects.filter(applicant_id_number="010195004321").exists()

    data["result_address"] = ADDRESS
    assert client.post(url, data).status_code == 302
    dossier = Dossier.objects.get(applicant_id_number="010195004321")
    assert (dossier.result_delivery, dossier.result_address) == ("post", ADDRESS)


def test_the_dossier_page_and_the_return_step_show_where_the_result_goes(
    officials, agencies
):
    dossier = decided(officials, at_counter(
        officials, agencies, result_delivery="post", result_address=ADDRESS))
    client = client_for(officials["batxat.tiepnhan"])
    page = text(client.get(f"/mot-cua/ho-so/{dossier.code}/"))
    assert f"Result delivery</dt><dd>By public post: {ADDRESS}</dd>" in page
    # The returning officer sees it inside the "return the result" step.
    assert f'<p class="notice">Send by public post to: {ADDRESS}</p>' in page

    online = decided(officials, dossier_receive(
        dossier=file_online(agencies, result_delivery="electronic"),
        officer=officials["batxat.tiepnhan"], expected_version=1))
    page = text(client.get(f"/mot-cua/ho-so/{online.code}/"))
    assert "Result delivery</dt><dd>Electronic copy on the portal account</dd>" in page
    assert "The citizen receives the electronic copy" in page
    assert 'name="electronic" id="id_return_result_electronic" checked' in page


# --- the citizen and the slip --------------------------------------------------------------


def test_the_citizens_page_shows_how_the_result_comes(agencies):
    citizen = get_user_model().objects.create_user(username="0912345678")
    dossier = file_online(agencies, citizen=citizen, result_delivery="post",
                          result_address=ADDRESS)
    page = text(client_for(citizen).get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "How you receive the result</dt><dd>By public post<br>Sent to: " + ADDRESS in page


def test_slip_01_says_where_the_result_is_registered(officials, agencies):
    post = at_counter(officials, agencies, result_delivery="post", result_address=ADDRESS)
    context = slip_context_for(dossier=post, form="01")
    assert context.result_place == f"{ADDRESS} (qua dịch vụ bưu chính công ích)"
    electronic = at_counter(officials, agencies, result_delivery="electronic")
    assert "bản điện tử" in slip_context_for(dossier=electronic, form="01").result_place
    desk = at_counter(officials, agencies)
    assert slip_context_for(dossier=desk, form="01").result_place.startswith(
        agencies["batxat_desk"].name
    )
    # The printed slip (real WeasyPrint), in Vietnamese whatever the officer's language.
    client = client_for(officials["batxat.tiepnhan"])
    printed = pdf_text(client.get(f"/mot-cua/ho-so/{post.code}/phieu/01.pdf"))
    assert f"Đăng ký nhận kết quả tại: {ADDRESS} (qua dịch vụ bưu chính công ích)" in printed
