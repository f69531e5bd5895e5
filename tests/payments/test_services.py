"""Bills at filing, exemptions, the counter, refunds, reconciliation and receipts."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override
from pypdf import PdfReader

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.inputs import Applicant
from motcua.dossiers.models import DossierEvent, NationalStatus
from motcua.dossiers.services import (
    dossier_file_online,
    dossier_receive,
    dossier_request_withdrawal,
    dossier_stop,
)
from motcua.payments.models import (
    BillState,
    Exemption,
    Payment,
    Reconciliation,
    Refund,
    RefundReason,
    RefundState,
)
from motcua.payments.receipts import receipt_pdf
from motcua.payments.reconcile import reconcile_day
from motcua.payments.selectors import bill_rates
from motcua.payments.services import (
    PaymentError,
    bill_claim_rate,
    bill_decide_exemption,
    bill_for_filing,
    payment_record_counter,
    refund_approve,
    refund_done,
    refunds_collect,
)
from tests.payments.conftest import callback_of, deliver, settle, start

pytestmark = pytest.mark.django_db

MARRIAGE_STATUS = "9.900035"  # "nộp trực tuyến: 2.500 đồng/ trường hợp"
CRIMINAL_RECORD = "9.900021"  # 200.000; students 100.000; children … free


@pytest.fixture
def filed(agencies, citizen):
    def make(code: str = MARRIAGE_STATUS):
        dossier = dossier_file_online(
            procedure_version=procedure_get_current(code=code),
            applicant=Applicant(
                name="Lò Văn Páo",
                id_number="010190054321",
                birth_date=date(1990, 2, 1),
                phone="0912000111",
            ),
            receiving_agency=agencies["batxat_desk"],
            citizen=citizen,
        )
        bill = bill_for_filing(dossier=dossier, answers={})
        dossier.refresh_from_db()
        return dossier, bill

    return make


def test_a_fixed_fee_is_billed_at_filing_and_paid_ahead(client, gateways, filed):
    dossier, bill = filed()
    assert (bill.total_vnd, bill.state, dossier.fee_amount) == (2500, BillState.OPEN, 2500)
    attempt = start(bill, "dvcqg")
    deliver(client, callback_of(gateways, "dvcqg", settle(gateways, attempt)))
    dossier.refresh_from_db()
    # Paid before reception: no step changes, the facts and the history do.
    assert dossier.status == NationalStatus.FILED
    assert dossier.paid_online and dossier.payment_platform == "national"
    assert DossierEvent.objects.filter(dossier=dossier, action="payment_received").count() == 1


def test_a_free_procedure_gets_no_bill(filed):
    _dossier, bill = filed("1.001193")
    assert bill is None


def test_a_claimed_waiver_waits_for_the_officer(gateways, filed, desk):
    dossier, bill = filed(CRIMINAL_RECORD)
    assert bill.total_vnd == 200_000
    waiver = next(r for r in bill_rates(bill=bill) if r.amount_vnd == 0)
    bill_claim_rate(bill=bill, rate_key=waiver.key)
    bill.refresh_from_db()
    assert bill.exemption == Exemption.CLAIMED
    with override("en"), pytest.raises(PaymentError, match="checking the reduced rate"):
        start(bill, "vnpay")
    bill_decide_exemption(bill=bill, officer=desk, accept=True)
    bill.refresh_from_db()
    dossier.refresh_from_db()
    assert (bill.total_vnd, bill.state, bill.exemption) == (0, BillState.PAID, Exemption.CONFIRMED)
    assert dossier.fee_paid_at is not None and not Payment.objects.exists()


def test_a_rejected_claim_keeps_the_full_fee(filed, desk):
    _dossier, bill = filed(CRIMINAL_RECORD)
    reduced = next(r for r in bill_rates(bill=bill) if r.amount_vnd == 100_000)
    bill_claim_rate(bill=bill, rate_key=reduced.key)
    bill_decide_exemption(bill=bill, officer=desk, accept=False)
    bill.refresh_from_db()
    assert (bill.total_vnd, bill.exemption, bill.state) == (200_000, Exemption.REJECTED, "open")


def test_the_counter_takes_exactly_what_is_owed_and_numbers_receipts(fee_dossier, desk, officials):
    first = fee_dossier(8000)
    with override("en"), pytest.raises(PaymentError, match="8000"):
        payment_record_counter(bill=first.bills.get(), officer=desk, amount_vnd=5000)
    with pytest.raises(ActionNotAllowed):  # another commune's officer
        payment_record_counter(
            bill=first.bills.get(), officer=officials["laocai.tiepnhan"], amount_vnd=8000
        )
    one = payment_record_counter(bill=first.bills.get(), officer=desk, amount_vnd=8000)
    two = payment_record_counter(bill=fee_dossier(5000).bills.get(), officer=desk, amount_vnd=5000)
    assert two.receipt_number == one.receipt_number + 1 and two.receipt_series == one.receipt_series
    first.refresh_from_db()
    assert first.status == NationalStatus.RECEIVED and not first.paid_online
    assert first.payment_platform == "counter"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt_pdf(payment=one))).pages)
    assert "BIÊN LAI THU TIỀN PHÍ, LỆ PHÍ" in text and "8.000" in text
    assert "Tám nghìn" in text and f"{one.receipt_number:07d}" in text


def test_money_for_a_dossier_withdrawn_before_reception_is_refunded(
    client, gateways, filed, desk, officials, citizen
):
    dossier, bill = filed()
    attempt = start(bill, "vnpay")
    deliver(client, callback_of(gateways, "vnpay", settle(gateways, attempt)))
    dossier.refresh_from_db()
    dossier = dossier_request_withdrawal(
        dossier=dossier, expected_version=dossier.lock_version, reason="Nộp nhầm", actor=citizen
    )
    dossier_stop(dossier=dossier, officer=desk, expected_version=dossier.lock_version)
    assert refunds_collect() == 1
    assert refunds_collect() == 0  # once
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount_vnd) == (RefundReason.WITHDRAWN, 2500)
    with pytest.raises(ActionNotAllowed):  # the receiving officer cannot approve it
        refund_approve(refund=refund, officer=desk)
    refund_approve(refund=refund, officer=officials["batxat.pheduyet"])
    refund_done(refund=refund, officer=desk)
    refund.refresh_from_db()
    assert refund.state == RefundState.DONE and refund.approved_by == officials["batxat.pheduyet"]


def test_an_open_bill_of_a_dossier_refused_at_reception_is_cancelled(filed, desk):
    from motcua.dossiers.services import dossier_refuse_reception

    dossier, bill = filed()
    dossier_refuse_reception(
        dossier=dossier,
        officer=desk,
        reasons=["Sai thủ tục"],
        expected_version=dossier.lock_version,
    )
    refunds_collect()
    bill.refresh_from_db()
    assert bill.state == BillState.CANCELLED


def test_the_daily_reconciliation_recovers_a_lost_callback(gateways, fee_dossier, desk):
    dossier = fee_dossier(8000)
    attempt = start(dossier.bills.get(), "vnpay")
    settle(gateways, attempt)  # the IPN never comes
    counter = payment_record_counter(
        bill=fee_dossier(3000).bills.get(), officer=desk, amount_vnd=3000
    )
    today = timezone.localdate()
    reports = {r.method: r for r in reconcile_day(day=today)}
    report = reports["vnpay"]
    assert (report.theirs, report.recovered) == (1, 1)
    assert [d["kind"] for d in report.differences] == ["recovered"]
    assert Payment.objects.filter(attempt=attempt).count() == 1
    # Run again: nothing new, one report a day per method.
    reconcile_day(day=today)
    assert Payment.objects.filter(attempt=attempt).count() == 1
    assert Reconciliation.objects.filter(method="vnpay", day=today).count() == 1
    assert reconcile_day(day=today - timedelta(days=1))[0].theirs == 0
    assert counter.method == "counter_cash"


def test_the_fee_wait_does_not_count_against_the_office(monkeypatch, agencies, citizen, desk):
    """Time waiting for the fee does not count (the lifecycle's timing rule, Decision 766
    "Tiến độ giải quyết" and Decree 61/2018 art. 19): a copy request received on Monday
    2 March 2026 at 08:00, fee asked at 10:00 and paid at the counter on Wednesday at
    10:00 is due two working days later than its appointment, and not late."""
    from datetime import datetime

    from motcua.core.calendar import VN_TZ
    from motcua.payments.bills import Line
    from motcua.payments.services import bill_request

    now = {"at": datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code="2.000635"),
        applicant=Applicant(
            name="Lò Văn Páo",
            id_number="010190054321",
            birth_date=date(1990, 2, 1),
            phone="0912000111",
        ),
        receiving_agency=agencies["batxat_desk"],
        citizen=citizen,
    )
    dossier = dossier_receive(dossier=dossier, officer=desk, expected_version=dossier.lock_version)
    appointment = dossier.due_at
    now["at"] = datetime(2026, 3, 2, 10, 0, tzinfo=VN_TZ)
    bill = bill_request(
        dossier=dossier,
        officer=desk,
        expected_version=dossier.lock_version,
        lines=[Line("Phí cấp bản sao", 8000, 1, 8000)],
    )
    now["at"] = datetime(2026, 3, 4, 10, 0, tzinfo=VN_TZ)
    payment_record_counter(bill=bill, officer=desk, amount_vnd=8000)
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.RECEIVED
    assert dossier.fee_seconds == 2 * 8 * 3600  # Mon 10:00 → Wed 10:00: two working days
    # "Trong ngày": due Monday 17:00; the two working days waited push it to Wednesday.
    assert appointment == datetime(2026, 3, 2, 17, 0, tzinfo=VN_TZ)
    assert dossier.due_at == datetime(2026, 3, 4, 17, 0, tzinfo=VN_TZ)
    assert not dossier.is_late
