"""Officials see only what their agencies receive or handle; the inbox stays cheap."""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.accounts.selectors import official_scope
from motcua.backoffice.selectors import (
    Box,
    InboxFilters,
    agency_clock,
    inbox_page,
    workflow_steps,
)
from motcua.demo.officials import DEMO_PASSWORD
from motcua.dossiers.models import Dossier
from tests.officials import official_login, sign_in_with_password


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_pages_need_a_signed_in_official(client, demo):
    for url in ["/mot-cua/", "/mot-cua/tiep-nhan/", "/mot-cua/tim-kiem/?q=x", "/mot-cua/ho-so/X/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/mot-cua/dang-nhap/?next=")


def test_login_page_signs_in_and_goes_to_the_inbox(client, demo):
    page = client.get("/mot-cua/dang-nhap/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    # The password, then the code of the authenticator app (the demo enrolled one).
    response = sign_in_with_password(client, "batxat.tiepnhan", DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/mot-cua/"


def test_a_user_without_role_gets_a_clear_page(client, demo):
    user = get_user_model().objects.create_user("citizen", password="x-long-password")
    official_login(client, user)
    response = client.get("/mot-cua/")
    assert response.status_code == 403


def test_officials_only_see_their_agencies_dossiers(login, receive):
    ours = receive("batxat")
    theirs = receive("laocai", name="Vàng Văn Sử")
    client = login("batxat.tiepnhan")
    inbox = text(client.get("/mot-cua/", {"box": Box.RECEIVE}))
    assert ours.code in inbox and theirs.code not in inbox
    assert client.get(f"/mot-cua/ho-so/{ours.code}/").status_code == 200
    assert client.get(f"/mot-cua/ho-so/{theirs.code}/").status_code == 404

    # Exact lookups and name search both stay inside the official's agencies.
    def found(query: str) -> list[str]:
        response = client.get("/mot-cua/tim-kiem/", {"q": query})
        assert response.status_code == 200
        return [row.dossier.code for row in response.context["rows"]]

    for query in [theirs.code, "Vàng Văn Sử", "Sử", "010190012345", "0912345678"]:
        assert theirs.code not in found(query)
    assert found(ours.code) == [ours.code]
    assert found("Lò Thị") == [ours.code]
    assert found("+84 912 345 678") == [ours.code]
    assert found("010190012345") == [ours.code]


def test_the_specialist_sees_what_the_committee_processes(login, receive):
    dossier = receive("batxat")
    client = login("batxat.chuyenvien")
    # Received, not yet assigned: nothing for the specialist to process yet …
    assert dossier.code not in text(client.get("/mot-cua/", {"box": Box.PROCESS}))
    # … but the dossier is the committee's, so its page opens.
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 200


def test_the_province_admin_sees_every_agency(login, receive, agencies):
    theirs = receive("laocai")
    client = login("tinh.quantritinh")
    assert client.get(f"/mot-cua/ho-so/{theirs.code}/").status_code == 200
    client.post("/mot-cua/don-vi/", {"agency": agencies["laocai_desk"].pk, "next": "/mot-cua/"})
    assert theirs.code in text(client.get("/mot-cua/", {"box": Box.RECEIVE}))


def test_switching_to_an_agency_without_a_role_is_refused(login, receive, agencies):
    theirs = receive("laocai")
    client = login("batxat.tiepnhan")
    client.post("/mot-cua/don-vi/", {"agency": agencies["laocai_desk"].pk})
    assert theirs.code not in text(client.get("/mot-cua/", {"box": Box.RECEIVE}))


def test_boxes_follow_the_roles(login, receive, file_online):
    receive("batxat")
    file_online("batxat")
    desk = login("batxat.tiepnhan").get("/mot-cua/")
    assert [b["key"] for b in desk.context["boxes"]] == [
        Box.NEW,
        Box.RECEIVE,
        Box.RETURN,
        Box.WAITING,
    ]
    counts = {b["key"]: b["count"] for b in desk.context["boxes"]}
    assert counts[Box.NEW] == "1" and counts[Box.RECEIVE] == "1"
    specialist = login("batxat.chuyenvien").get("/mot-cua/")
    assert [b["key"] for b in specialist.context["boxes"]] == [Box.PROCESS, Box.WAITING]
    approver = login("batxat.pheduyet").get("/mot-cua/")
    assert [b["key"] for b in approver.context["boxes"]] == [Box.APPROVE, Box.WAITING]


def test_the_inbox_opens_on_the_first_box_that_holds_work(login, receive, file_online):
    client = login("batxat.tiepnhan")
    assert client.get("/mot-cua/").context["box"] == Box.NEW  # all empty: the first
    received = receive("batxat")
    assert client.get("/mot-cua/").context["box"] == Box.RECEIVE
    online = file_online("batxat")  # a citizen's dossier waits: it comes first
    page = client.get("/mot-cua/")
    assert page.context["box"] == Box.NEW
    assert online.code in text(page) and received.code not in text(page)
    # A box asked for is the box shown, empty or not.
    assert client.get("/mot-cua/", {"box": Box.RETURN}).context["box"] == Box.RETURN


def test_overdue_and_due_soon_badges_and_filters(login, receive):
    now = timezone.now()
    late = receive("batxat", name="Người Quá Hạn")
    soon = receive("batxat", name="Người Sắp Hạn")
    calm = receive("batxat", name="Người Còn Hạn")
    Dossier.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=2))
    Dossier.objects.filter(pk=soon.pk).update(due_at=now + timedelta(minutes=30))
    Dossier.objects.filter(pk=calm.pk).update(due_at=now + timedelta(days=30))
    client = login("batxat.tiepnhan")
    page = client.get("/mot-cua/", {"box": Box.RECEIVE})
    urgency = {row.dossier.code: row.urgency for row in page.context["page"].rows}
    assert urgency == {late.code: "overdue", soon.code: "due_soon", calm.code: ""}
    overdue = client.get("/mot-cua/", {"box": Box.RECEIVE, "overdue": "on"})
    assert [r.dossier.code for r in overdue.context["page"].rows] == [late.code]
    due_soon = client.get("/mot-cua/", {"box": Box.RECEIVE, "due_soon": "on"})
    assert [r.dossier.code for r in due_soon.context["page"].rows] == [soon.code]
    assert "1.001193" in {
        r.dossier.procedure_version.procedure.code for r in page.context["page"].rows
    }
    other = client.get("/mot-cua/", {"box": Box.RECEIVE, "procedure": "1.000894"})
    assert other.context["page"].rows == []


def test_keyset_pages_cover_the_box_once(receive, officials, agencies):
    made = [receive("batxat", name=f"Người Số {n}").code for n in range(5)]
    scope = official_scope(user=officials["batxat.tiepnhan"])
    steps = workflow_steps()
    clock = agency_clock(agency=agencies["batxat_desk"])
    seen, after = [], ""
    for _page in range(5):
        page = inbox_page(
            scope=scope,
            agency=agencies["batxat_desk"],
            filters=InboxFilters(box=Box.RECEIVE, after=after),
            steps=steps,
            clock=clock,
            size=2,
        )
        seen += [row.dossier.code for row in page.rows]
        after = page.next_cursor
        if not after:
            break
    assert seen == list(reversed(made))


def test_the_inbox_never_counts_a_whole_table(login, receive):
    receive("batxat")
    client = login("batxat.tiepnhan")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/mot-cua/", {"box": Box.RECEIVE, "overdue": "on"})
    assert response.status_code == 200
    dossier_queries = [q["sql"] for q in queries if '"dossiers_dossier"' in q["sql"]]
    assert dossier_queries
    for sql in dossier_queries:
        # Every read of the dossier table is scoped to one agency and bounded.
        assert re.search(r'"(receiving|competent)_agency_id" = ', sql), sql
        assert "LIMIT" in sql, sql


def test_bad_filters_never_give_a_500(login):
    client = login("batxat.chuyenvien")
    for params in [
        {"box": "nope"},
        {"after": "x" * 500},
        {"after": "not-a-date_12", "box": Box.PROCESS},
        {"procedure": "'; drop table"},
    ]:
        assert client.get("/mot-cua/", params).status_code == 200
    assert client.get("/mot-cua/tim-kiem/", {"q": "x" * 500}).status_code == 400


def test_processing_boxes_page_by_due_moment(login, receive, officials, agencies):
    desk = login("batxat.tiepnhan")
    made = []
    for n in range(4):
        dossier = receive("batxat", name=f"Người Số {n}")
        desk.post(
            f"/mot-cua/ho-so/{dossier.code}/xu-ly/",
            {"action": "assign", "expected_version": dossier.lock_version},
        )
        made.append(dossier)
    now = timezone.now()
    dues = [now + timedelta(days=3), None, now - timedelta(days=1), now + timedelta(days=1)]
    for dossier, due in zip(made, dues, strict=True):
        Dossier.objects.filter(pk=dossier.pk).update(due_at=due)
    scope = official_scope(user=officials["batxat.chuyenvien"])
    committee = agencies["batxat_committee"]
    steps, clock = workflow_steps(), agency_clock(agency=committee)
    seen, after = [], ""
    for _page in range(6):
        page = inbox_page(
            scope=scope,
            agency=committee,
            filters=InboxFilters(box=Box.PROCESS, after=after),
            steps=steps,
            clock=clock,
            size=1,
        )
        seen += [row.dossier.pk for row in page.rows]
        after = page.next_cursor
        if not after:
            break
    # Most urgent first, undated last, each once.
    assert seen == [made[2].pk, made[3].pk, made[0].pk, made[1].pk]
    specialist = login("batxat.chuyenvien").get("/mot-cua/", {"box": Box.PROCESS})
    urgency = [row.urgency for row in specialist.context["page"].rows]
    assert urgency[0] == "overdue"
