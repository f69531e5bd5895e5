"""More of the citizen's "My dossiers" pages (tests/portal/test_mine.py has the main
journeys), with the Django client and the real lifecycle services: the list in keyset
pages with what waits for the citizen, each status in plain words, the slips and papers
as files, several photos of a supplement combined, stale forms refused."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers import citizen as mine
from motcua.dossiers.models import Dossier, DossierEvent, NationalStatus, Outcome
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_file_online,
    dossier_receive,
    dossier_refuse_reception,
    dossier_request_supplement,
)
from motcua.notifications.models import Notification
from motcua.payments.bills import Line
from motcua.payments.services import bill_request

BIRTH = "1.001193"
MISSING = ["Giấy chứng sinh (bản chính)", "Sửa lại ngày sinh của mẹ trên tờ khai"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def english(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def jpeg(color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def citizen(demo):
    return get_user_model().objects.create_user(username="0912345678")


@pytest.fixture
def someone_else(demo):
    return get_user_model().objects.create_user(username="0987654321")


@pytest.fixture
def file_for(agencies):
    """file_for(user) → a birth registration filed online by `user`, with one photo."""

    def make(user, name: str = "Lò Thị Mai") -> Dossier:
        version = procedure_get_current(code=BIRTH)
        return dossier_file_online(
            procedure_version=version,
            applicant=Applicant(
                name=name, id_number="010190012345", birth_date=date(1990, 5, 17),
                phone="0912345678", address="Thôn Trung Chải",
            ),
            receiving_agency=agencies["batxat_desk"],
            papers=[PaperInput(name="Giấy chứng sinh", file=ContentFile(jpeg(), name="gcs.jpeg"))],
            citizen=user,
        )

    return make


@pytest.fixture
def desk(officials):
    return officials["batxat.tiepnhan"]


def received(dossier: Dossier, desk) -> Dossier:
    return dossier_receive(dossier=dossier, officer=desk, expected_version=dossier.lock_version)


def waiting_for_papers(dossier: Dossier, desk) -> Dossier:
    dossier = received(dossier, desk)
    return dossier_request_supplement(
        dossier=dossier, officer=desk, missing=MISSING, contact="Nguyễn Thị Hoa, 0214 3880 123",
        expected_version=dossier.lock_version,
    )


# --- the list -------------------------------------------------------------------------



def test_the_list_shows_only_my_dossiers_newest_first(citizen, someone_else, file_for):
    first = file_for(citizen, name="Lò Thị Mai")
    second = file_for(citizen, name="Lò Văn An")
    theirs = file_for(someone_else)
    response = english(citizen).get("/ho-so-cua-toi/")
    assert response.status_code == 200
    body = text(response)
    assert body.index(second.code) < body.index(first.code)
    assert theirs.code not in body
    assert "Sent, waiting to be received" in body
    assert f'href="/ho-so-cua-toi/{first.code}/"' in body
    assert "Waiting for you" not in body


def test_the_list_comes_in_keyset_pages(citizen, file_for):
    dossiers = [file_for(citizen) for _ in range(mine.PAGE_SIZE + 2)]
    client = english(citizen)
    first = client.get("/ho-so-cua-toi/")
    rows = first.context["page"].rows
    assert [r.dossier.pk for r in rows] == [d.pk for d in reversed(dossiers)][: mine.PAGE_SIZE]
    older = first.context["page"].older
    assert f'href="?truoc={older}"' in first.content.decode()
    second = client.get(f"/ho-so-cua-toi/?truoc={older}")
    assert [r.dossier.pk for r in second.context["page"].rows] == [dossiers[1].pk, dossiers[0].pk]
    assert second.context["page"].older is None
    assert "Newest dossiers" in text(second)
    # A page number that is not one is the first page, not an error.
    assert english(citizen).get("/ho-so-cua-toi/?truoc=abc").status_code == 200


def test_the_list_tells_what_waits_for_me_and_my_unsent_forms(citizen, file_for, desk):
    from motcua.catalog.formdefs import form_definition_latest
    from motcua.filing.drafts import draft_start

    dossier = waiting_for_papers(file_for(citizen), desk)
    version = procedure_get_current(code=BIRTH)
    draft_start(
        citizen=citizen, procedure_version=version,
        form_definition=form_definition_latest(procedure=version.procedure),
    )
    body = text(english(citizen).get("/ho-so-cua-toi/"))
    assert "Waiting for you" in body and "Papers needed from you" in body
    assert f'href="/ho-so-cua-toi/{dossier.code}/"' in body
    assert "You have 1 form you have not sent yet" in body


def test_an_empty_list_says_how_to_start_and_how_to_track(citizen):
    body = text(english(citizen).get("/ho-so-cua-toi/"))
    assert "You have not sent any dossier online yet." in body
    assert 'href="/tim-kiem/"' in body and 'href="/tra-cuu/"' in body


def test_the_list_is_in_vietnamese_by_default(citizen, file_for):
    file_for(citizen)
    client = Client()
    client.force_login(citizen)
    body = text(client.get("/ho-so-cua-toi/"))
    assert "<h1>Hồ sơ của tôi</h1>" in body and "Đã gửi, chờ tiếp nhận" in body


# --- one dossier --------------------------------------------------------------------------


def test_someone_elses_dossier_is_not_found(citizen, someone_else, file_for):
    theirs = file_for(someone_else)
    client = english(citizen)
    for path in ("", "bo-sung/", "rut/", "phieu/01.pdf",
                 f"giay-to/{theirs.papers.get().pk}/"):
        assert client.get(f"/ho-so-cua-toi/{theirs.code}/{path}").status_code == 404, path
    assert client.get("/ho-so-cua-toi/000.00.32.H37-260101-9999/").status_code == 404


def test_a_dossier_just_sent(citizen, file_for):
    dossier = file_for(citizen)
    response = english(citizen).get(f"/ho-so-cua-toi/{dossier.code}/")
    body = text(response)
    assert "Đăng ký khai sinh" in body and dossier.code in body
    assert "Sent, waiting to be received" in body
    assert "Filed online" in body  # the history, in the applicant's words
    assert dossier.receiving_agency.name in body
    assert "Withdraw this dossier" in body  # before a decision
    # Before reception, form 01 is the acknowledgement of the online filing.
    assert f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf" in body
    assert "Acknowledgement of your online filing" in body
    paper = dossier.papers.get()
    link = f"/ho-so-cua-toi/{dossier.code}/giay-to/{paper.pk}/"
    assert link in body
    download = english(citizen).get(link)
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content).startswith(b"\xff\xd8\xff")


def test_received_shows_the_due_moment_and_the_receipt(citizen, file_for, desk):
    dossier = received(file_for(citizen), desk)
    client = english(citizen)
    body = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Being processed" in body and "Result expected by" in body
    assert "Received by the one-stop desk" in body
    assert "Nguyễn Thị Hoa" not in body  # never the officers' names
    assert f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf" in body
    slip = client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    # The processing-control slip is the desks' own; a slip that does not apply is none.
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/05.pdf").status_code == 404
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/02.pdf").status_code == 404


def test_refused_at_reception_shows_the_reasons(citizen, file_for, desk):
    dossier = file_for(citizen)
    dossier_refuse_reception(
        dossier=dossier, officer=desk, reasons=["Ảnh giấy chứng sinh bị mờ"],
        expected_version=dossier.lock_version,
    )
    client = english(citizen)
    body = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Not received" in body and "Why your dossier was not received" in body
    assert "Ảnh giấy chứng sinh bị mờ" in body
    assert "Withdraw this dossier" not in body
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/03.pdf").status_code == 200
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/rut/").status_code == 302


def test_a_fee_to_pay_says_how_much_and_where(citizen, file_for, desk):
    dossier = received(file_for(citizen), desk)
    bill_request(
        dossier=dossier, officer=desk, expected_version=dossier.lock_version,
        lines=[Line("Lệ phí", 8000, 1, 8000)],
    )
    body = text(english(citizen).get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Fee to pay" in body and "8,000 VND" in body
    assert "Pay now" in body


# --- the supplement -------------------------------------------------------------------------


def test_a_supplement_request_gives_form_02_and_one_upload_per_item(citizen, file_for, desk):
    dossier = waiting_for_papers(file_for(citizen), desk)
    client = english(citizen)
    body = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "The office needs more papers from you" in body
    slip = client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/02.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    page = text(client.get(f"/ho-so-cua-toi/{dossier.code}/bo-sung/"))
    for number, item in enumerate(MISSING):
        assert f'<label for="f-file-{number}">{item}</label>' in page
        assert f'name="file-{number}"' in page


def test_sending_the_supplement_restarts_processing(citizen, file_for, desk):
    dossier = waiting_for_papers(file_for(citizen), desk)
    papers_before = dossier.papers.count()
    client = english(citizen)
    response = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "expected_version": dossier.lock_version,
        "file-0": [SimpleUploadedFile("a.jpg", jpeg("red"), "image/jpeg"),
                   SimpleUploadedFile("b.jpg", jpeg("blue"), "image/jpeg")],
    })
    assert response.status_code == 302
    assert response["Location"] == f"/ho-so-cua-toi/{dossier.code}/"
    dossier.refresh_from_db()
    assert dossier.status != NationalStatus.SUPPLEMENT_REQUESTED and dossier.due_at is not None
    new = list(dossier.papers.order_by("id")[papers_before:])
    assert [p.name for p in new] == [MISSING[0]]  # two photos of one paper: one PDF
    with new[0].file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    event = DossierEvent.objects.filter(dossier=dossier).latest("id")
    assert event.action == "supplement_complete" and event.actor == citizen
    assert Notification.objects.filter(dossier=dossier, template="received").count() == 2
    body = text(client.get(response["Location"]))
    assert "Your papers have been sent." in body and "Being processed" in body
    # The same form sent again (a double click) changes nothing.
    again = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "expected_version": dossier.lock_version - 1,
        "file-0": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"),
    })
    assert again.status_code == 302 and dossier.papers.count() == papers_before + 1



def test_a_stale_supplement_form_is_not_applied(citizen, file_for, desk):
    dossier = waiting_for_papers(file_for(citizen), desk)
    client = english(citizen)
    response = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "expected_version": dossier.lock_version - 1,
        "file-0": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"),
    })
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.SUPPLEMENT_REQUESTED
    body = text(client.get(response["Location"]))
    assert "Your dossier changed in the meantime" in body


def test_supplement_service_refuses_another_citizen(someone_else, citizen, file_for, desk):
    dossier = waiting_for_papers(file_for(citizen), desk)
    with pytest.raises(mine.ActionNotAllowed):
        mine.citizen_supplement_send(
            citizen=someone_else, dossier=dossier, expected_version=dossier.lock_version,
            files={0: [SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")]},
        )


# --- withdrawal -----------------------------------------------------------------------------



def test_a_stale_withdrawal_is_not_applied(citizen, file_for, desk):
    dossier = file_for(citizen)
    version = dossier.lock_version
    received(dossier, desk)  # the desk acts while the citizen's page is open
    response = english(citizen).post(
        f"/ho-so-cua-toi/{dossier.code}/rut/", {"reason": "x", "expected_version": version}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.outcome == Outcome.PENDING



def test_numbers_past_bigint_in_the_address_are_not_an_error(citizen, file_for):
    dossier = file_for(citizen)
    client = english(citizen)
    assert client.get("/ho-so-cua-toi/?truoc=" + "9" * 40).status_code == 200
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/giay-to/{'9' * 40}/").status_code == 404


def test_an_apology_shows_the_reason_and_the_new_date(citizen, file_for, desk, officials):
    from datetime import timedelta

    from motcua.core.calendar import next_working_moment
    from motcua.dossiers.services import dossier_apologize

    dossier = received(file_for(citizen), desk)
    due = next_working_moment(timezone.now() + timedelta(days=10))
    Dossier.objects.filter(pk=dossier.pk).update(due_at=due, appointment_at=due)
    dossier.refresh_from_db()
    new_due = next_working_moment(due + timedelta(days=7))
    dossier_apologize(
        dossier=dossier,
        officer=officials["batxat.pheduyet"],  # the competent agency's approver
        reason="Chờ xác minh của xã khác",
        new_due_at=new_due,
        expected_version=dossier.lock_version,
    )
    client = english(citizen)
    body = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Your result will be late" in body and "Chờ xác minh của xã khác" in body
    shown = timezone.localtime(new_due).strftime("%H:%M, %d/%m/%Y")
    assert f"New date for your result: <strong>{shown}</strong>" in body
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/04.pdf").status_code == 200
