"""The desk's side of payments: a dossier's bill (take the fee at the counter, decide
a claimed exemption, print a receipt), the refund list and the daily reconciliation.
Thin: scope, call one service, redirect or render (motcua.payments does the work)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.accounts.models import Role
from motcua.accounts.selectors import scope_agencies
from motcua.audit.services import audit_dossier_view
from motcua.backoffice.selectors import dossier_for_official
from motcua.backoffice.views import Desk, official_required
from motcua.core.downloads import private_file_response
from motcua.dossiers.actions.base import DossierError
from motcua.dossiers.models import Dossier
from motcua.payments import selectors as pay
from motcua.payments.models import Bill, Refund, RefundState
from motcua.payments.receipts import receipt_pdf
from motcua.payments.services import (
    PaymentError,
    bill_decide_exemption,
    payment_record_counter,
    refund_approve,
    refund_done,
)


class CounterPaymentForm(forms.Form):
    how = forms.ChoiceField(
        label=gettext_lazy("Paid by"),
        choices=[("cash", gettext_lazy("cash")), ("card", gettext_lazy("card"))],
        initial="cash",
        widget=forms.RadioSelect,
    )
    amount_vnd = forms.IntegerField(
        label=gettext_lazy("Amount received (VND)"), min_value=1, max_value=10_000_000_000
    )


def bill_context(*, dossier: Dossier, desk: Desk) -> dict[str, Any]:
    """The bill panel of the dossier page (the dossier view adds it to its context)."""
    bill = pay.dossier_bill_current(dossier=dossier)
    if bill is None:
        return {}
    view = pay.bill_view(bill=bill)
    desk_officer = Role.RECEIVING_OFFICER in desk.scope.roles_in(dossier.receiving_agency_id)
    return {
        "bill": view,
        "bill_claim": view.claim if bill.exemption == "claimed" else "",
        "counter_form": CounterPaymentForm(initial={"amount_vnd": bill.due_vnd})
        if desk_officer and view.state in ("to_pay", "pending")
        else None,
        "may_decide_exemption": desk_officer and view.state == "checking",
    }


def _dossier_bill(desk: Desk, code: str) -> tuple[Dossier, Bill]:
    dossier = dossier_for_official(scope=desk.scope, code=code)
    if dossier is None:
        raise Http404
    bill = pay.dossier_bill_current(dossier=dossier)
    if bill is None:
        raise Http404
    return dossier, bill


@require_POST
@official_required
def counter(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    dossier, bill = _dossier_bill(desk, code)
    form = CounterPaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            payment = payment_record_counter(
                bill=bill,
                officer=request.user,
                amount_vnd=form.cleaned_data["amount_vnd"],
                how=form.cleaned_data["how"],
            )
        except (PaymentError, DossierError) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Payment recorded; receipt %(number)s.") % {"number": payment.receipt}
            )
    return redirect(reverse("backoffice:dossier", args=[dossier.code]) + "#bill-title")


@require_POST
@official_required
def exemption(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    dossier, bill = _dossier_bill(desk, code)
    try:
        bill_decide_exemption(
            bill=bill, officer=request.user, accept=request.POST.get("accept") == "1"
        )
    except (PaymentError, DossierError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(reverse("backoffice:dossier", args=[dossier.code]) + "#bill-title")


@require_GET
@official_required
def receipt(request: HttpRequest, desk: Desk, code: str, series: str, number: int) -> HttpResponse:
    dossier = dossier_for_official(scope=desk.scope, code=code)
    if dossier is None:
        raise Http404
    found = pay.payment_by_receipt(dossier=dossier, series=series, number=number)
    if found is None:
        raise Http404
    audit_dossier_view(request=request, dossier=dossier, what=f"receipt {found.receipt}")
    # A download like every dossier file (the sandbox CSP stops Chromium's viewer inline).
    return private_file_response(
        receipt_pdf(payment=found), filename=f"bien-lai-{found.receipt}.pdf",
        content_type="application/pdf",
    )


def _agencies(desk: Desk) -> Any:
    return None if desk.scope.province_admin else scope_agencies(scope=desk.scope)


@require_http_methods(["GET", "POST"])
@official_required
def refunds(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The refund list: money owed back to citizens, approved by an approver or leader,
    then marked paid back by whoever returned it."""
    if request.method == "POST":
        found = (
            pay.refunds_list(agencies=_agencies(desk))
            .filter(pk=request.POST.get("refund") or 0)
            .first()
        )
        if found is None:
            raise Http404
        try:
            if request.POST.get("do") == "approve":
                refund_approve(refund=found, officer=request.user)
            else:
                refund_done(refund=found, officer=request.user)
        except (PaymentError, DossierError) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Refund updated."))
        return redirect("backoffice:refunds")
    rows: list[Refund] = list(pay.refunds_list(agencies=_agencies(desk))[:200])
    return render(
        request,
        "backoffice/refunds.html",
        {
            "desk": desk,
            "agencies": scope_agencies(scope=desk.scope),
            "nav": "payments",
            "rows": rows,
            "pending": RefundState.PENDING,
            "approved": RefundState.APPROVED,
        },
    )


@require_GET
@official_required
def reconciliation(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The daily reconciliation reports and the callbacks refused (province-wide)."""
    if not (desk.scope.province_admin or desk.roles & {Role.LEADER, Role.APPROVER}):
        return render(request, "backoffice/not_official.html", status=403)
    return render(
        request,
        "backoffice/reconciliation.html",
        {
            "desk": desk,
            "agencies": scope_agencies(scope=desk.scope),
            "nav": "payments",
            "reports": list(pay.reconciliations_recent()),
            "rejected": list(pay.callbacks_rejected_recent()),
        },
    )
