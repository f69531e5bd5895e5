"""draft_save_answer writes one page's answer inside the stored answers in one statement:
what another tab saved meanwhile stays, the page's "filled in for you" mark goes, and
nothing is written once the form was sent."""

from __future__ import annotations

import pytest

from motcua.dossiers.models import Draft
from motcua.filing.drafts import FOUND, PREFILLED, DraftError, draft_save_answer

from .test_journey import BASE, submitted_draft
from .test_prefill import start


def test_two_tabs_keep_each_others_answers(demo, client_in):
    draft = start(client_in, "1.001193")
    tab_a = Draft.objects.get(pk=draft.pk)
    tab_b = Draft.objects.get(pk=draft.pk)  # opened before tab A saved
    draft_save_answer(draft=tab_a, page_id="quan_he", raw="me")
    draft_save_answer(draft=tab_b, page_id="cccd_nguoi_khai", raw="010190000123",
                      current_page="noi_o")
    stored = Draft.objects.get(pk=draft.pk)
    assert stored.answers["quan_he"] == "me"
    assert stored.answers["cccd_nguoi_khai"] == "010190000123"
    assert stored.current_page == "noi_o"
    assert tab_b.answers == stored.answers  # the row as written, not the stale copy
    assert stored.updated_at > draft.updated_at


def test_an_answer_is_kept_in_nfc_with_its_lookups_and_without_its_prefilled_mark(
    demo, client_in
):
    draft = start(client_in, "1.001193")
    Draft.objects.filter(pk=draft.pk).update(answers={
        "nguoi_khai": {"full_name": "Lò Thị Mai"},
        PREFILLED: {"nguoi_khai": "profile", "dien_thoai": "account"},
    })
    draft.refresh_from_db()
    decomposed = "Lo\u0300 Thi\u0323 Mai"  # a phone keyboard's combining marks
    draft_save_answer(draft=draft, page_id="nguoi_khai", raw={"full_name": decomposed},
                      found={"x": {"status": "not_found"}})
    stored = Draft.objects.get(pk=draft.pk).answers
    assert stored["nguoi_khai"] == {"full_name": "Lò Thị Mai"}
    assert stored[PREFILLED] == {"dien_thoai": "account"}
    assert stored[FOUND] == {"nguoi_khai": {"x": {"status": "not_found"}}}


def test_nothing_is_written_once_the_form_was_sent(demo, client_in, commune_code):
    draft = submitted_draft(client_in, commune_code)
    client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"draft": draft.pk, "key": draft.idempotency_key})
    assert Draft.objects.get(pk=draft.pk).dossier_id is not None
    before = Draft.objects.get(pk=draft.pk).answers
    with pytest.raises(DraftError):
        draft_save_answer(draft=draft, page_id="quan_he", raw="cha")
    assert Draft.objects.get(pk=draft.pk).answers == before


def test_a_page_id_that_is_not_a_plain_name_is_refused(demo, client_in):
    draft = start(client_in, "1.001193")
    with pytest.raises(DraftError):
        draft_save_answer(draft=draft, page_id='x"] , "$', raw="1")
