"""Papers and results in the citizen's store (their own earlier dossiers) are reused
instead of photographed again; nobody else's papers can be picked."""

from __future__ import annotations

from django.core.files.base import ContentFile

from motcua.dossiers.models import Dossier, DossierPaper, Draft
from motcua.filing.drafts import citizen_store

from .birth import child
from .conftest import english_client
from .test_journey import BASE, deliver, fill, start, submitted_draft


def _first_dossier(client, commune_code) -> Dossier:
    draft = submitted_draft(client, commune_code)
    client.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    return Dossier.objects.get(draft__pk=draft.pk)


def test_reuse_a_paper_of_an_earlier_dossier(demo, client_in, citizen, commune_code):
    first = _first_dossier(client_in, commune_code)
    stored = DossierPaper.objects.get(dossier=first)
    draft = start(client_in)
    fill(client_in, draft, commune_code)
    url = f"{BASE}{draft.pk}/giay_chung_sinh/"
    page = client_in.get(url).content.decode()
    assert "Or use a paper you sent before" in page and f"reuse-paper-{stored.pk}" in page
    assert client_in.post(url, {"action": f"reuse-paper-{stored.pk}"}).status_code == 302
    client_in.post(url, {"action": f"reuse-paper-{stored.pk}"})  # double click: once
    draft.refresh_from_db()
    assert len(draft.uploads["giay_chung_sinh"]) == 1
    assert f"reuse-paper-{stored.pk}" not in client_in.get(url).content.decode()
    # The reused paper counts as sent: "Continue" goes on to how the result is returned.
    assert client_in.post(url, {"action": "continue"})["Location"].endswith("/nhan_ket_qua/")
    deliver(client_in, draft)
    client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    second = Dossier.objects.get(draft__pk=draft.pk)
    paper = DossierPaper.objects.get(dossier=second)
    assert paper.reused and second.reused_data
    with paper.file.open("rb") as a, stored.file.open("rb") as b:
        assert a.read() == b.read()
    assert paper.file.name != stored.file.name  # the new dossier has its own copy


def test_results_are_in_the_store(demo, client_in, citizen, commune_code):
    first = _first_dossier(client_in, commune_code)
    Dossier.objects.filter(pk=first.pk).update(returned_at=first.submitted_at)
    first.refresh_from_db()
    first.result_file.save("kq.pdf", ContentFile(b"%PDF-1.4 result"), save=True)
    items = citizen_store(citizen=citizen, words="Giấy chứng sinh")
    assert items[0].ref.startswith("paper-") and items[0].matches  # the paper asked for first
    assert any(i.ref == f"result-{first.pk}" for i in items)


def test_other_peoples_papers_cannot_be_picked(demo, client_in, citizen, commune_code,
                                               django_user_model):
    first = _first_dossier(client_in, commune_code)
    stored = DossierPaper.objects.get(dossier=first)
    other = english_client()
    other.force_login(django_user_model.objects.create_user(username="other"))
    assert other.post(f"{BASE}").status_code == 302
    draft = Draft.objects.latest("pk")
    # Born at a health station: the birth certificate page is asked.
    other.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    url = f"{BASE}{draft.pk}/giay_chung_sinh/"
    page = other.get(url)
    assert page.status_code == 200
    assert f"reuse-paper-{stored.pk}" not in page.content.decode()
    response = other.post(url, {"action": f"reuse-paper-{stored.pk}"})
    assert response.status_code == 400 and "cannot be found" in response.content.decode()
    for ref in ("paper-x", "result-1", "nothing", f"result-{first.pk}"):
        assert other.post(url, {"action": f"reuse-{ref}"}).status_code == 400
    draft.refresh_from_db()
    assert draft.uploads == {}
