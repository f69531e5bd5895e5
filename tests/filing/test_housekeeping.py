"""Abandoned drafts are deleted with their photos; submitted drafts lose their copies of
the files (the dossier keeps its own); recent drafts are untouched."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierPaper, Draft
from motcua.filing.drafts import drafts_purge

from .conftest import jpeg_bytes
from .test_journey import BASE, start, submitted_draft, upload


def _age(draft: Draft, days: int) -> None:
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_purge_abandoned_and_submitted(demo, client_in, commune_code, settings):
    settings.MOTCUA_DRAFT_KEEP_DAYS = 90
    settings.MOTCUA_DRAFT_NOTICE_DAYS = 0  # the notice before deletion: test_retention.py
    old = start(client_in)
    assert upload(client_in, old, jpeg_bytes()).status_code == 302
    old.refresh_from_db()
    old_path = old.uploads["giay_chung_sinh"][0]["path"]
    _age(old, 91)
    recent = start(client_in)
    assert upload(client_in, recent, jpeg_bytes()).status_code == 302
    recent.refresh_from_db()
    _age(recent, 89)
    sent = submitted_draft(client_in, commune_code)
    sent_path = sent.uploads["giay_chung_sinh"][0]["path"]
    client_in.post(f"{BASE}{sent.pk}/kiem-tra/", {"key": sent.idempotency_key})
    assert default_storage.exists(old_path) and default_storage.exists(sent_path)

    report = drafts_purge()
    assert (report.abandoned, report.files) == (1, 2)
    assert not Draft.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old_path) and not default_storage.exists(sent_path)
    recent.refresh_from_db()
    assert default_storage.exists(recent.uploads["giay_chung_sinh"][0]["path"])
    sent.refresh_from_db()
    assert sent.uploads == {} and sent.dossier_id
    paper = DossierPaper.objects.get(dossier=Dossier.objects.get(pk=sent.dossier_id))
    assert paper.file and default_storage.exists(paper.file.name)
    assert drafts_purge() == type(report)(abandoned=0, files=0)  # idempotent
