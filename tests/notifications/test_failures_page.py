"""A provider that always fails: technical-failure after the retry budget, shown to the
officers of the receiving desk (and nobody else), and their retry delivers it."""

from __future__ import annotations

import time

from django.urls import reverse

from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.services import notification_deliver

S = NotificationStatus


def run_budget(row: Notification) -> None:
    for _ in range(20):
        notification_deliver(notification_id=row.pk)
        row.refresh_from_db()
        if row.status != S.CREATED:
            return
        time.sleep(0.06)


def test_failed_notification_is_shown_and_retried(
    gateways, receive, login, client, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_SMTP_HOST = ""  # SMS only
    settings.NOTIFY_RETRY_DELAY = 0.05
    gateways.sms.switches.fail = "error"
    dossier = receive(team="batxat")
    row = Notification.objects.get(dossier=dossier)
    run_budget(row)
    assert (row.status, row.attempts) == (S.TECHNICAL_FAILURE, 3)
    assert "103" in row.last_error

    url = reverse("backoffice:notifications_failed")
    login("laocai.tiepnhan")  # another commune's desk
    assert dossier.code not in client.get(url).content.decode()

    login("batxat.tiepnhan")
    page = client.get(url).content.decode()
    assert dossier.code in page and reverse("backoffice:notification_retry", args=[row.pk]) in page
    assert "SMS gateway code 103" in page

    gateways.sms.switches.fail = ""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:notification_retry", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.DELIVERED, 1)
    assert gateways.sms.ledger.stats() == {"delivered": 1, "submissions": 1, "duplicates": 0}
    page = client.get(url).content.decode()
    assert dossier.code not in page and "gui-lai" not in page
    # A second retry of a delivered row is refused, and another desk cannot retry at all.
    assert client.post(reverse("backoffice:notification_retry", args=[row.pk])).status_code == 404


def test_other_desks_cannot_retry_and_strangers_are_sent_to_login(
    gateways, receive, login, client, settings
):
    dossier = receive(team="batxat")
    row = Notification.objects.get(dossier=dossier)
    Notification.objects.filter(pk=row.pk).update(status=S.TECHNICAL_FAILURE)
    url = reverse("backoffice:notifications_failed")
    assert client.get(url).status_code == 302  # not signed in
    login("laocai.tiepnhan")
    assert client.post(reverse("backoffice:notification_retry", args=[row.pk])).status_code == 404
    login("tinh.quantritinh")  # the province administrator sees every agency
    assert dossier.code in client.get(url).content.decode()


def test_admin_lists_and_retries_failed_notifications(
    gateways, receive, admin_client, django_capture_on_commit_callbacks
):
    dossier = receive(team="batxat")
    row = Notification.objects.get(dossier=dossier)
    Notification.objects.filter(pk=row.pk).update(status=S.TECHNICAL_FAILURE, attempts=3)
    url = "/admin/notifications/notification/"
    page = admin_client.get(url, {"q": f"<{row.key.hex}@motcua.test>"})  # a Message-ID
    assert page.status_code == 200 and f"{url}{row.pk}/" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "send_again", "_selected_action": [row.pk], "index": 0}
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == S.DELIVERED
