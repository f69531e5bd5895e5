"""Delivery: claiming, idempotency keys, retries with backoff, the budget, the sweeper,
rate limits and the channel fallback, against the simulators in this process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.notifications.channels import registry
from motcua.notifications.models import Notification, NotificationStatus, RateBucket
from motcua.notifications.ratelimit import rate_take
from motcua.notifications.services import (
    contact_preference_set,
    message_template_save,
    notification_deliver,
    notification_write,
    outbox_sweep,
    retry_delay,
)

from .conftest import EMAIL, PHONE

S = NotificationStatus


def write(**fields) -> Notification:
    values = {
        "template": "received",
        "context": {
            "code": "000.00.32.H37-260213-0001",
            "applicant": "Lò Thị Mai",
            "agency": "Trung tâm",
            "procedure": "Đăng ký khai sinh",
            "due_at": "2026-02-24T09:10:00+00:00",
        },
        "recipient_phone": PHONE,
    }
    values.update(fields)
    row = notification_write(**values)
    assert row is not None
    return row


def deliver(row: Notification) -> str:
    outcome = notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    return outcome


def zalo_template() -> None:
    message_template_save(
        key="received",
        subject="Hồ sơ {{ code }} đã được tiếp nhận",
        email_body="Hồ sơ {{ code }} đã được tiếp nhận.",
        sms_body="Hồ sơ {{ code }} đã được tiếp nhận.",
        zalo_template_id="zns-received",
        zalo_params={"ma_ho_so": "{{ code }}"},
    )


# --- the real lifecycle writes the rows; delivery happens on commit --------------------------


def test_status_change_delivers_on_commit_with_the_key_as_request_id(
    gateways, receive, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = receive(phone="+84 912 345 678")
    row = Notification.objects.get(dossier=dossier)
    assert (row.template, row.status, row.channel) == ("received", S.DELIVERED, "sms")
    assert row.attempts == 1 and row.sent_at is not None
    [message] = gateways.sms.ledger.messages()
    assert message["key"] == row.key.hex  # the RequestId is the notification's key
    assert row.provider_reference == message["id"]
    assert message["to"] == "84912345678"
    # The route takes GSM-7: folded, case and punctuation kept, one part.
    assert message["body"]["content"].startswith(f"Ho so {dossier.code} da duoc tiep nhan.")
    assert message["body"]["parts"] == 1 and not message["body"]["unicode"]
    assert row.agency_id == dossier.receiving_agency_id


def test_rolled_back_action_sends_nothing(gateways, receive, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            receive()
            raise RuntimeError("the officer's action failed")
    assert callbacks == [] and gateways.sms.ledger.stats()["submissions"] == 0


def test_email_message_id_is_the_key(gateways, db):
    row = write(recipient_phone="", recipient_email=EMAIL)
    assert deliver(row) == S.DELIVERED
    [message] = gateways.smtp.ledger.messages()
    assert message["key"] == f"<{row.key.hex}@motcua.test>" == row.provider_reference
    assert message["to"] == EMAIL
    assert message["body"]["subject"] == "Hồ sơ 000.00.32.H37-260213-0001 đã được tiếp nhận"


# --- claiming --------------------------------------------------------------------------------


def test_claimed_once_only(gateways, db):
    row = write()
    assert deliver(row) == S.DELIVERED
    assert deliver(row) == "not-claimed"  # a replayed job
    assert gateways.sms.ledger.stats() == {"delivered": 1, "submissions": 1, "duplicates": 0}


def test_a_row_being_sent_or_not_due_is_not_claimed(gateways, db):
    sending = write()
    Notification.objects.filter(pk=sending.pk).update(status=S.SENDING, claimed_at=timezone.now())
    later = write()
    Notification.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert deliver(sending) == "not-claimed"
    assert deliver(later) == "not-claimed"
    assert gateways.sms.ledger.stats()["submissions"] == 0


# --- retries, backoff, budget ---------------------------------------------------------------


def test_backoff_delays(settings):
    settings.NOTIFY_RETRY_DELAY = 300.0
    assert [retry_delay(n) for n in (1, 2, 48)] == [300.0, 300.0, 300.0]  # Notify: 48 × 5 min
    settings.NOTIFY_RETRY_BACKOFF = 2.0
    settings.NOTIFY_RETRY_MAX_DELAY = 3600.0
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5, 6)] == [300, 600, 1200, 2400, 3600, 3600]


def test_failure_goes_back_to_created_with_the_next_attempt_time(gateways, db, settings):
    settings.NOTIFY_SMTP_HOST = ""  # SMS only: no fallback
    gateways.sms.switches.fail = "error"  # "not enough balance"
    row = write()
    before = timezone.now()
    assert deliver(row) == "retry"
    assert (row.status, row.attempts, row.channel, row.channel_pinned) == (
        S.CREATED,
        1,
        "sms",
        False,
    )
    assert "103" in row.last_error
    assert (
        before + timedelta(seconds=1)
        <= row.next_attempt_at
        <= timezone.now() + timedelta(seconds=1)
    )


def test_always_failing_provider_ends_in_technical_failure(gateways, db, settings):
    settings.NOTIFY_SMTP_HOST = ""
    settings.NOTIFY_RETRY_DELAY = 0.05
    gateways.sms.switches.fail = "error"
    row = write()
    for _ in range(10):
        deliver(row)
        if row.status != S.CREATED:
            break
        time.sleep(0.06)
    assert (row.status, row.attempts) == (S.TECHNICAL_FAILURE, 3)
    assert gateways.sms.ledger.stats() == {"delivered": 0, "submissions": 0, "duplicates": 0}


def test_unclear_answer_pins_the_channel_and_the_resend_is_deduplicated(gateways, db):
    contact_preference_set(phone=PHONE, channel="sms")
    gateways.sms.switches.response_delay = 2.5  # answers after the client gave up (2 s)
    row = write(recipient_email=EMAIL)
    assert deliver(row) == "retry"
    assert (row.status, row.channel, row.channel_pinned) == (S.CREATED, "sms", True)
    assert gateways.sms.ledger.stats()["delivered"] == 1  # the gateway did take it
    gateways.sms.switches.response_delay = 0
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver(row) == S.DELIVERED
    assert row.channel == "sms"  # not e-mail, though e-mail is next in the order
    assert gateways.sms.ledger.stats() == {"delivered": 1, "submissions": 2, "duplicates": 1}
    assert gateways.smtp.ledger.stats()["submissions"] == 0
    assert row.provider_reference == gateways.sms.ledger.messages()[0]["id"]


# --- the sweeper -----------------------------------------------------------------------------


def test_sweeper_resends_a_row_left_sending_with_the_same_key(gateways, db, settings, monkeypatch):
    settings.NOTIFY_SENDING_TIMEOUT = 60.0
    row = write()
    sms = registry.get("sms")
    send = sms.send

    def send_then_die(notification):
        send(notification)
        raise SystemExit  # the worker is killed after the gateway took the message

    monkeypatch.setattr(sms, "send", send_then_die)
    with pytest.raises(SystemExit):
        deliver(row)
    monkeypatch.setattr(sms, "send", send)
    row.refresh_from_db()
    assert (row.status, row.channel) == (S.SENDING, "sms")
    assert outbox_sweep().recovered == 0  # not stuck yet: maybe still sending
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    report = outbox_sweep()  # immediate mode: the re-enqueued job runs at once
    row.refresh_from_db()
    assert report.recovered == 1
    assert (row.status, row.attempts, row.channel) == (S.DELIVERED, 2, "sms")
    assert gateways.sms.ledger.stats() == {"delivered": 1, "submissions": 2, "duplicates": 1}
    assert row.provider_reference == gateways.sms.ledger.messages()[0]["id"]


def test_sweeper_requeues_rows_whose_job_was_lost(gateways, db, settings):
    settings.NOTIFY_SWEEP_GRACE = 60.0
    fresh = write()
    lost = write()
    Notification.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=61)
    )
    report = outbox_sweep()
    assert report.requeued == 1
    fresh.refresh_from_db()
    lost.refresh_from_db()
    assert (fresh.status, lost.status) == (S.CREATED, S.DELIVERED)


def test_sweeper_fails_a_stuck_row_whose_budget_is_spent(gateways, db, settings):
    settings.NOTIFY_SENDING_TIMEOUT = 60.0
    row = write()
    Notification.objects.filter(pk=row.pk).update(
        status=S.SENDING, attempts=3, claimed_at=timezone.now() - timedelta(minutes=2)
    )
    assert outbox_sweep().expired == 1
    row.refresh_from_db()
    assert row.status == S.TECHNICAL_FAILURE


# --- rate limits -----------------------------------------------------------------------------


def test_token_bucket(db):
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=1000.0) == 0
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=1000.0) == 0
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=1000.0) == pytest.approx(1.0)
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=1000.5) == pytest.approx(0.5)
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=1001.0) == 0
    # A long pause refills to the burst, not beyond.
    assert rate_take(channel="sms", rate=1.0, burst=2.0, now=2000.0) == 0
    assert RateBucket.objects.get(pk="sms").tokens == pytest.approx(1.0)
    assert rate_take(channel="email", rate=0, burst=0) == 0  # unlimited


def test_rate_limited_send_waits_without_spending_an_attempt(gateways, db, settings):
    settings.NOTIFY_SMTP_HOST = ""
    settings.NOTIFY_SMS_RATE = 0.5
    settings.NOTIFY_SMS_BURST = 1
    first, second = write(), write()
    assert deliver(first) == S.DELIVERED
    assert deliver(second) == "rate-limited"
    assert (second.status, second.attempts) == (S.CREATED, 0)
    wait = (second.next_attempt_at - timezone.now()).total_seconds()
    assert 1.0 < wait <= 2.0  # a token every 2 seconds
    assert gateways.sms.ledger.stats()["submissions"] == 1


# --- channel choice and fallback -------------------------------------------------------------


def test_fallback_order_zalo_sms_email(gateways, db, settings):
    zalo_template()
    settings.NOTIFY_CHANNEL_ORDER = "zalo,sms,email"
    both = write(recipient_email=EMAIL)
    assert deliver(both) == S.DELIVERED and both.channel == "zalo"
    [zns] = gateways.zalo.ledger.messages()
    assert zns["key"] == both.key.hex  # tracking_id
    assert zns["body"] == {
        "template_id": "zns-received",
        "template_data": {"ma_ho_so": "000.00.32.H37-260213-0001"},
    }
    email_only = write(recipient_phone="", recipient_email=EMAIL)
    assert deliver(email_only) == S.DELIVERED and email_only.channel == "email"


def test_preference_comes_first(gateways, db):
    zalo_template()
    contact_preference_set(phone="+84 912 345 678", channel="email")
    row = write(recipient_email=EMAIL)
    assert row.preferred_channel == "email"
    assert deliver(row) == S.DELIVERED and row.channel == "email"


def test_template_without_zns_id_skips_zalo(gateways, db):
    row = write()  # the shipped "received" template has no ZNS template id
    assert deliver(row) == S.DELIVERED and row.channel == "sms"


def test_no_zalo_account_falls_back_at_once(gateways, db):
    zalo_template()
    row = write(recipient_phone="0987654321")  # the simulator knows no Zalo account for it
    assert deliver(row) == "fallback"  # and the job it queued ran at once (immediate mode)
    assert row.status == S.DELIVERED
    assert (row.channel, row.exhausted_channels, row.attempts) == ("sms", ["zalo"], 1)


def test_unreachable_everywhere_is_a_permanent_failure(gateways, db, settings):
    settings.NOTIFY_SMTP_HOST = ""
    gateways.sms.blocked.add("84912345678")
    try:
        row = write()
        assert deliver(row) == S.PERMANENT_FAILURE
    finally:
        gateways.sms.blocked.clear()
    assert row.exhausted_channels == ["sms"]


def test_gateway_down_moves_to_the_next_channel(gateways, db, settings):
    from motcua.notifications.contrib.email.simulator import free_port

    settings.NOTIFY_SMS_URL = f"http://127.0.0.1:{free_port()}/send"  # nobody listens
    row = write(recipient_email=EMAIL)
    assert deliver(row) == "retry"
    assert (row.channel, row.channel_pinned) == ("email", False)  # refused: safe to switch
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver(row) == S.DELIVERED and row.channel == "email"
    assert row.attempts == 2
