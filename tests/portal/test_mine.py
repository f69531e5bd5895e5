"""The citizen's "My dossiers": list, one dossier, the supplement sent online, withdrawal,
the electronic result (attached in the back office, downloaded by its owner only) and the
rating of the service (Circular 01)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers import services
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierRating,
    NationalStatus,
    Outcome,
)
from motcua.dossiers.services import Applicant
from tests.files import pdf_bytes
from tests.officials import official_login

BIRTH = "1.001193"
PDF = pdf_bytes()  # a real one: a few bytes starting "%PDF" are refused as broken


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def english_client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def citizen(demo):
    return get_user_model().objects.create_user(username="0912345678")


@pytest.fixture
def stranger(demo):
    return get_user_model().objects.create_user(username="0987654321")


@pytest.fixture
def file_for(agencies):
    def make(user) -> Dossier:
        return services.dossier_file_online(
            procedure_version=procedure_get_current(code=BIRTH),
            applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
            receiving_agency=agencies["batxat_desk"],
            citizen=user,
        )

    return make


def text(response) -> str:
    return response.content.decode()


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def receive(dossier: Dossier, officials) -> Dossier:
    return services.dossier_receive(
        dossier=dossier, officer=officials["batxat.tiepnhan"], expected_version=dossier.lock_version
    )


def decide(dossier: Dossier, officials) -> Dossier:
    d = receive(dossier, officials)
    steps = (("tiepnhan", "assign"), ("chuyenvien", "propose"), ("pheduyet", "approve"))
    for user, action in steps:
        d = services.dossier_act(
            dossier=d, officer=officials[f"batxat.{user}"], action=action,
            expected_version=d.lock_version,
        )
    assert d.status == NationalStatus.DECIDED
    return d


def ask_supplement(dossier: Dossier, officials) -> Dossier:
    d = receive(dossier, officials)
    return services.dossier_request_supplement(
        dossier=d, officer=officials["batxat.tiepnhan"], expected_version=d.lock_version,
        missing=["Giấy chứng sinh (bản chính)", "Tờ khai ký đủ chữ ký"],
        contact="Chị Hoa, 0214 3880 123",
    )


def version_of(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="(\d+)"', page).group(1)


# --- the list and who sees what ----------------------------------------------------------


def test_the_list_shows_my_dossiers_only_with_their_status_and_my_drafts(
    citizen, stranger, file_for
):
    mine = file_for(citizen)
    other = file_for(stranger)
    client = english_client(citizen)
    page = text(client.get("/ho-so-cua-toi/"))
    assert mine.code in page and other.code not in page
    assert "Sent, waiting to be received" in page
    assert 'class="mine" href="/ho-so-cua-toi/"' in page  # the header link, signed in
    assert "/ho-so-cua-toi/nhap/" not in page  # no unfinished forms: no link
    assert client.get("/ho-so-cua-toi/nhap/").status_code == 200  # still there


def test_signed_out_people_are_sent_to_sign_in_and_see_no_header_link(demo):
    response = english_client().get("/ho-so-cua-toi/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert 'class="mine"' not in text(english_client().get("/"))


@pytest.mark.parametrize(
    "suffix", ["", "bo-sung/", "rut/", "ket-qua/", "danh-gia/", "phieu/01.pdf"]
)
def test_someone_elses_dossier_is_a_404_like_an_unknown_code(citizen, stranger, file_for, suffix):
    other = file_for(stranger)
    client = english_client(citizen)
    assert client.get(f"/ho-so-cua-toi/{other.code}/{suffix}").status_code == 404
    assert client.get(f"/ho-so-cua-toi/XX-000000-0001/{suffix}").status_code == 404
    if suffix in ("bo-sung/", "rut/", "danh-gia/"):
        assert client.post(f"/ho-so-cua-toi/{other.code}/{suffix}", {}).status_code == 404
    assert fresh(other).lock_version == other.lock_version


def test_the_detail_page_shows_status_history_and_what_to_do(citizen, file_for, officials):
    dossier = ask_supplement(file_for(citizen), officials)
    page = text(english_client(citizen).get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Papers needed from you" in page
    assert "Giấy chứng sinh (bản chính)" in page and "Chị Hoa, 0214 3880 123" in page
    assert "You were asked to add or correct papers" in page  # history in plain words
    assert f"/ho-so-cua-toi/{dossier.code}/bo-sung/" in page
    assert f"/ho-so-cua-toi/{dossier.code}/rut/" in page
    assert "batxat" not in page  # never the officers' names


# --- the supplement ----------------------------------------------------------------------


def test_a_supplement_is_sent_online_once_and_the_clock_restarts(citizen, file_for, officials):
    dossier = ask_supplement(file_for(citizen), officials)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/bo-sung/"
    page = text(client.get(url))
    assert "Giấy chứng sinh (bản chính)" in page and "Tờ khai ký đủ chữ ký" in page
    data = {
        "expected_version": version_of(page, "expected_version"),
        "file-0": SimpleUploadedFile("chung-sinh.pdf", PDF, "application/pdf"),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    after = fresh(dossier)
    assert after.status == NationalStatus.RECEIVED and after.due_at is not None
    added = DossierPaper.objects.filter(dossier=dossier, name="Giấy chứng sinh (bản chính)")
    assert added.count() == 1 and added.get().file.read().startswith(b"%PDF")
    event = DossierEvent.objects.filter(dossier=dossier).latest("id")
    assert (event.action, event.actor) == ("supplement_complete", citizen)

    # The same form sent again (a double click, a reload) adds nothing.
    data["file-0"] = SimpleUploadedFile("chung-sinh.pdf", PDF, "application/pdf")
    again = client.post(url, data)
    assert again.status_code == 302
    assert DossierPaper.objects.filter(dossier=dossier).count() == added.count()
    assert fresh(dossier).lock_version == after.lock_version


def test_a_bad_file_or_none_gets_a_message_and_changes_nothing(citizen, file_for, officials):
    dossier = ask_supplement(file_for(citizen), officials)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/bo-sung/"
    version = str(dossier.lock_version)
    none = client.post(url, {"expected_version": version})
    assert none.status_code == 400
    assert "Choose at least one photo or PDF" in text(none)
    bad = client.post(url, {
        "expected_version": version,
        "file-1": SimpleUploadedFile("to-khai.pdf", b"hello, not a pdf", "application/pdf"),
    })
    assert bad.status_code == 400
    assert "is not a PDF or a photo" in text(bad) and "to-khai.pdf" in text(bad)
    assert fresh(dossier).lock_version == dossier.lock_version
    assert fresh(dossier).status == NationalStatus.SUPPLEMENT_REQUESTED


# --- withdrawal --------------------------------------------------------------------------


def test_withdrawal_needs_a_reason_and_happens_once(citizen, file_for, officials):
    dossier = receive(file_for(citizen), officials)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/rut/"
    version = version_of(text(client.get(url)), "expected_version")
    empty = client.post(url, {"expected_version": version, "reason": "  "})
    assert empty.status_code == 400 and "Write why you want to withdraw" in text(empty)
    done = client.post(url, {"expected_version": version, "reason": "Tôi đã làm ở nơi khác"})
    assert done.status_code == 302
    after = fresh(dossier)
    # The request is status 7; the desk checks it (Decree 118/2025 art. 21).
    assert (after.status, after.outcome) == (NationalStatus.WITHDRAWAL_REQUESTED, "")
    client.post(url, {"expected_version": version, "reason": "Tôi đã làm ở nơi khác"})
    requests = DossierEvent.objects.filter(dossier=dossier, action="request_withdrawal")
    assert requests.count() == 1
    page = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Withdrawal requested" in page and "Tôi đã làm ở nơi khác" in page
    assert f"/ho-so-cua-toi/{dossier.code}/rut/" not in page
    services.dossier_stop(
        dossier=after, officer=officials["batxat.tiepnhan"], expected_version=after.lock_version
    )
    assert (fresh(dossier).status, fresh(dossier).outcome) == (
        NationalStatus.STOPPED,
        Outcome.WITHDRAWN,
    )
    page = text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Withdrawn" in page and "Tôi đã làm ở nơi khác" in page


def test_an_official_withdraws_their_own_dossier_as_the_applicant(file_for, officials):
    official = officials["laocai.chuyenvien"]  # no role at the Bát Xát desk
    dossier = file_for(official)
    with pytest.raises(services.ActionNotAllowed):  # someone else's: the desk's rules
        services.dossier_request_withdrawal(
            dossier=file_for(officials["laocai.pheduyet"]), expected_version=1,
            reason="x", actor=official,
        )
    after = services.dossier_request_withdrawal(
        dossier=dossier, expected_version=dossier.lock_version, reason="Không cần nữa",
        actor=official,
    )
    assert after.status == NationalStatus.WITHDRAWAL_REQUESTED


# --- the electronic result ---------------------------------------------------------------


def official_client(username: str) -> Client:
    client = english_client()
    official_login(client, get_user_model().objects.get(username=username))
    return client


def test_the_result_pdf_is_attached_then_downloaded_by_its_owner_only(
    citizen, stranger, file_for, officials
):
    dossier = decide(file_for(citizen), officials)
    desk = official_client("batxat.tiepnhan")
    office_page = text(desk.get(f"/mot-cua/ho-so/{dossier.code}/"))
    assert "Electronic result (PDF)" in office_page
    upload_url = f"/mot-cua/ho-so/{dossier.code}/ket-qua/"
    not_pdf = desk.post(upload_url, {
        "expected_version": dossier.lock_version,
        "result_file": SimpleUploadedFile("kq.jpg", b"\xff\xd8\xff\xe0 photo", "image/jpeg"),
    })
    assert not_pdf.status_code == 400 and "must be a PDF file" in text(not_pdf)
    assert not fresh(dossier).result_file
    ok = desk.post(upload_url, {
        "expected_version": dossier.lock_version,
        "result_file": SimpleUploadedFile("kq.pdf", PDF, "application/pdf"),
    })
    assert ok.status_code == 302
    attached = fresh(dossier)
    assert attached.result_file and attached.electronic_result
    assert not attached.result_file.url.startswith("/ho-so-cua-toi/")  # never linked to

    # Not returned yet: the citizen cannot download it.
    owner = english_client(citizen)
    assert owner.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua/").status_code == 404
    services.dossier_return_result(
        dossier=attached, officer=officials["batxat.tiepnhan"],
        expected_version=attached.lock_version, electronic=True,
    )
    detail = text(owner.get(f"/ho-so-cua-toi/{dossier.code}/"))
    assert "Download the result (PDF)" in detail
    response = owner.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    stranger_client = english_client(stranger)
    assert stranger_client.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua/").status_code == 404
    # Returned with its file: it cannot be swapped any more.
    assert "Electronic result (PDF)" not in text(desk.get(f"/mot-cua/ho-so/{dossier.code}/"))
    late = desk.post(upload_url, {
        "expected_version": fresh(dossier).lock_version,
        "result_file": SimpleUploadedFile("kq2.pdf", PDF + b"2", "application/pdf"),
    })
    assert late.status_code == 400 and "cannot be replaced" in text(late)


def test_a_stale_result_upload_stores_nothing(citizen, file_for, officials):
    dossier = decide(file_for(citizen), officials)
    response = official_client("batxat.pheduyet").post(
        f"/mot-cua/ho-so/{dossier.code}/ket-qua/",
        {"expected_version": dossier.lock_version - 1,
         "result_file": SimpleUploadedFile("kq.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 302
    assert not fresh(dossier).result_file


# --- the rating --------------------------------------------------------------------------

ANSWERS = {"attitude": "1", "contacts": "2", "publication": "1", "agencies_contacted": "1",
           "satisfaction": "2"}


def returned(dossier: Dossier, officials) -> Dossier:
    d = decide(dossier, officials)
    return services.dossier_return_result(
        dossier=d, officer=officials["batxat.tiepnhan"], expected_version=d.lock_version
    )


def test_rating_waits_until_the_dossier_is_finished(citizen, file_for):
    dossier = file_for(citizen)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/danh-gia/"
    assert client.get(url).status_code == 302
    assert client.post(url, {**ANSWERS, "saves": "0"}).status_code == 302
    assert not DossierRating.objects.exists()
    assert url not in text(client.get(f"/ho-so-cua-toi/{dossier.code}/"))


def test_rating_asks_five_questions_and_names_what_is_missing(citizen, file_for, officials):
    dossier = returned(file_for(citizen), officials)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/danh-gia/"
    page = text(client.get(url))
    assert page.count("<fieldset") == 5 and page.count("<legend>") == 5
    # Circular 01 art. 13(7): the question is about harassment, not politeness.
    assert "Did an officer harass you" in page
    assert "More than once" in page  # art. 13(3): more than one contact scores 0
    bad = client.post(url, {"saves": "0", "attitude": "1", "contacts": "7"})
    assert bad.status_code == 400
    body = text(bad)
    assert "Choose one of the answers shown." in body and "Choose one answer." in body
    assert 'href="#f-satisfaction"' in body
    assert not DossierRating.objects.exists() and fresh(dossier).rating is None


def test_a_rating_is_saved_once_per_submit_and_changed_at_most_once(
    citizen, file_for, officials
):
    dossier = returned(file_for(citizen), officials)
    client = english_client(citizen)
    url = f"/ho-so-cua-toi/{dossier.code}/danh-gia/"
    assert client.post(url, {**ANSWERS, "saves": "0", "comment": "Nhanh"}).status_code == 302
    rating = DossierRating.objects.get(dossier=dossier)
    assert (rating.publication, rating.agencies_contacted, rating.satisfaction) == (1, 1, 2)
    assert rating.changes == 0
    assert rating.total_time in (0, 1, 2)  # from the dossier's own times
    # No complaint: 2 when handled before the appointment (art. 13(7)), else 1.
    assert rating.attitude == (2 if rating.total_time == 2 else 1)
    assert rating.online_service is None  # an agency's indicator (art. 14), not asked
    assert fresh(dossier).rating == 2
    # The same form again (double click): not a change.
    client.post(url, {**ANSWERS, "saves": "0", "satisfaction": "0"})
    rating.refresh_from_db()
    assert (rating.satisfaction, rating.changes) == (2, 0)
    # One change is allowed …
    page = text(client.get(url))
    assert version_of(page, "saves") == "1" and "checked" in page
    assert client.post(url, {**ANSWERS, "saves": "1", "satisfaction": "0"}).status_code == 302
    rating.refresh_from_db()
    assert (rating.satisfaction, rating.changes) == (0, 1) and fresh(dossier).rating == 0
    # … then it is final.
    assert "it is final now" in text(client.get(url))
    client.post(url, {**ANSWERS, "saves": "2", "satisfaction": "2"})
    rating.refresh_from_db()
    assert rating.satisfaction == 0 and fresh(dossier).rating == 0


def test_a_refused_dossier_can_be_rated(citizen, file_for, officials):
    d = receive(file_for(citizen), officials)
    d = services.dossier_refuse(
        dossier=d, officer=officials["batxat.pheduyet"], reasons=["Thiếu giấy chứng sinh"],
        expected_version=d.lock_version,
    )
    client = english_client(citizen)
    detail = text(client.get(f"/ho-so-cua-toi/{d.code}/"))
    assert "Thiếu giấy chứng sinh" in detail and f"/ho-so-cua-toi/{d.code}/danh-gia/" in detail
    assert client.post(
        f"/ho-so-cua-toi/{d.code}/danh-gia/", {**ANSWERS, "saves": "0"}
    ).status_code == 302
    assert fresh(d).rating == 2
