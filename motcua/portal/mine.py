"""The citizen's "My dossiers" pages: the list, one dossier, sending the papers asked
for, withdrawing, the dossier's slips, papers and electronic result as files, and
rating how it was handled.

Thin: find the citizen's own dossier (motcua.dossiers.citizen; anyone else's code is
a 404, like an unknown one), call one selector or service, render. Plain HTML forms:
everything works with JavaScript off.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core.downloads import private_file_response
from motcua.dossiers import citizen as mine
from motcua.dossiers import ratings
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import (
    ActionNotAllowed,
    DossierError,
    StaleDossier,
    dossier_request_withdrawal,
)
from motcua.dossiers.slip_contexts import online_receipt_applies
from motcua.dossiers.slips import slip_pdf
from motcua.filing.uploads import UPLOAD_CONTENT_TYPES
from motcua.payments.selectors import bill_view, dossier_bill_current
from motcua.portal.filing import citizen_required

SLIP_LABELS = {
    "01": gettext_lazy("Receipt and appointment slip (form 01)"),
    # Form 01 before the desk receives an online dossier: the acknowledgement.
    "01-online": gettext_lazy("Acknowledgement of your online filing"),
    "02": gettext_lazy("Request to add papers (form 02)"),
    "03": gettext_lazy("Reasons for the refusal (form 03)"),
    "04": gettext_lazy("Apology and new return date (form 04)"),
}


def _own_dossier(request: HttpRequest, code: str) -> Dossier:
    dossier = mine.citizen_dossier_get(citizen=request.user, code=code)
    if dossier is None:
        raise Http404
    return dossier


def _detail_url(dossier: Dossier) -> str:
    return reverse("mine:detail", args=[dossier.code])


@never_cache
@citizen_required
@require_GET
def dossier_list(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("truoc", "")
    if not before.isdigit():
        before = ""
    page = mine.citizen_dossier_list(citizen=request.user, before=int(before) if before else None)
    return render(
        request,
        "portal/mine/list.html",
        {
            "page": page,
            "first_page": not before,
            "waiting": mine.citizen_dossiers_waiting(citizen=request.user),
            "drafts_count": mine.citizen_drafts_count(citizen=request.user),
        },
    )


@never_cache
@citizen_required
@require_GET
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    view = mine.citizen_dossier_view(dossier=dossier, citizen=request.user)
    rating = ratings.rating_get(dossier=dossier)
    bill = dossier_bill_current(dossier=dossier)
    acknowledged = online_receipt_applies(dossier=dossier)
    return render(
        request,
        "portal/mine/detail.html",
        {
            "view": view,
            "dossier": dossier,
            "slips": [
                (f, SLIP_LABELS["01-online" if f == "01" and acknowledged else f])
                for f in view.slips
            ],
            "result_ready": mine.result_downloadable(dossier),  # read once, above
            "can_rate": ratings.rating_open(dossier) and ratings.rating_can_change(rating),
            "rating": rating,
            "bill": bill_view(bill=bill) if bill else None,
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you want to withdraw this dossier?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": gettext_lazy("Write why you want to withdraw the dossier."),
            "max_length": gettext_lazy("Write at most %(limit_value)d characters."),
        },
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


def _changed(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    messages.warning(
        request,
        _(
            "Your dossier changed in the meantime (the office may have acted on it). "
            "Here is where it is now."
        ),
    )
    return redirect(_detail_url(dossier))


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    if not mine.citizen_may(dossier=dossier, citizen=request.user, kind=mine.WITHDRAW):
        return redirect(_detail_url(dossier))
    if request.method == "GET":
        form = WithdrawForm(initial={"expected_version": dossier.lock_version})
        return render(request, "portal/mine/withdraw.html", {"dossier": dossier, "form": form})
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        if form.has_error("expected_version"):
            return _changed(request, dossier)
        context = {"dossier": dossier, "form": form}
        return render(request, "portal/mine/withdraw.html", context, status=400)
    try:
        dossier_request_withdrawal(
            dossier=dossier,
            expected_version=form.cleaned_data["expected_version"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except (StaleDossier, ActionNotAllowed):
        return _changed(request, dossier)
    messages.success(
        request,
        _(
            "Your request to withdraw was sent. The one-stop desk will stop processing or "
            "tell you why it cannot."
        ),
    )
    return redirect(_detail_url(dossier))


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    if not mine.citizen_may(
        dossier=dossier, citizen=request.user, kind=mine.supplement_action(dossier)
    ):
        return redirect(_detail_url(dossier))
    missing, contact = mine.supplement_missing(dossier)
    names = missing or [""]
    context = {
        "dossier": dossier,
        "contact": contact,
        "version": dossier.lock_version,
        "errors": {},
        "error_list": [],
    }
    if request.method == "GET":
        context["items"] = [(n, name, "") for n, name in enumerate(names)]
        return render(request, "portal/mine/supplement.html", context)
    version = request.POST.get("expected_version", "")
    if not version.isdigit():
        return _changed(request, dossier)
    files = {n: request.FILES.getlist(f"file-{n}") for n in range(len(names))}
    try:
        mine.citizen_supplement_send(
            citizen=request.user, dossier=dossier, expected_version=int(version), files=files
        )
    except ValidationError as exc:
        errors = {key: " ".join(values) for key, values in exc.message_dict.items()}
        context["items"] = [(n, name, errors.get(f"file-{n}", "")) for n, name in enumerate(names)]
        context["errors"] = errors
        context["error_list"] = [
            (f"f-{key}" if key.startswith("file-") else "f-file-0", message)
            for key, message in errors.items()
        ]
        return render(request, "portal/mine/supplement.html", context, status=400)
    except (StaleDossier, ActionNotAllowed):
        return _changed(request, dossier)
    messages.success(
        request,
        _("Your papers have been sent. The office goes on with your dossier from today."),
    )
    return redirect(_detail_url(dossier))


@citizen_required
@require_GET
def slip(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """A slip of Circular 01 addressed to the applicant (forms 01–04), as a PDF. Form
    01 of an online dossier not yet received is the acknowledgement of its filing, so
    the same address gives a paper right after filing and the real slip on reception."""
    dossier = _own_dossier(request, code)
    tracking_url = request.build_absolute_uri(
        f"{reverse('portal:track')}?{urlencode({'ma': dossier.code})}"
    )
    context = mine.citizen_slip_context(dossier=dossier, form=form, tracking_url=tracking_url)
    if context is None:
        raise Http404
    return private_file_response(
        slip_pdf(form=form, context=context),
        filename=f"{dossier.code}-phieu-{form}.pdf",
        content_type="application/pdf",
    )


@never_cache
@require_GET
def short_link(request: HttpRequest, token: str) -> HttpResponse:
    """The short link every SMS carries (/h/<token>): the applicant signed in to the
    account that owns the dossier goes to its page, anyone else to public tracking
    with the code filled in (tracking still asks for the phone's last four digits).
    A broken or unknown link lands on the tracking page too, never an error."""
    dossier = mine.short_link_dossier(token=token)
    track = reverse("portal:track")
    if dossier is None:
        return redirect(track)
    if request.user.is_authenticated and dossier.citizen_id == request.user.pk:
        return redirect(_detail_url(dossier))
    return redirect(f"{track}?{urlencode({'ma': dossier.code})}")


@citizen_required
@require_GET
def paper(request: HttpRequest, code: str, paper_id: int) -> HttpResponse:
    """The photo or scan of one paper of the citizen's own dossier."""
    found = mine.citizen_paper_get(citizen=request.user, code=code, paper_id=paper_id)
    if found is None:
        raise Http404
    paper, kind = found
    return private_file_response(
        paper.file.open("rb"),
        filename=paper.file.name,
        content_type=UPLOAD_CONTENT_TYPES.get(kind or "", "application/octet-stream"),
    )


@citizen_required
@require_GET
def result(request: HttpRequest, code: str) -> HttpResponse:
    """The electronic result of the citizen's own dossier, once it is returned."""
    dossier = mine.citizen_result_file(citizen=request.user, code=code)
    if dossier is None:
        raise Http404
    return private_file_response(
        dossier.result_file.open("rb"),
        filename=f"{dossier.code}-ket-qua.pdf",
        content_type="application/pdf",
    )


def _rating_context(dossier: Dossier, rating: Any, data: Any = None) -> dict[str, Any]:
    """The five questions with the answer to show checked, for the rating page."""
    questions = []
    for question in ratings.QUESTIONS:
        if data is not None:
            chosen = str(data.get(question.field, ""))
        elif rating is not None:
            chosen = str(getattr(rating, question.field))
        else:
            chosen = ""
        questions.append({"q": question, "chosen": chosen, "error": ""})
    return {
        "dossier": dossier,
        "rating": rating,
        "questions": questions,
        "saves": 0 if rating is None else rating.changes + 1,
        "comment": (
            data.get("comment", "")
            if data is not None
            else (rating.comment if rating is not None else "")
        ),
        "errors": {},
        "error_list": [],
    }


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """Rate how the dossier was handled (Circular 01): one short page, five questions.
    A rating can be changed once, then it is final."""
    dossier = _own_dossier(request, code)
    if not ratings.rating_open(dossier):
        return redirect(_detail_url(dossier))
    rating = ratings.rating_get(dossier=dossier)
    if request.method == "GET":
        context = _rating_context(dossier, rating)
        context["final"] = not ratings.rating_can_change(rating)
        return render(request, "portal/mine/rate.html", context)
    saves = request.POST.get("saves", "")
    if not saves.isdigit():
        return _changed(request, dossier)
    try:
        mine.citizen_rating_save(
            citizen=request.user,
            dossier=dossier,
            answers=request.POST,
            comment=str(request.POST.get("comment", "")),
            expected_saves=int(saves),
        )
    except ValidationError as exc:
        context = _rating_context(dossier, rating, request.POST)
        context["saves"] = int(saves)
        context["errors"] = {key: " ".join(values) for key, values in exc.message_dict.items()}
        for item in context["questions"]:
            item["error"] = context["errors"].get(item["q"].field, "")
        labels = {q.field: str(q.question) for q in ratings.QUESTIONS}
        labels["comment"] = str(_("Anything else you want to tell us? (optional)"))
        context["error_list"] = [
            (f"f-{key}", f"{labels.get(key, '')} {message}".strip())
            for key, message in context["errors"].items()
        ]
        return render(request, "portal/mine/rate.html", context, status=400)
    except StaleDossier:
        messages.info(request, _("Your rating has already been saved. Thank you."))
        return redirect(_detail_url(dossier))
    except DossierError as exc:  # not finished yet, or changed once already
        messages.warning(request, exc.message)
        return redirect(_detail_url(dossier))
    messages.success(request, _("Thank you. Your rating has been saved."))
    return redirect(_detail_url(dossier))
