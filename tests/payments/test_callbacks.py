"""Every online method: replays, forgeries, order of arrival, timeouts — and exactly
one payment each time (issue 10, "Done when")."""

from __future__ import annotations

import pytest

from motcua.dossiers.models import NationalStatus
from motcua.payments.models import (
    Attempt,
    AttemptState,
    BillState,
    CallbackLog,
    Payment,
    Refund,
    RefundReason,
)
from motcua.payments.reconcile import attempts_pending_query
from tests.payments.conftest import (
    ONLINE,
    accepted,
    altered,
    callback_of,
    deliver,
    settle,
    start,
)

pytestmark = pytest.mark.django_db

CARD = ["vnpay", "payos", "dvcqg"]  # a payer can cancel; VietQR transfers cannot fail


@pytest.mark.parametrize("method", ONLINE)
def test_a_callback_replayed_ten_times_pays_once(client, gateways, fee_dossier, method):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, method)
    callback = callback_of(gateways, method, settle(gateways, attempt))
    for _ in range(10):
        assert accepted(method, deliver(client, callback))
    bill.refresh_from_db()
    dossier.refresh_from_db()
    assert Payment.objects.filter(bill=bill).count() == 1
    assert (bill.state, bill.paid_vnd) == (BillState.PAID, 8000)
    # The dossier moved on by itself; the Decision 766 facts are on it.
    assert dossier.status == NationalStatus.RECEIVED and dossier.fee_paid_at
    assert dossier.paid_online
    assert dossier.payment_platform == ("national" if method == "dvcqg" else "province")
    assert CallbackLog.objects.filter(method=method, accepted=True).count() == 10
    assert not Refund.objects.exists()


@pytest.mark.parametrize("method", ONLINE)
@pytest.mark.parametrize("what", ["amount", "reference", "signature", "unsigned"])
def test_forged_and_altered_callbacks_are_refused_and_logged(
    client, gateways, fee_dossier, method, what
):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, method)
    genuine = callback_of(gateways, method, settle(gateways, attempt))
    answer = deliver(client, altered(genuine, what))
    assert not accepted(method, answer)
    assert not Payment.objects.exists()
    log = CallbackLog.objects.get(method=method)
    assert not log.accepted and log.problem
    # The genuine one still goes through, once.
    assert accepted(method, deliver(client, genuine))
    assert Payment.objects.filter(bill=bill).count() == 1


@pytest.mark.parametrize("method", CARD)
def test_the_callback_before_the_browser_comes_back(client, gateways, fee_dossier, citizen, method):
    dossier = fee_dossier(8000)
    attempt = start(dossier.bills.get(), method)
    order = settle(gateways, attempt)
    assert accepted(method, deliver(client, callback_of(gateways, method, order)))
    client.force_login(citizen)
    location = gateways[method].return_location(order).replace("http://testserver", "")
    page = client.get(location, follow=True)
    assert page.context["attempt"].state == AttemptState.PAID
    assert "paid" in page.context["view"].state
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("method", CARD)
def test_the_browser_comes_back_first_and_the_gateway_is_asked(
    client, gateways, fee_dossier, citizen, method
):
    dossier = fee_dossier(8000)
    attempt = start(dossier.bills.get(), method)
    order = settle(gateways, attempt)
    location = gateways[method].return_location(order)
    client.force_login(citizen)
    # The return address's own "paid" is not believed: the page asks the gateway.
    page = client.get(location.replace("http://testserver", ""), follow=True)
    assert page.context["attempt"].state == AttemptState.PAID
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PAID
    assert accepted(method, deliver(client, callback_of(gateways, method, order)))
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("method", CARD)
def test_callbacks_out_of_order(client, gateways, fee_dossier, method):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    first = start(bill, method)
    # payOS sends webhooks for payments only: its failures are learnt by asking.
    failed = gateways[method].callback_for(settle(gateways, first, "failed"))
    second = start(bill, method)
    paid = callback_of(gateways, method, settle(gateways, second))
    # The success of the second attempt arrives before the failure of the first.
    assert accepted(method, deliver(client, paid))
    for callback in (failed, paid, failed):
        if callback is not None:
            deliver(client, callback)
    attempts_pending_query(older_than=0)
    bill.refresh_from_db()
    assert bill.state == BillState.PAID and Payment.objects.count() == 1
    first.refresh_from_db()
    assert first.state == AttemptState.FAILED


@pytest.mark.parametrize("method", CARD)
def test_a_failure_then_a_late_success_is_accepted(client, gateways, fee_dossier, method):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, method)
    sim = gateways[method]
    order = settle(gateways, attempt, "failed")
    if (failure := sim.callback_for(order)) is not None:
        deliver(client, failure)
    else:
        attempts_pending_query(older_than=0)
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FAILED
    # The gateway settles it after all (a bank that answered late).
    order.status, order.paid_at = "paid", order.created_at + 1
    order.extra.pop("response_code", None)
    for _ in range(3):
        assert accepted(method, deliver(client, callback_of(gateways, method, order)))
    attempt.refresh_from_db()
    bill.refresh_from_db()
    assert attempt.state == AttemptState.PAID and bill.state == BillState.PAID
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("method", ONLINE)
def test_a_gateway_that_times_out_then_succeeds_late(settings, gateways, fee_dossier, method):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, method)
    settle(gateways, attempt)  # paid at the gateway; the callback is lost
    settings.PAY_HTTP_TIMEOUT = 0.3
    sim = gateways[method]
    sim.switches.query_next = 1
    sim.switches.query = "timeout"
    report = attempts_pending_query(older_than=0)
    assert (report.asked, report.errors) == (1, 1)
    attempt.refresh_from_db()
    assert attempt.state in (AttemptState.STARTED, AttemptState.PENDING)
    # Fifteen minutes later the gateway answers: paid.
    Attempt.objects.filter(pk=attempt.pk).update(queried_at=None)
    report = attempts_pending_query(older_than=0)
    assert report.paid == 1
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.PAID
    assert Payment.objects.filter(bill=bill).count() == 1
    assert attempts_pending_query(older_than=0).asked == 0


def test_a_second_transfer_for_a_paid_bill_goes_to_the_refund_list(client, gateways, fee_dossier):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, "vietqr")
    deliver(client, callback_of(gateways, "vietqr", settle(gateways, attempt)))
    again = gateways["vietqr"].transfer(attempt.reference, 8000)
    deliver(client, callback_of(gateways, "vietqr", again))
    deliver(client, callback_of(gateways, "vietqr", again))  # and its replay
    bill.refresh_from_db()
    assert bill.paid_vnd == 8000 and bill.state == BillState.PAID
    assert Payment.objects.count() == 1
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount_vnd) == (RefundReason.DUPLICATE, 8000)


def test_an_overpaid_transfer_refunds_the_difference(client, gateways, fee_dossier):
    dossier = fee_dossier(8000)
    bill = dossier.bills.get()
    attempt = start(bill, "vietqr")
    deliver(client, callback_of(gateways, "vietqr", settle(gateways, attempt, amount=10000)))
    bill.refresh_from_db()
    assert bill.state == BillState.PAID
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount_vnd) == (RefundReason.OVERPAID, 2000)


def test_a_transfer_naming_no_bill_is_kept_for_refund(client, gateways, demo):
    order = gateways["vietqr"].transfer("chuyen tien hoc phi", 50000)
    deliver(client, callback_of(gateways, "vietqr", order))
    deliver(client, callback_of(gateways, "vietqr", order))
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount_vnd, refund.bill) == (RefundReason.UNMATCHED, 50000, None)
