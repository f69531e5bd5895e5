"""Reads of bills and payments for the citizen's and the officers' pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from motcua.catalog.models import ProcedureVersion
from motcua.core.money import format_vnd
from motcua.dossiers.models import Channel, Dossier
from motcua.payments import bills
from motcua.payments.methods.base import Method
from motcua.payments.methods.registry import registry
from motcua.payments.models import (
    Attempt,
    AttemptState,
    Bill,
    BillState,
    CallbackLog,
    Exemption,
    Payment,
    Reconciliation,
    Refund,
    RefundState,
)


def methods_online(*, version: ProcedureVersion | None = None) -> list[Method]:
    """The configured online methods (none for a procedure the catalog does not let
    citizens pay online)."""
    if version is not None and not version.online_payment:
        return []
    return registry.online()


def online_payment_offered(*, version: ProcedureVersion) -> bool:
    """Whether the portal may say "thanh toán trực tuyến" for this procedure: the
    catalog enables it and a method is configured to take the money."""
    return bool(version.online_payment and methods_online())


@dataclass(frozen=True)
class BillView:
    """One bill in plain words: what is owed, paid, pending or given back."""

    bill: Bill
    lines: list[tuple[str, str, bool]]  # (what it is for, amount, waived)
    total: str
    due: str
    state: str  # "to_pay" | "checking" | "pending" | "paid" | "waived" | "cancelled"
    words: str  # one sentence for the citizen
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    pending: Attempt | None = None
    claim: str = ""  # the group the citizen claimed a rate for
    rates: tuple[bills.Rate, ...] = ()


def bill_charge_for(*, dossier: Dossier, units: bills.Units | None = None) -> bills.Charge:
    """What the schedule says this dossier owes (the desk's form starts from it)."""
    channel = "online" if dossier.channel == Channel.ONLINE else "in_person"
    return bills.charge(dossier.procedure_version.fees.all(), channel=channel, units=units)


def bill_rates(*, bill: Bill) -> tuple[bills.Rate, ...]:
    return bill_charge_for(dossier=bill.dossier).rates


def bill_claimed_rate(*, bill: Bill) -> bills.Rate | None:
    if not bill.exemption_group:
        return None
    key = bill.exemption_group.split(":", 1)[0]
    return next((r for r in bill_rates(bill=bill) if r.key == key), None)


def _claimed_group(bill: Bill) -> str:
    return bill.exemption_group.split(":", 1)[-1] if bill.exemption_group else ""


def bill_view(*, bill: Bill) -> BillView:
    payments = list(bill.payments.order_by("paid_at"))
    refunds = list(Refund.objects.filter(bill=bill).order_by("created_at"))
    pending = (
        bill.attempts.filter(state__in=[AttemptState.STARTED, AttemptState.PENDING])
        .order_by("-created_at")
        .first()
    )
    due = format_vnd(bill.due_vnd)
    if bill.state == BillState.CANCELLED:
        state, words = "cancelled", _("This bill was cancelled. Nothing is owed on it.")
    elif bill.state == BillState.PAID and bill.total_vnd == 0:
        state, words = "waived", _("You do not have to pay: the exemption was confirmed.")
    elif bill.state == BillState.PAID:
        state, words = "paid", _("Paid. Thank you.")
    elif bill.exemption == Exemption.CLAIMED:
        state = "checking"
        words = _("The office is checking that you belong to the group you named.")
    elif pending is not None and pending.method != "vietqr":
        state = "pending"
        words = _("Your payment is being confirmed. You do not need to pay again.")
    else:
        state, words = "to_pay", _("To pay: %(due)s.") % {"due": due}
    return BillView(
        bill=bill,
        lines=[
            (line.description, format_vnd(line.amount_vnd), line.waived)
            for line in bill.lines.all()
        ],
        total=format_vnd(bill.total_vnd),
        due=due,
        state=state,
        words=words,
        payments=payments,
        refunds=refunds,
        pending=pending,
        claim=_claimed_group(bill),
        rates=bill_rates(bill=bill) if state == "to_pay" and not bill.paid_vnd else (),
    )


def dossier_bills(*, dossier: Dossier) -> list[Bill]:
    return list(
        Bill.objects.filter(dossier=dossier).prefetch_related("lines").order_by("-created_at")
    )


def dossier_bill_current(*, dossier: Dossier) -> Bill | None:
    """The open bill, else the latest one."""
    found = dossier_bills(dossier=dossier)
    return next((b for b in found if b.state == BillState.OPEN), found[0] if found else None)


def payment_by_receipt(*, dossier: Dossier, series: str, number: int) -> Payment | None:
    return (
        Payment.objects.filter(bill__dossier=dossier, receipt_series=series, receipt_number=number)
        .select_related("bill__dossier__receiving_agency", "recorded_by")
        .first()
    )


def attempt_get(*, reference: str) -> Attempt | None:
    return Attempt.objects.filter(reference=reference).select_related("bill__dossier").first()


def refunds_list(*, agencies: Any = None, state: str = "") -> QuerySet[Refund]:
    """Refunds to approve or pay back; `agencies`: the officer's scope (None: all)."""
    found = Refund.objects.select_related("bill__dossier", "payment", "approved_by")
    if agencies is not None:
        found = found.filter(bill__dossier__receiving_agency__in=agencies)
    if state:
        found = found.filter(state=state)
    return found.order_by("state", "-created_at")


def refunds_waiting_count(*, agencies: Any = None) -> int:
    return refunds_list(agencies=agencies, state=RefundState.PENDING).count()


def reconciliations_recent(*, days: int = 14) -> QuerySet[Reconciliation]:
    return Reconciliation.objects.order_by("-day", "method")[: days * 5]


def callbacks_rejected_recent(*, limit: int = 50) -> QuerySet[CallbackLog]:
    return CallbackLog.objects.filter(accepted=False).order_by("-received_at")[:limit]
