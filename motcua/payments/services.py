"""Bills, attempts and the one path by which money becomes a payment.

GOV.UK Pay's rule: the browser's return is never trusted. An attempt is stored before
the gateway hears of it; only `notice_apply` — fed by a verified callback, a status
query, the bank statement or an officer at the counter — writes a `Payment`, under the
dossier's lock (the lock every dossier writer takes, motcua.dossiers.actions.runner),
then the bill's, then the attempt's, always in that order. It is idempotent: a replayed
callback finds the payment already there; a second distinct transaction for a bill that
is already paid is money taken twice and goes to the refund list, as does money for a
cancelled bill or above what was owed.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.dossiers.actions.base import Effect, iso
from motcua.dossiers.actions.runner import (
    action_run,
    dossier_lock_queryset,
    dossier_row_lock,
    event_new,
    history_save,
    notice_new,
    require_role,
    roles_lookup,
)
from motcua.dossiers.models import Dossier, Outcome
from motcua.payments import bills, conf
from motcua.payments.methods.base import (
    AttemptInfo,
    FeeLine,
    GatewayError,
    GatewayTimeout,
    Method,
    Notice,
    Platform,
)
from motcua.payments.methods.base import Outcome as Said
from motcua.payments.methods.registry import registry
from motcua.payments.models import (
    Attempt,
    AttemptState,
    Bill,
    BillLine,
    BillOrigin,
    BillState,
    CallbackLog,
    Exemption,
    Payment,
    ReceiptSequence,
    Refund,
    RefundReason,
    RefundState,
    Source,
)
from motcua.payments.selectors import bill_charge_for, bill_claimed_rate, bill_rates
from motcua.workflows.definitions import FEE

User = AbstractBaseUser
_ALPHABET = string.digits + string.ascii_uppercase


class PaymentError(Exception):
    """A refused payment operation; the message is safe to show the person."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NoticeRejected(PaymentError):
    """A gateway notice that does not fit the attempt (amount, currency, unknown)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "not_found" | "amount" | "currency"


def reference_new() -> str:
    """12 characters a bank transfer's free text keeps intact: "MC" + 10 of [0-9A-Z]."""
    return "MC" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


# --- bills --------------------------------------------------------------------------------


def _lines_save(bill: Bill, lines: Sequence[bills.Line], start: int = 0) -> None:
    """Add `lines` to the bill; its total is what its lines not waived add up to."""
    BillLine.objects.bulk_create(
        [
            BillLine(
                bill=bill,
                position=n,
                description=line.description[:300],
                unit_vnd=line.unit_vnd,
                quantity=line.quantity,
                amount_vnd=line.amount_vnd,
            )
            for n, line in enumerate(lines, start=start)
        ]
    )
    bill.total_vnd = sum(line.amount_vnd for line in lines)


def bill_open_get(*, dossier: Dossier) -> Bill | None:
    return Bill.objects.filter(dossier=dossier, state=BillState.OPEN).first()


def bill_for_filing(
    *, dossier: Dossier, answers: dict[str, Any], fee_units: dict[str, Any] | None = None
) -> Bill | None:
    """The bill of an online dossier whose fee the schedule fixes (None when the fee is
    nil or only the desk can tell it). Call inside the filing transaction."""
    charge = bills.charge(
        dossier.procedure_version.fees.all(),
        channel="online",
        units=bills.units_from_answers(fee_units, answers),
    )
    if not charge.lines:
        return None
    bill = Bill.objects.create(dossier=dossier, origin=BillOrigin.FILING, created_at=timezone.now())
    _lines_save(bill, charge.lines)
    bill.save(update_fields=["total_vnd"])
    Dossier.objects.filter(pk=dossier.pk).update(
        fee_amount=bill.total_vnd, updated_at=timezone.now()
    )
    return bill


def bill_request(
    *,
    dossier: Dossier,
    officer: User,
    expected_version: int,
    lines: Sequence[bills.Line] | None = None,
) -> Bill:
    """The desk asks for the financial obligation (status 6). `lines`: the amounts the
    officer set; None keeps the bill made at filing. The clock stops until it is paid."""
    now = timezone.now()
    with transaction.atomic():
        locked = dossier_lock_queryset().get(pk=dossier.pk)
        bill = Bill.objects.select_for_update().filter(dossier=locked, state=BillState.OPEN).first()
        if lines is not None:
            if not lines or any(line.amount_vnd <= 0 for line in lines):
                raise PaymentError(_("Each fee line needs a positive amount in VND."))
            if bill is not None and bill.total_vnd == sum(line.amount_vnd for line in lines):
                lines = None  # the bill made at filing stands (a payment may be under way)
        if lines is not None:
            if bill is not None:
                bill.state, bill.cancelled_at = BillState.CANCELLED, now
                bill.save(update_fields=["state", "cancelled_at"])
            bill = Bill.objects.create(
                dossier=locked, origin=BillOrigin.DESK, created_at=now, created_by=officer
            )
            _lines_save(bill, lines)
            bill.save(update_fields=["total_vnd"])
        elif bill is None:
            raise PaymentError(_("Write what the fee is for and how much it is."))
        action_run(
            key="request_fee",
            dossier=locked,
            actor=officer,
            expected_version=expected_version,
            amount_vnd=bill.total_vnd,
        )
    return bill


def bill_fee_suggestion(*, dossier: Dossier) -> dict[str, Any]:
    """What the desk's fee form starts with: the open bill, else the schedule."""
    bill = Bill.objects.filter(dossier=dossier, state=BillState.OPEN).first()
    if bill is not None:
        first = bill.lines.filter(waived=False).first()
        return {"amount_vnd": bill.due_vnd, **({"description": first.description} if first else {})}
    charge = bill_charge_for(dossier=dossier)
    if charge.lines:
        return {"amount_vnd": charge.total_vnd, "description": charge.lines[0].description}
    return {}


def bill_claim_rate(*, bill: Bill, rate_key: str) -> Bill:
    """The citizen says they belong to a group with a reduced rate or a waiver; the bill
    shows that rate until an officer confirms or rejects it."""
    with transaction.atomic():
        dossier_row_lock(bill.dossier_id)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.state != BillState.OPEN or bill.paid_vnd:
            raise PaymentError(_("This bill can no longer be changed."))
        if bill.attempts.filter(state__in=[AttemptState.STARTED, AttemptState.PENDING]).exists():
            raise PaymentError(_("A payment is under way. Wait for its result first."))
        rate = next((r for r in bill_rates(bill=bill) if r.key == rate_key), None)
        if rate is None:
            raise PaymentError(_("Choose one of the groups listed."))
        bill.exemption, bill.exemption_group = Exemption.CLAIMED, f"{rate.key}:{rate.group}"[:500]
        bill.save(update_fields=["exemption", "exemption_group"])
    return bill


def bill_decide_exemption(*, bill: Bill, officer: User, accept: bool) -> Bill:
    """The desk checks the claimed group (papers, population data) and decides."""
    with transaction.atomic():
        dossier = dossier_lock_queryset().get(pk=bill.dossier_id)
        require_role([(dossier.receiving_agency, [Role.RECEIVING_OFFICER])], roles_lookup(officer))
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.exemption != Exemption.CLAIMED or bill.state != BillState.OPEN:
            raise PaymentError(_("There is no claim to decide on this bill."))
        rate = bill_claimed_rate(bill=bill)
        bill.exemption_decided_by = officer
        if not accept or rate is None:
            bill.exemption = Exemption.REJECTED
            bill.save(update_fields=["exemption", "exemption_decided_by"])
            return bill
        bill.exemption = Exemption.CONFIRMED
        bill.lines.update(waived=True)
        after = bill.lines.count()
        _lines_save(
            bill,
            rate.lines or (bills.Line(_("Waived: %(group)s") % {"group": rate.group}, 0, 1, 0),),
            start=after,
        )
        bill.save(update_fields=["exemption", "exemption_decided_by", "total_vnd"])
        Dossier.objects.filter(pk=dossier.pk).update(
            fee_amount=bill.total_vnd, updated_at=timezone.now()
        )
        if bill.total_vnd == 0:
            _bill_settled(dossier, bill, timezone.now(), payment=None, officer=officer)
    return bill


def bill_payable_problem(bill: Bill) -> str:
    """Why this bill cannot be paid now ("" when it can)."""
    if bill.state == BillState.PAID:
        return _("This fee has been paid.")
    if bill.state == BillState.CANCELLED:
        return _("This bill was cancelled; nothing is owed on it.")
    if bill.exemption == Exemption.CLAIMED:
        return _(
            "The office is checking the reduced rate you claimed. You can pay once it answers."
        )
    if bill.dossier.outcome:
        return _("This dossier is closed; nothing is owed.")
    if bill.due_vnd <= 0:
        return _("Nothing is owed.")
    return ""


# --- attempts -----------------------------------------------------------------------------


def _info(attempt: Attempt) -> AttemptInfo:
    bill = attempt.bill
    dossier = bill.dossier
    version = dossier.procedure_version
    return AttemptInfo(
        reference=attempt.reference,
        amount_vnd=attempt.amount_vnd,
        description=f"Le phi ho so {dossier.code}"[:60],
        created_at=attempt.created_at,
        dossier_code=dossier.code,
        procedure_code=version.procedure.code,
        procedure_name=version.name,
        agency_name=dossier.receiving_agency.name,
        payer_name=dossier.applicant_name,
        payer_phone=dossier.applicant_phone,
        lines=tuple(
            FeeLine(line.description, line.amount_vnd)
            for line in bill.lines.all()
            if not line.waived
        ),
        gateway_txn=attempt.gateway_txn,
    )


def attempt_info(attempt: Attempt) -> AttemptInfo:
    return _info(attempt)


def method_get(key: str) -> Method:
    method = registry.get(key)
    if method is None or not method.online or not method.configured():
        raise PaymentError(_("This way of paying is not available. Choose another."))
    return method


def attempt_start(
    *,
    bill: Bill,
    method_key: str,
    idempotency_key: str,
    citizen: Any = None,
    client_ip: str = "",
    return_url: str,
    notify_url: str,
) -> Attempt:
    """Store an attempt, then ask the gateway. A repeated key (double click, resent
    form) returns the attempt it started. Raises PaymentError when the bill cannot be
    paid or the gateway refuses; a gateway that does not answer leaves the attempt
    `started`, asked about later by the pending job."""
    method = method_get(method_key)
    now = timezone.now()
    with transaction.atomic():
        dossier_row_lock(bill.dossier_id)
        bill = (
            Bill.objects.select_for_update(of=("self",)).select_related("dossier").get(pk=bill.pk)
        )
        existing = Attempt.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.bill_id != bill.pk:
                raise PaymentError(_("This page is out of date. Open the payment page again."))
            return existing
        problem = bill_payable_problem(bill)
        if problem:
            raise PaymentError(problem)
        if not bill.dossier.procedure_version.online_payment:
            raise PaymentError(_("This fee cannot be paid online. Pay it at the one-stop desk."))
        if method.kind == "qr":
            # One code per bill and amount: a citizen who scans an older code still pays
            # the same attempt.
            shown = (
                bill.attempts.filter(
                    method=method.key,
                    amount_vnd=bill.due_vnd,
                    state__in=[AttemptState.STARTED, AttemptState.PENDING],
                )
                .exclude(show={})
                .first()
            )
            if shown is not None:
                return shown
        attempt = Attempt.objects.create(
            bill=bill,
            method=method.key,
            reference=reference_new(),
            idempotency_key=idempotency_key,
            amount_vnd=bill.due_vnd,
            created_at=now,
            updated_at=now,
            citizen=citizen if getattr(citizen, "pk", None) else None,
        )
    info = _info(attempt)
    if client_ip:
        info = AttemptInfo(**{**info.__dict__, "client_ip": client_ip})
    try:
        started = method.start(info, return_url=return_url, notify_url=notify_url)
    except GatewayTimeout:
        Attempt.objects.filter(pk=attempt.pk, state=AttemptState.STARTED).update(
            detail="start: no answer", updated_at=timezone.now()
        )
        raise PaymentError(
            _(
                "The payment service did not answer. Nothing was taken from you; "
                "try again in a few minutes or choose another way."
            )
        ) from None
    except GatewayError as exc:
        Attempt.objects.filter(pk=attempt.pk, state=AttemptState.STARTED).update(
            state=AttemptState.FAILED, detail=f"start: {exc}"[:500], updated_at=timezone.now()
        )
        raise PaymentError(
            _(
                "The payment service refused to start the payment. Nothing was taken from you; "
                "choose another way or try again later."
            )
        ) from None
    # Only a `started` attempt moves on: a callback may already have settled it.
    Attempt.objects.filter(pk=attempt.pk, state=AttemptState.STARTED).update(
        state=AttemptState.PENDING, updated_at=timezone.now()
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        gateway_txn=started.gateway_txn[:100], redirect_url=started.redirect_url, show=started.show
    )
    attempt.refresh_from_db()
    return attempt


# --- the truth ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """What a notice did: `recorded` a new payment, `already` known, `refund` money put
    on the refund list, `failed` / `pending` attempt state, `ignored`."""

    result: str
    attempt: Attempt | None = None
    payment: Payment | None = None


def _receipt_number(series: str) -> int:
    ReceiptSequence.objects.bulk_create([ReceiptSequence(series=series)], ignore_conflicts=True)
    counter = ReceiptSequence.objects.select_for_update().get(series=series)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _series(at: datetime) -> str:
    return f"{conf.get('PAY_RECEIPT_SERIES')}{timezone.localtime(at):%y}"


def _refund(
    *,
    reason: str,
    amount: int,
    now: datetime,
    payment: Payment | None = None,
    bill: Bill | None = None,
    method: str = "",
    gateway_txn: str = "",
    detail: str = "",
) -> Refund | None:
    try:
        with transaction.atomic():
            return Refund.objects.create(
                payment=payment,
                bill=bill,
                amount_vnd=amount,
                reason=reason,
                detail=detail[:500],
                method=method if payment is None else "",
                created_at=now,
                gateway_txn=gateway_txn if payment is None else "",
            )
    except IntegrityError:
        return None  # already on the list


def _bill_settled(
    dossier: Dossier, bill: Bill, now: datetime, *, payment: Payment | None, officer: Any
) -> None:
    """The bill is paid (or waived to nothing): record it, and move the dossier on."""
    bill.state, bill.paid_at = BillState.PAID, now
    bill.save(update_fields=["state", "paid_at"])
    online = bool(payment and payment.online)
    facts = {
        "bill": bill.pk,
        "amount_vnd": bill.total_vnd,
        "receipt": payment.receipt if payment else "",
        "method": payment.method if payment else "",
        "platform": payment.platform if payment else "",
        "online": online,
    }
    if dossier.state == FEE:
        action_run(
            key="fee_paid",
            dossier=dossier,
            actor=None if online else officer,
            expected_version=dossier.lock_version,
            payment=facts,
        )
        return
    # Paid ahead (a bill made at filing): no step changes; the facts and the event do.
    dossier.paid_online = online
    dossier.payment_platform = facts["platform"]
    dossier.fee_paid_at = now
    dossier.lock_version += 1
    event = event_new(
        dossier,
        action="payment_received",
        from_state=dossier.state,
        actor=officer,
        agency=dossier.receiving_agency,
        at=now,
        effect=Effect(data=facts),
    )
    notice = notice_new(
        dossier,
        event,
        "payment_received",
        amount_vnd=bill.total_vnd,
        due_at=iso(dossier.promised_at),
    )
    history_save(
        dossier,
        event,
        notice,
        changed=["paid_online", "payment_platform", "fee_paid_at", "lock_version", "updated_at"],
    )


def _payment_add(
    dossier: Dossier,
    bill: Bill,
    *,
    attempt: Attempt | None,
    method: str,
    platform: str,
    online: bool,
    amount: int,
    gateway_txn: str,
    source: str,
    paid_at: datetime,
    now: datetime,
    officer: Any = None,
) -> Applied:
    series = _series(now)
    payment = Payment.objects.create(
        bill=bill,
        attempt=attempt,
        method=method,
        platform=platform,
        online=online,
        amount_vnd=amount,
        gateway_txn=gateway_txn[:100],
        source=source,
        paid_at=paid_at,
        recorded_at=now,
        recorded_by=officer,
        receipt_series=series,
        receipt_number=_receipt_number(series),
    )
    if attempt is not None:
        attempt.state, attempt.updated_at = AttemptState.PAID, now
        attempt.save(update_fields=["state", "updated_at"])
    was = bill.state
    bill.paid_vnd += amount
    bill.save(update_fields=["paid_vnd"])
    if was == BillState.CANCELLED or dossier.outcome:
        _refund(reason=RefundReason.CANCELLED, amount=amount, now=now, payment=payment, bill=bill)
        return Applied("refund", attempt, payment)
    if was == BillState.PAID:
        _refund(reason=RefundReason.DUPLICATE, amount=amount, now=now, payment=payment, bill=bill)
        return Applied("refund", attempt, payment)
    if bill.paid_vnd >= bill.total_vnd:
        if bill.paid_vnd > bill.total_vnd:
            _refund(
                reason=RefundReason.OVERPAID,
                amount=bill.paid_vnd - bill.total_vnd,
                now=now,
                payment=payment,
                bill=bill,
            )
        _bill_settled(dossier, bill, now, payment=payment, officer=officer)
    return Applied("recorded", attempt, payment)


def notice_apply(*, method: Method, notice: Notice, source: str) -> Applied:
    """Apply what a gateway said about one of our attempts (signature already checked).
    Raises NoticeRejected when the notice does not fit the attempt."""
    now = timezone.now()
    if notice.currency.upper() not in ("VND", "704"):
        raise NoticeRejected(_("Only payments in VND are accepted."), "currency")
    if notice.outcome == Said.PAID and (notice.amount_vnd is None or notice.amount_vnd <= 0):
        raise NoticeRejected(_("The payment has no amount."), "amount")
    found = Attempt.objects.filter(reference=notice.reference).only("bill_id").first()
    if found is None or found.method != method.key:
        if notice.outcome == Said.PAID and method.kind == "qr" and notice.gateway_txn:
            # A transfer that names none of our bills: money to give back.
            refund = _refund(
                reason=RefundReason.UNMATCHED,
                amount=notice.amount_vnd or 0,
                now=now,
                method=method.key,
                gateway_txn=notice.gateway_txn,
                detail=notice.detail,
            )
            return Applied("refund" if refund else "already")
        raise NoticeRejected(_("No payment with this reference."), "not_found")
    if (
        notice.outcome == Said.PAID
        and method.kind != "qr"
        and notice.amount_vnd != found.amount_vnd
    ):
        # A card gateway charges exactly what it was asked: a different amount is altered.
        raise NoticeRejected(_("The amount does not match the payment."), "amount")
    if notice.outcome == Said.PAID and notice.gateway_txn:
        # A gateway's retry of what is recorded (the common replay) needs no lock.
        known = Payment.objects.filter(attempt_id=found.pk, gateway_txn=notice.gateway_txn).first()
        if known is not None:
            return Applied("already", found, known)
    with transaction.atomic():
        bill = Bill.objects.only("dossier_id").get(pk=found.bill_id)
        dossier = dossier_lock_queryset().get(pk=bill.dossier_id)
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        attempt = Attempt.objects.select_for_update().get(pk=found.pk)
        if notice.outcome != Said.PAID:
            if attempt.state in (AttemptState.STARTED, AttemptState.PENDING, AttemptState.EXPIRED):
                # A failure never undoes a payment; pending only says it is known.
                if notice.outcome == Said.FAILED:
                    attempt.state = AttemptState.FAILED
                else:
                    attempt.state = AttemptState.PENDING
                attempt.detail = notice.detail[:500]
                attempt.updated_at = now
                attempt.save(update_fields=["state", "detail", "updated_at"])
                return Applied(attempt.state, attempt)
            return Applied("ignored", attempt)
        known = Payment.objects.filter(attempt=attempt).first()
        if known is None and notice.gateway_txn:
            known = Payment.objects.filter(
                method=method.key, gateway_txn=notice.gateway_txn
            ).first()
        if known is not None:
            if not notice.gateway_txn or known.gateway_txn in ("", notice.gateway_txn):
                return Applied("already", attempt, known)
            # A second, different transaction for one attempt: never a second payment.
            refund = _refund(
                reason=RefundReason.DUPLICATE,
                amount=notice.amount_vnd or 0,
                now=now,
                bill=bill,
                method=method.key,
                gateway_txn=notice.gateway_txn,
                detail=f"{attempt.reference}: {notice.detail}",
            )
            return Applied("refund" if refund else "already", attempt, known)
        return _payment_add(
            dossier,
            bill,
            attempt=attempt,
            method=method.key,
            platform=method.platform,
            online=True,
            amount=notice.amount_vnd or 0,
            gateway_txn=notice.gateway_txn,
            source=source,
            paid_at=notice.paid_at or now,
            now=now,
        )


def payment_record_counter(
    *, bill: Bill, officer: User, amount_vnd: int, how: str = "cash"
) -> Payment:
    """A receiving officer takes the fee at the desk, in cash or by card."""
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise PaymentError(_("The amount must be a positive whole number of VND."))
    now = timezone.now()
    with transaction.atomic():
        dossier = dossier_lock_queryset().get(pk=bill.dossier_id)
        require_role([(dossier.receiving_agency, [Role.RECEIVING_OFFICER])], roles_lookup(officer))
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        problem = bill_payable_problem(bill)
        if problem:
            raise PaymentError(problem)
        if amount_vnd != bill.due_vnd:
            raise PaymentError(
                _("The amount owed is %(due)d VND; record exactly that.") % {"due": bill.due_vnd}
            )
        applied = _payment_add(
            dossier,
            bill,
            attempt=None,
            method=f"counter_{how}"[:20],
            platform=Platform.COUNTER,
            online=False,
            amount=amount_vnd,
            gateway_txn="",
            source=Source.COUNTER,
            paid_at=now,
            now=now,
            officer=officer,
        )
    assert applied.payment is not None
    return applied.payment


# --- callbacks ----------------------------------------------------------------------------


def callback_log(
    *,
    method: str,
    accepted: bool,
    problem: str = "",
    reference: str = "",
    remote_addr: str = "",
    payload: bytes | str = b"",
) -> None:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    CallbackLog.objects.create(
        method=method[:20],
        received_at=timezone.now(),
        accepted=accepted,
        problem=problem[:500],
        reference=reference[:40],
        remote_addr=remote_addr[:45],
        payload=text[:8192],
    )


# --- refunds ------------------------------------------------------------------------------


def refund_approve(*, refund: Refund, officer: User) -> Refund:
    """An approver or leader of the receiving or the competent agency signs off a
    refund; a transfer matching no bill needs a province administrator."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("bill__dossier")
            .get(pk=refund.pk)
        )
        if refund.state != RefundState.PENDING:
            raise PaymentError(_("This refund has already been approved."))
        options: list[tuple[Any, list[str]]] = [(None, [Role.PROVINCE_ADMIN])]
        if refund.bill is not None:
            dossier = refund.bill.dossier
            # The desk's own head, or the approver of the body the dossier was for.
            for agency in (dossier.receiving_agency, dossier.competent_agency):
                options.insert(0, (agency, [Role.APPROVER, Role.LEADER]))
        require_role(options, roles_lookup(officer))
        refund.state, refund.approved_by, refund.approved_at = (
            RefundState.APPROVED,
            officer,
            timezone.now(),
        )
        refund.save(update_fields=["state", "approved_by", "approved_at"])
    return refund


def refund_done(*, refund: Refund, officer: User) -> Refund:
    """The money went back (the finance officer's transfer or cash)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != RefundState.APPROVED:
            raise PaymentError(_("Only an approved refund can be marked as paid back."))
        refund.state, refund.done_at = RefundState.DONE, timezone.now()
        refund.save(update_fields=["state", "done_at"])
    return refund


def refunds_collect(*, now: datetime | None = None) -> int:
    """Bills of dossiers that ended: open ones are cancelled; money paid for a dossier
    withdrawn before processing or refused at reception goes to the refund list. Safe
    to run again (a refund exists once per payment and reason)."""
    now = now or timezone.now()
    ended = Bill.objects.filter(dossier__outcome__in=[Outcome.WITHDRAWN, Outcome.NOT_RECEIVED])
    ended.filter(state=BillState.OPEN).update(state=BillState.CANCELLED, cancelled_at=now)
    added = 0
    payments = Payment.objects.filter(bill__in=ended, refunds__isnull=True).select_related(
        "bill__dossier"
    )
    for payment in payments:
        dossier = payment.bill.dossier
        if dossier.outcome == Outcome.WITHDRAWN:
            if dossier.received_at is not None:
                continue  # processing had begun: the fee paid for work done
            reason = RefundReason.WITHDRAWN
        else:
            reason = RefundReason.NOT_RECEIVED
        if _refund(
            reason=reason, amount=payment.amount_vnd, now=now, payment=payment, bill=payment.bill
        ):
            added += 1
    return added
