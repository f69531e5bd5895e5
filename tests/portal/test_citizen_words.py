"""The dossier's story in the citizen's words (issue 12): every action and every step has
a citizen wording, so no new action or workflow step can show the officials' names
("Trình phê duyệt", "Chờ phê duyệt", "Chuyển chuyên viên xử lý") on the citizen's
dossier page, the public tracking page or the tracking API; walked through the demo's
workflow (file → receive → assign → propose → approve → return the result)."""

from __future__ import annotations

import copy
import html
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from motcua.catalog.selectors import procedure_get_current
from motcua.core.models import RateCounter
from motcua.dossiers import services
from motcua.dossiers.actions import ACTIONS, Party, merge
from motcua.dossiers.models import DossierEvent, NationalStatus
from motcua.dossiers.tracking import (
    CITIZEN_WORDS,
    citizen_event_text,
    citizen_step_text,
    step_kind,
)
from motcua.workflows.definitions import SHIPPED

BIRTH = "1.001193"
# Names the brief saw on citizen pages, beside every label of the shipped workflows.
OFFICIAL_WORDS = {"Phân công", "Chuyển xử lý", "Trình phê duyệt"}


def official_labels() -> set[str]:
    labels = set(OFFICIAL_WORDS)
    for _name, definition in SHIPPED.values():
        labels |= {s["label"] for s in definition["states"].values()}
        labels |= {a["label"] for a in definition["actions"].values()}
    return labels


def citizen_texts() -> set[str]:
    texts = {str(a.citizen) for a in ACTIONS.values()}
    for event, now in CITIZEN_WORDS.values():
        texts |= {str(now)} | ({str(event)} if event is not None else set())
    return texts


def shown(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def leaked(text: str) -> list[str]:
    lowered = text.casefold()
    return sorted(label for label in official_labels() if label.casefold() in lowered)


# --- one table, every action ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_every_registered_action_has_a_citizen_wording():
    for key, action in ACTIONS.items():
        text = str(getattr(action, "citizen", "") or "").strip()
        assert text, f"action {key!r} has no wording for citizens"
        assert not leaked(text), key
        if action.party != Party.NOBODY:
            # What the official clicks is not what the citizen reads.
            assert text != str(action.label), key


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_every_action_and_step_of_the_shipped_workflows_has_citizen_words(code):
    definition = merge(SHIPPED[code][1])
    allowed = citizen_texts()
    for key, spec in definition["actions"].items():
        for source in spec["from"]:
            event = DossierEvent(
                action=key, from_state=source, to_state="" if spec["to"].startswith("@") else
                spec["to"], status=NationalStatus.PROCESSING,
            )
            text = citizen_event_text(definition, event)
            assert text in allowed, (key, text)
            assert not leaked(text), (key, text)
    for state, spec in definition["states"].items():
        text = citizen_step_text(definition, state, spec["status"])
        assert step_kind(definition, state) in CITIZEN_WORDS, state
        assert text in allowed and not leaked(text), (state, text)


def test_a_workflow_written_later_is_told_by_who_holds_each_step():
    """An administrator's workflow with its own names: the citizen reads the table's
    words, by who holds the step (role, consultation, another agency's part)."""
    definition = copy.deepcopy(SHIPPED["commune-consultation"][1])
    definition["states"]["approving"]["label"] = "Chờ ký số"
    definition["states"]["shared"] = {
        "label": "Chuyển công an", "status": 4, "role": "specialist",
        "agency_type": "commune_police",
    }
    definition["actions"]["tham_muu"] = {
        "label": "Tham mưu UBND", "from": ["appraising"], "to": "approving",
        "roles": ["specialist"],
    }
    definition["actions"]["chuyen_cong_an"] = {
        "label": "Chuyển công an xác minh", "from": ["appraising"], "to": "shared",
        "roles": ["specialist"],
    }
    merged = merge(definition)

    def event(key, source, target):
        return citizen_event_text(merged, DossierEvent(
            action=key, from_state=source, to_state=target, status=4,
        ))

    assert event("tham_muu", "appraising", "approving") == "Sent to the leader for signature"
    assert event("consult", "appraising", "consulting") == "Sent to another agency for its opinion"
    assert event("consultation_answered", "consulting", "appraising") == (
        "The other agency has done its part; an officer goes on with your dossier"
    )
    assert event("chuyen_cong_an", "appraising", "shared") == (
        "Passed on to another agency that handles its part"
    )
    assert event("approve", "approving", "decided") == "The result is ready"
    assert citizen_step_text(merged, "approving", 4) == (
        "Your dossier is waiting for the leader's signature"
    )
    assert citizen_step_text(merged, "consulting", 4) == "Waiting for another agency's opinion"
    assert citizen_step_text(merged, "shared", 4) == (
        "Another agency is handling its part of your dossier"
    )
    # An action a later version dropped: the national status, never its old label.
    assert citizen_event_text(merged, DossierEvent(action="gone", status=4)) == str(
        NationalStatus.PROCESSING.label
    )


# --- a dossier walked through the demo workflow -------------------------------------------------


def client(user=None, language: str = "vi") -> Client:
    c = Client()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        c.force_login(user)
    return c


def main_of(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    return html.unescape(
        shown(body.split('<main id="main" class="wrap">')[1].split("</main>")[0])
    )


def test_no_official_step_name_on_the_citizen_pages_through_the_demo_workflow(
    demo, officials, agencies
):
    user = get_user_model().objects.create_user(username="0912345678")
    dossier = services.dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=services.Applicant(name="Lò Thị Mai", phone="0912345678"),
        receiving_agency=agencies["batxat_desk"],
        citizen=user,
    )

    def pages(expect_step: str | None, expect_history: list[str], status: str) -> None:
        RateCounter.objects.all().delete()  # the tracking page counts attempts per address
        for language in ("vi", "en"):
            mine = main_of(client(user, language).get(f"/ho-so-cua-toi/{dossier.code}/"))
            tracked = main_of(client(None, language).post(
                "/tra-cuu/", {"code": dossier.code, "phone_last4": "5678"}
            ))
            api = client(None, language).get(
                f"/api/v1/dossiers/{dossier.code}/status", {"phone_last4": "5678"}
            )
            assert api.status_code == 200
            for where, text in (("mine", mine), ("track", tracked), ("api", api.content.decode())):
                assert not leaked(text), (dossier.state, language, where, leaked(text))
            if language == "en":
                for line in expect_history:
                    assert line in mine and line in tracked, (dossier.state, line)
                assert [e["text"] for e in api.json()["history"]] == expect_history
                if expect_step:
                    assert expect_step in tracked and api.json()["step"] == expect_step
                # The status in the citizen's words, as on their own page.
                assert f'<dd class="big">{status}</dd>' in tracked

    history = ["Filed online"]
    pages("Sent, waiting to be received", history, "Sent, waiting to be received")
    dossier = services.dossier_receive(
        dossier=dossier, officer=officials["batxat.tiepnhan"],
        expected_version=dossier.lock_version,
    )
    history.append("Received by the one-stop desk")
    pages(
        "At the one-stop desk, to be passed on to the officer who will handle it", history,
        "Being processed",
    )
    for user_name, action, line, step in (
        ("tiepnhan", "assign", "Passed on to an officer, who examines your dossier",
         "An officer is examining your dossier"),
        ("chuyenvien", "propose", "Sent to the leader for signature",
         "Your dossier is waiting for the leader's signature"),
        ("pheduyet", "approve", "The result is ready", None),
    ):
        dossier = services.dossier_act(
            dossier=dossier, officer=officials[f"batxat.{user_name}"], action=action,
            expected_version=dossier.lock_version,
        )
        history.append(line)
        pages(step, history, "Being processed" if step else "Result ready")
    assert dossier.status == NationalStatus.DECIDED
    dossier = services.dossier_return_result(
        dossier=dossier, officer=officials["batxat.tiepnhan"],
        expected_version=dossier.lock_version,
    )
    history.append("Result returned")
    pages("Result returned", history, "Result returned")
