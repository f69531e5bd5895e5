"""Deadline jobs: overdue marking, the officer's reminder 1 working day before due (once),
the apology window, and the leaders' daily digest. Wednesday 4 March 2026, 09:00."""

from __future__ import annotations

from datetime import datetime

import pytest

from motcua.core.calendar import VN_TZ
from motcua.core.tasks import vn_crontab
from motcua.dossiers.models import Dossier
from motcua.dossiers.timing import dossiers_mark_overdue
from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.selectors import dossiers_apology_window, dossiers_due_within
from motcua.notifications.services import (
    WORKING_DAY,
    deadline_reminders_send,
    leader_digests_send,
    notification_deliver,
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


NOW = at(2026, 3, 4, 9, 0)


@pytest.fixture
def dossiers(receive, officials):
    specialist = officials["batxat.chuyenvien"]
    specialist.email = "minh@batxat.vn"
    specialist.save()
    leader = officials["batxat.lanhdao"]
    leader.email = "hung@batxat.vn"
    leader.save()
    made = {}
    for name, due in {
        "soon": at(2026, 3, 4, 16, 0),  # 6 working hours left
        "window": at(2026, 3, 5, 15, 0),  # 1 day 6 hours: the last day to apologise
        "later": at(2026, 3, 10, 9, 0),
        "late": at(2026, 3, 3, 10, 0),
        "paused": at(2026, 3, 3, 10, 0),
    }.items():
        dossier = receive(team="batxat")
        Dossier.objects.filter(pk=dossier.pk).update(due_at=due, assignee=specialist)
        made[name] = dossier
    Dossier.objects.filter(pk=made["paused"].pk).update(paused_at=at(2026, 3, 2, 9, 0))
    return made


def test_overdue_marking_is_one_update_of_is_late(dossiers, django_assert_num_queries):
    before = {d.pk: d.lock_version for d in Dossier.objects.all()}
    with django_assert_num_queries(1):
        assert dossiers_mark_overdue(now=NOW) == 1
    assert set(Dossier.objects.filter(is_late=True).values_list("pk", flat=True)) == {
        dossiers["late"].pk
    }
    assert {d.pk: d.lock_version for d in Dossier.objects.all()} == before
    assert dossiers_mark_overdue(now=NOW) == 0


def test_due_soon_and_apology_window(dossiers):
    codes = {d.code: name for name, d in dossiers.items()}
    assert [codes[d.code] for d in dossiers_due_within(now=NOW, amount=WORKING_DAY)] == ["soon"]
    assert [codes[d.code] for d in dossiers_apology_window(now=NOW)] == ["window"]
    Dossier.objects.filter(pk=dossiers["window"].pk).update(apologies=1)
    assert dossiers_apology_window(now=NOW) == []  # rescheduled once already: no second time


def test_reminder_once_per_dossier_and_due_moment(dossiers, gateways):
    assert deadline_reminders_send(now=NOW) == 1
    assert deadline_reminders_send(now=NOW) == 0
    row = Notification.objects.get(template="reminder")
    assert (row.dossier_id, row.recipient_email, row.preferred_channel) == (
        dossiers["soon"].pk,
        "minh@batxat.vn",
        "email",
    )
    assert row.agency_id == dossiers["soon"].competent_agency_id
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.DELIVERED
    [mail] = gateways.smtp.ledger.messages()
    assert (
        mail["body"]["subject"]
        == f"Sắp đến hạn: hồ sơ {dossiers['soon'].code} (16:00 ngày 04/03/2026)"
    )
    # A new due moment (after an apology) is a new reminder.
    Dossier.objects.filter(pk=dossiers["soon"].pk).update(due_at=at(2026, 3, 4, 16, 30))
    assert deadline_reminders_send(now=NOW) == 1


def test_leader_digest_once_a_day(dossiers, gateways):
    assert leader_digests_send(now=NOW) == 1
    assert leader_digests_send(now=NOW) == 0
    row = Notification.objects.get(template="leader_digest")
    assert row.recipient_email == "hung@batxat.vn"
    [agency] = row.context["agencies"]
    assert agency["overdue"] == [dossiers["late"].code] and agency["overdue_count"] == 1
    assert [item["code"] for item in agency["at_risk"]] == [dossiers["window"].code]
    notification_deliver(notification_id=row.pk)
    [mail] = gateways.smtp.ledger.messages()
    assert dossiers["late"].code in mail["body"]["text"]
    assert f"{dossiers['window'].code}, hạn 15:00 ngày 05/03/2026" in mail["body"]["text"]


def test_periodic_jobs_run_in_vietnam_time():
    seven_am = vn_crontab(hour="7", minute="0")
    assert seven_am(datetime(2026, 3, 4, 0, 0))  # Huey passes naive UTC: 07:00 in Hà Nội
    assert not seven_am(datetime(2026, 3, 4, 7, 0))
