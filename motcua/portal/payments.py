"""The citizen's payment pages: what is owed, how to pay, the payment's result, the
receipt. Plain forms and server-side checks: everything works with JavaScript off.

The browser coming back from a gateway proves nothing (GOV.UK Pay's rule): the return
page only says which attempt to look at; its state comes from the gateway's verified
callback or from asking the gateway (motcua.payments.services.notice_apply).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.downloads import private_file_response
from motcua.core.net import client_ip
from motcua.dossiers import citizen as mine
from motcua.dossiers.models import Dossier
from motcua.payments import conf
from motcua.payments import selectors as paying
from motcua.payments.methods.registry import registry
from motcua.payments.models import Attempt, AttemptState
from motcua.payments.receipts import receipt_pdf
from motcua.payments.reconcile import attempt_ask
from motcua.payments.services import (
    PaymentError,
    attempt_start,
    bill_claim_rate,
    bill_payable_problem,
)
from motcua.portal.filing import citizen_required

# A pending attempt's page asks the gateway at most this often (each view would
# otherwise be one gateway call); the page reloads itself until then (meta refresh).
ASK_EVERY = timedelta(seconds=5)


def _own_dossier(request: HttpRequest, code: str) -> Dossier:
    dossier = mine.citizen_dossier_get(citizen=request.user, code=code)
    if dossier is None:
        raise Http404
    return dossier


def _site(request: HttpRequest) -> str:
    return conf.get("PAY_SITE_URL").rstrip("/") or request.build_absolute_uri("/").rstrip("/")


def _client_ip(request: HttpRequest) -> str:
    # The gateways (VNPAY's vnp_IpAddr) want an address, never "unknown".
    address = client_ip(request)
    return "127.0.0.1" if address == "unknown" else address


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, code: str) -> HttpResponse:
    """The bill and the choice of how to pay (one question)."""
    dossier = _own_dossier(request, code)
    bill = paying.dossier_bill_current(dossier=dossier)
    if bill is None:
        raise Http404
    methods = paying.methods_online(version=dossier.procedure_version)
    error = ""
    if request.method == "POST":
        choice = request.POST.get("method", "")
        key = request.POST.get("key", "")
        if not choice or registry.get(choice) not in methods:
            error = _("Choose how you want to pay.")
        elif not (8 <= len(key) <= 64):
            error = _("This page is out of date. Choose again.")
        else:
            site = _site(request)
            try:
                attempt = attempt_start(
                    bill=bill,
                    method_key=choice,
                    idempotency_key=key,
                    citizen=request.user,
                    client_ip=_client_ip(request),
                    return_url=site + reverse("mine:pay_back", args=[choice]),
                    notify_url=site + reverse("gateways:notify", args=[choice]),
                )
            except PaymentError as exc:
                error = exc.message
            else:
                if attempt.redirect_url and attempt.state == AttemptState.PENDING:
                    return redirect(attempt.redirect_url)
                return redirect("mine:payment", code=dossier.code, reference=attempt.reference)
    view = paying.bill_view(bill=bill)
    return render(
        request,
        "portal/mine/pay.html",
        {
            "dossier": dossier,
            "view": view,
            "methods": methods,
            "problem": bill_payable_problem(bill),
            "key": secrets.token_urlsafe(24),
            "error": error,
            "chosen": request.POST.get("method", ""),
        },
        status=400 if error else 200,
    )


@never_cache
@citizen_required
@require_POST
def claim(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen names the group whose reduced rate or waiver they claim."""
    dossier = _own_dossier(request, code)
    bill = paying.dossier_bill_current(dossier=dossier)
    if bill is None:
        raise Http404
    try:
        bill_claim_rate(bill=bill, rate_key=request.POST.get("rate", ""))
    except PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Sent. The office checks that you belong to this group, then tells you what to pay."),
        )
    return redirect("mine:pay", code=dossier.code)


def _ask_gateway(attempt: Attempt) -> None:
    """Ask the gateway about a pending attempt the citizen is waiting on, at most every
    ASK_EVERY (an error leaves "being confirmed"; the 15-minute job asks again)."""
    now = timezone.now()
    if attempt.queried_at is None or now - attempt.queried_at >= ASK_EVERY:
        attempt_ask(attempt, now=now)


@never_cache
@citizen_required
@require_GET
def payment(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    """One attempt: the QR code to scan, or where a card payment stands."""
    dossier = _own_dossier(request, code)
    attempt = paying.attempt_get(reference=reference)
    if attempt is None or attempt.bill.dossier_id != dossier.pk:
        raise Http404
    if attempt.state in (AttemptState.STARTED, AttemptState.PENDING) and (
        attempt.method != "vietqr" or request.GET.get("kiem-tra")
    ):
        _ask_gateway(attempt)
        attempt.refresh_from_db()
    bill = attempt.bill
    bill.refresh_from_db()
    return render(
        request,
        "portal/mine/payment.html",
        {
            "dossier": dossier,
            "attempt": attempt,
            "view": paying.bill_view(bill=bill),
            "method": registry.get(attempt.method),
            "waiting": attempt.state in (AttemptState.STARTED, AttemptState.PENDING)
            and attempt.method != "vietqr",
        },
    )


@never_cache
@require_GET
def back(request: HttpRequest, method: str) -> HttpResponse:
    """Where a gateway sends the browser back: find the attempt, show its page. The
    query string is not believed: the attempt's page asks the gateway itself."""
    found = registry.get(method)
    if found is None or not found.online:
        raise Http404
    try:
        reference = found.return_reference(request.GET.dict())
    except Exception:  # a mangled return address is the browser's problem, not a 500
        reference = ""
    attempt = paying.attempt_get(reference=reference) if reference else None
    if attempt is None:
        messages.warning(
            request,
            _(
                "We could not tell which payment you came back from. Your dossiers show "
                "what has been paid."
            ),
        )
        return redirect("mine:list")
    return redirect("mine:payment", code=attempt.bill.dossier.code, reference=attempt.reference)


@citizen_required
@require_GET
def receipt(request: HttpRequest, code: str, series: str, number: int) -> HttpResponse:
    dossier = _own_dossier(request, code)
    found = paying.payment_by_receipt(dossier=dossier, series=series, number=number)
    if found is None:
        raise Http404
    return private_file_response(  # the payer's name and address: never cached
        receipt_pdf(payment=found), filename=f"bien-lai-{found.receipt}.pdf",
        content_type="application/pdf",
    )
