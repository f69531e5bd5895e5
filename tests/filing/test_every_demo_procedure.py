"""The demo works for every procedure it offers online: each is filed online by a
citizen of Bát Xát, lands at a desk where a demo official receives it, is processed
by the demo officials of its competent agency and returned — with the demo's own
logins (motcua.demo.officials), nothing set up by hand."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.catalog.models import FormDefinition
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.actions.runner import action_run, actions_allowed
from motcua.dossiers.models import Channel, Dossier, NationalStatus, Outcome
from motcua.filing.drafts import (
    draft_add_uploads,
    draft_pages,
    draft_save_answer,
    draft_start,
    draft_submit,
)
from motcua.organizations.models import AdministrativeUnit

from .conftest import BIRTH, ID_NUMBER, jpeg_bytes

# The demo officials of Bát Xát, desk first (motcua.demo.officials).
BATXAT = [
    "batxat.tiepnhan",
    "batxat.chuyenvien",
    "batxat.pheduyet",
    "batxat.congan.chuyenvien",
    "batxat.congan.pheduyet",
]
# The straight path of the shipped workflows toward a decision.
FORWARD = ("assign", "propose", "approve")


def raw_answer(page: dict, commune: str) -> object:
    """A valid answer of any question type, as a person would type it."""
    kind = page["type"]
    simple = {
        "text": "Nguyễn Thị Lan",
        "number": str(page.get("min", 1) or 1),
        "date": "01/02/2020",
        "citizen_id": ID_NUMBER,
        "phone": "0912 345 678",
    }
    if kind in simple:
        return simple[kind]
    if kind == "choice":
        return page["options"][0]["value"]
    if kind == "address":
        return {"commune": commune, "street": "Thôn Trung Chải"}
    if kind == "person":
        return {
            "full_name": "Lò Thị Mai",
            "birth_date": BIRTH,
            "sex": "nu",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
        }
    if kind == "repeat":
        item = {sub["id"]: raw_answer(sub, commune) for sub in page["fields"]}
        return [item] * max(1, page.get("min_items", 1))
    if kind == "group":  # the last option of each choice ("no father named"): no lookups
        return {
            sub["id"]: "" if sub["type"] == "citizen_id" else
            sub["options"][-1]["value"] if sub["type"] == "choice" else
            "1" if sub["type"] == "check" else
            commune if sub["type"] == "commune" else raw_answer(sub, commune)
            for sub in page["fields"]
        }
    if kind == "delivery":
        return {"how": "post", "address": ""}
    raise AssertionError(f"no sample answer for {kind}")


def file_online(citizen, code: str, commune: str) -> Dossier:
    version = procedure_get_current(code=code)
    form = FormDefinition.objects.filter(procedure__code=code).order_by("-number").first()
    draft = draft_start(citizen=citizen, procedure_version=version, form_definition=form)
    for _ in range(3):  # answers can reveal pages (show_if): go round until all are there
        for page in draft_pages(draft):
            if page["type"] == "upload":
                if not draft.uploads.get(page["id"]):
                    photo = SimpleUploadedFile("giay.jpg", jpeg_bytes(), "image/jpeg")
                    assert draft_add_uploads(draft=draft, page_id=page["id"], files=[photo]) == []
                    draft.refresh_from_db()
            elif page["id"] not in draft.answers:
                draft_save_answer(draft=draft, page_id=page["id"], raw=raw_answer(page, commune))
    return draft_submit(citizen=citizen, draft_id=draft.pk, key=draft.idempotency_key).dossier


def take_forward(dossier: Dossier, officials: dict) -> Dossier:
    """The first demo official who may move the dossier toward a decision does so."""
    for username in BATXAT:
        for choice in actions_allowed(dossier=dossier, user=officials[username]):
            if choice.key in FORWARD:
                return action_run(
                    key=choice.key,
                    dossier=dossier,
                    actor=officials[username],
                    expected_version=dossier.lock_version,
                )
    raise AssertionError(f"no demo official can move {dossier.code} at {dossier.state}")


@pytest.mark.parametrize(
    "code", sorted({"1.001193", "1.000894", "1.004222", "2.000815", "9.900011"})
)
def test_every_online_demo_procedure_goes_from_filing_to_return(demo, officials, code):
    assert set(FormDefinition.objects.values_list("procedure__code", flat=True)) == {
        "1.001193",
        "1.000894",
        "1.004222",
        "2.000815",
        "9.900011",
    }, "a new online form: add its code here"
    citizen = get_user_model().objects.create_user(username=f"citizen-{code}")
    commune = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True).code
    dossier = file_online(citizen, code, commune)
    assert (dossier.status, dossier.channel) == (NationalStatus.FILED, Channel.ONLINE)

    desk = officials["batxat.tiepnhan"]
    assert "receive" in [c.key for c in actions_allowed(dossier=dossier, user=desk)]
    dossier = action_run(
        key="receive", dossier=dossier, actor=desk, expected_version=dossier.lock_version
    )
    assert dossier.status == NationalStatus.RECEIVED and dossier.due_at is not None
    for _ in range(6):
        if dossier.status == NationalStatus.DECIDED:
            break
        dossier = take_forward(dossier, officials)
    assert (dossier.status, dossier.outcome) == (NationalStatus.DECIDED, Outcome.GRANTED)
    dossier = action_run(
        key="return_result", dossier=dossier, actor=desk, expected_version=dossier.lock_version
    )
    assert dossier.status == NationalStatus.RETURNED
    assert dossier.events.filter(actor__isnull=False).exclude(actor=desk).exists()
