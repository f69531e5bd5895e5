"""The citizen's "Send" on the check page, pressed twice with the page's one-use key
(motcua.core.once): one dossier, and the repeat gets the first answer without the
submission running again."""

from __future__ import annotations

import re

from motcua.dossiers.models import Dossier
from motcua.filing import drafts

from .birth import BASE
from .conftest import ID_NUMBER
from .test_journey import submitted_draft

KEY = re.compile(r'name="_once" value="([A-Za-z0-9_-]{32})"')


def test_sending_twice_with_the_pages_key_makes_one_dossier(
    demo, client_in, commune_code, monkeypatch
):
    draft = submitted_draft(client_in, commune_code)
    url = f"{BASE}{draft.pk}/kiem-tra/"
    page = client_in.get(url).content.decode()
    keys = KEY.findall(page)
    assert len(keys) == 1
    runs = []
    real_submit = drafts.draft_submit

    def counted(**kwargs):
        runs.append(kwargs["draft_id"])
        return real_submit(**kwargs)

    monkeypatch.setattr(drafts, "draft_submit", counted)
    data = {"draft": draft.pk, "key": draft.idempotency_key, "_once": keys[0]}
    first = client_in.post(url, data)
    again = client_in.post(url, data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"{BASE}{draft.pk}/da-nop/"
    assert runs == [draft.pk]  # the repeat was answered from the key
    assert Dossier.objects.filter(applicant_id_number=ID_NUMBER).count() == 1


def test_a_question_page_keeps_its_key_through_autosaves(demo, client_in, commune_code):
    """The autosave (filing.js) sends the page without the key: "Continue" still runs."""
    start = client_in.post(BASE)
    page_url = start["Location"]
    page = client_in.get(page_url).content.decode()
    key = KEY.findall(page)[0]
    answer = {
        "full_name": "Lò Thị Mai",
        "birth_date": "05/03/1990",
        "sex": "nu",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
    }
    assert client_in.post(page_url, {**answer, "action": "autosave"}).status_code == 204
    sent = client_in.post(page_url, {**answer, "action": "continue", "_once": key})
    assert sent.status_code == 302 and sent["Location"] != page_url
