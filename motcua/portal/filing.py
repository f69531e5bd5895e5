"""Citizen pages of online filing: start, one question per page, check answers, submit,
confirmation, and the list of drafts. Thin: the drafts services do the work."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.accounts.services import OtpError
from motcua.catalog import formdefs
from motcua.catalog.display import duration_text
from motcua.catalog.selectors import procedure_get_current
from motcua.filing import assisted, drafts
from motcua.organizations.selectors import unit_list_communes
from motcua.payments.selectors import bill_view, dossier_bill_current, methods_online
from motcua.portal.tracking import client_address

LOGIN_URL = "/dang-nhap/"
SESSION_START = "filing_start"  # the procedure a signed-out visitor pressed "Start" on
citizen_required = login_required(login_url=LOGIN_URL)


def _version_and_form(code: str):
    version = procedure_get_current(code=code)
    if version is None:
        raise Http404
    form = formdefs.form_definition_latest(procedure=version.procedure)
    if form is None:
        raise Http404
    return version, form


def _draft_or_404(request: HttpRequest, code: str, draft_id: int):
    """The signed-in citizen's own draft, or one the signed-in official is filling in for
    a citizen (motcua.filing.assisted); nothing else."""
    draft = drafts.draft_get(citizen=request.user, pk=draft_id) or assisted.assisted_draft_get(
        officer=request.user, pk=draft_id
    )
    if draft is None or draft.procedure_version.procedure.code != code:
        raise Http404
    return draft


def _page_url(draft, page_id: str, *, from_check: bool = False) -> str:
    url = reverse("filing:page", args=[draft.procedure_version.procedure.code, draft.pk, page_id])
    return f"{url}?{urlencode({'from': 'check'})}" if from_check else url


def _check_url(draft) -> str:
    return reverse("filing:check", args=[draft.procedure_version.procedure.code, draft.pk])


def _done_url(draft) -> str:
    return reverse("filing:done", args=[draft.procedure_version.procedure.code, draft.pk])


def _drafts_url(draft) -> str:
    """Where "save and continue later" leads: the citizen's drafts, or the officer's."""
    if draft.assisted_by_id is not None:
        return reverse("backoffice:assisted")
    return reverse("filing:drafts")


def draft_continue_url(draft) -> str:
    """Where to continue a draft (drafts.draft_continue_page)."""
    page = drafts.draft_continue_page(draft)
    return _done_url(draft) if page is None else _page_url(draft, page)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    version, form = _version_and_form(code)
    pressed_before_sign_in = (
        request.method == "GET" and request.user.is_authenticated
        and request.session.pop(SESSION_START, None) == code
    )
    if request.method == "POST" or pressed_before_sign_in:
        if not request.user.is_authenticated:
            # Remembered through sign-in, so the citizen lands on the first question.
            request.session[SESSION_START] = code
            return redirect(f"{LOGIN_URL}?{urlencode({'next': request.path})}")
        draft = drafts.draft_start(
            citizen=request.user, procedure_version=version, form_definition=form
        )
        return redirect(_page_url(draft, form.definition["pages"][0]["id"]))
    definition = form.definition
    open_drafts = (
        list(drafts.drafts_open(citizen=request.user).filter(procedure_version__procedure=version.procedure))
        if request.user.is_authenticated else []
    )
    return render(request, "portal/filing/start.html", {
        "version": version,
        "definition": definition,
        "papers": list(version.papers.all()),
        "duration": duration_text(version.duration_kind, version.duration_amount),
        "question_count": len(definition["pages"]),
        "open_drafts": [(d, draft_continue_url(d)) for d in open_drafts],
    })


# The error summary names the field when a page has several (GOV.UK: "Enter your
# full name", not four times "Answer this question").
_FIELD_LABELS = {
    "full_name": gettext_lazy("Full name"),
    "birth_date": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "nationality": gettext_lazy("Nationality"),
    "commune": gettext_lazy("Commune or ward"),
    "street": gettext_lazy("Village, hamlet or street and house number"),
}


def _error_list(page: dict, errors: dict[str, str]) -> list[tuple[str, str]]:
    sub_labels = {sub["id"]: sub.get("label", "") for sub in page.get("fields", [])}
    listed = []
    for name, message in errors.items():
        label = _FIELD_LABELS.get(name) or sub_labels.get(name.partition("-")[2], "")
        listed.append((f"f-{name}", f"{label}: {message}" if label else message))
    return listed


def _page_context(request, draft, page, pages, errors, upload_errors=()) -> dict[str, Any]:
    raw = draft.answers.get(page["id"])
    index = [p["id"] for p in pages].index(page["id"])
    context = {
        "draft": draft,
        "definition": draft.form_definition.definition,
        "page": page,
        "raw": raw if raw is not None else ({} if page["type"] in ("address", "person") else ""),
        "errors": errors,
        "error_list": _error_list(page, errors) + [("f-file", m) for m in upload_errors],
        "upload_errors": list(upload_errors),
        "number": index + 1,
        "total": len(pages),
        "from_check": request.GET.get("from") == "check" or request.POST.get("from") == "check",
        "back_url": _page_url(draft, pages[index - 1]["id"]) if index else
        reverse("backoffice:assisted") if draft.assisted_by_id is not None else
        reverse("filing:start", args=[draft.procedure_version.procedure.code]),
        "sexes": formdefs.SEXES,
        "prefilled": page["id"] in draft.answers.get(drafts.PREFILLED, []),
    }
    if page["type"] == "address":
        context["communes"] = list(
            unit_list_communes(province_code=drafts.province_code()).values_list("code", "name")
        )
    if page["type"] == "repeat":
        items = raw if isinstance(raw, list) and raw else [{}]
        context["items"] = [
            (i, [
                (sub, str(item.get(sub["id"], "")), f"{i}-{sub['id']}",
                 errors.get(f"{i}-{sub['id']}", ""))
                for sub in page["fields"]
            ])
            for i, item in enumerate(items)
        ]
        context["item_count"] = len(items)
    if page["type"] == "upload":
        files = draft.uploads.get(page["id"], [])
        context["files"] = list(enumerate(files))
        used = {f.get("reused") for f in files}
        context["store"] = [] if draft.assisted_by_id else [
            item for item in drafts.citizen_store(citizen=draft.citizen, words=page["paper"])
            if item.ref not in used
        ]
    return context


@citizen_required
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, code: str, draft_id: int, page_id: str) -> HttpResponse:
    draft = _draft_or_404(request, code, draft_id)
    if draft.dossier_id:
        return redirect(_done_url(draft))
    pages = drafts.draft_pages(draft)
    current = next((p for p in pages if p["id"] == page_id), None)
    if current is None:
        return redirect(_check_url(draft))
    if request.method == "GET":
        if draft.current_page != page_id:
            drafts.draft_set_page(draft=draft, page_id=page_id)
        return render(request, "portal/filing/page.html",
                      _page_context(request, draft, current, pages, {}))

    action = request.POST.get("action", "continue")
    from_check = request.POST.get("from") == "check"
    stay_url = _page_url(draft, page_id, from_check=from_check)
    if current["type"] == "upload":
        if action == "upload":
            files = request.FILES.getlist("file")
            errors = drafts.draft_add_uploads(draft=draft, page_id=page_id, files=files)
            if not files:
                errors = [_("Choose a photo or a PDF file first.")]
            if errors:
                return render(request, "portal/filing/page.html",
                              _page_context(request, draft, current, pages, {}, errors), status=400)
            return redirect(stay_url)
        if action.startswith("remove-") and action[7:].isdigit():
            drafts.draft_remove_upload(draft=draft, page_id=page_id, index=int(action[7:]))
            return redirect(stay_url)
        if action.startswith("reuse-"):
            if message := drafts.draft_reuse(draft=draft, page_id=page_id, ref=action[6:]):
                return render(request, "portal/filing/page.html",
                              _page_context(request, draft, current, pages, {}, [message]),
                              status=400)
            return redirect(stay_url)
    else:
        raw = formdefs.raw_from_post(current, request.POST)
        if current["type"] == "repeat":
            if action == "add" and len(raw) < current.get("max_items", 20):
                raw.append({sub["id"]: "" for sub in current["fields"]})
            elif action.startswith("remove-") and action[7:].isdigit():
                index = int(action[7:])
                raw = [item for i, item in enumerate(raw) if i != index]
        drafts.draft_save_answer(draft=draft, page_id=page_id, raw=raw)
        if action == "autosave":
            return HttpResponse(status=204)
        if action == "save":
            return redirect(_drafts_url(draft))
        if action != "continue":
            return redirect(stay_url)
    if action == "save":
        return redirect(_drafts_url(draft))
    _value, errors = drafts.page_check(draft, current)
    if errors:
        return render(request, "portal/filing/page.html",
                      _page_context(request, draft, current, pages, errors), status=400)
    pages = drafts.draft_pages(draft)  # an answer may show or hide later pages
    ids = [p["id"] for p in pages]
    index = ids.index(page_id)
    if from_check or index + 1 >= len(ids):
        return redirect(_check_url(draft))
    # Resume at the next question even if the redirect never reaches the browser.
    drafts.draft_set_page(draft=draft, page_id=ids[index + 1])
    return redirect(_page_url(draft, ids[index + 1]))


@citizen_required
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, code: str, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request, code, draft_id)
    if draft.dossier_id:
        return redirect(_done_url(draft))
    if draft.assisted_by_id is not None:
        return _check_assisted(request, code, draft)
    problem = ""
    if request.method == "POST":
        try:
            drafts.draft_submit(
                citizen=request.user,
                draft_id=draft.pk,
                key=str(request.POST.get("key", "")),
            )
        except drafts.DraftError as exc:
            problem = exc.message
        except ValidationError as exc:
            problem = _answers_problem(draft, exc)
        else:
            return redirect(_done_url(draft))
        draft = _draft_or_404(request, code, draft_id)
    return _check_page(request, draft, problem=problem)


def _answers_problem(draft, exc: ValidationError) -> str:
    """What to say above the answers when sending failed on them (the rows say which)."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {}
    return "; ".join(
        str(m) for key, values in found.items() for m in values
        if key not in {p["id"] for p in drafts.draft_pages(draft)}
    ) or _("Some answers need to be fixed.")


# Codes sent to citizens to confirm assisted drafts, in the officer's session:
# {draft id: PhoneOtp pk}. Only these codes can confirm the draft.
SESSION_ASSISTED_CODES = "assisted_codes"
DEAD_CODE = {"locked", "expired", "used"}


def _check_assisted(request: HttpRequest, code: str, draft) -> HttpResponse:
    """The check page of a draft an officer fills in: the citizen confirms it with the
    one-time code sent to their phone, which the officer types in."""
    sent = dict(request.session.get(SESSION_ASSISTED_CODES, {}))
    problem, code_error, status = "", "", 400
    if request.method == "POST":
        if request.POST.get("action") == "send_code":
            try:
                row = assisted.assisted_code_send(
                    officer=request.user, draft_id=draft.pk, client_ip=client_address(request)
                )
            except (assisted.AssistError, drafts.DraftError) as exc:
                problem = exc.message
            except OtpError as exc:
                problem, status = exc.message, 429
            else:
                request.session[SESSION_ASSISTED_CODES] = {**sent, str(draft.pk): row.pk}
                return redirect(f"{_check_url(draft)}#code")
        elif not str(request.POST.get("code", "")).strip():
            code_error = _("Enter the 6-digit code the citizen received by SMS.")
        else:
            try:
                assisted.assisted_submit(
                    officer=request.user,
                    draft_id=draft.pk,
                    key=str(request.POST.get("key", "")),
                    otp_id=sent.get(str(draft.pk)),
                    code=str(request.POST.get("code", ""))[:20],
                )
            except OtpError as exc:
                code_error = exc.message
                if exc.code in DEAD_CODE:
                    sent.pop(str(draft.pk), None)
                    request.session[SESSION_ASSISTED_CODES] = sent
            except (assisted.AssistError, drafts.DraftError) as exc:
                problem = exc.message
            except ValidationError as exc:
                problem = _answers_problem(draft, exc)
            else:
                sent.pop(str(draft.pk), None)
                request.session[SESSION_ASSISTED_CODES] = sent
                return redirect(_done_url(draft))
        draft = _draft_or_404(request, code, draft.pk)
        if draft.dossier_id:  # sent meanwhile (the same code twice at once)
            return redirect(_done_url(draft))
    receiving, blocked, phone = "", "", ""
    try:
        phone = assisted.phone_display(assisted.assisted_citizen_phone(draft))
        receiving = assisted.assisted_receiving(draft=draft).name
    except (assisted.AssistError, drafts.DraftError) as exc:
        blocked = exc.message  # shown only once every answer is right
    context = {
        "phone": phone,
        "agency": draft.assisted_agency.name,
        "receiving": receiving,
        "blocked": blocked,
        "code_sent": str(draft.pk) in sent,
        "code_error": code_error,
    }
    failed = bool(problem or code_error)
    return _check_page(request, draft, problem=problem, assist=context,
                       status=status if failed else 200)


def _check_page(request: HttpRequest, draft, *, problem: str = "",
                assist: dict | None = None, status: int | None = None) -> HttpResponse:
    clean, errors = drafts.draft_check(draft)
    rows = []
    for page in drafts.draft_pages(draft):
        if page["type"] == "upload":
            files = draft.uploads.get(page["id"], [])
            lines = [f["name"] for f in files]
        else:
            lines = formdefs.answer_lines(page, clean.get(page["id"]))
        rows.append({
            "page": page,
            "lines": [line for line in lines if line],
            "error": next(iter(errors.get(page["id"], {}).values()), ""),
            "change_url": _page_url(draft, page["id"], from_check=True),
        })
    drafts.draft_set_page(draft=draft, page_id="")
    return render(request, "portal/filing/check.html", {
        "draft": draft,
        "definition": draft.form_definition.definition,
        "rows": rows,
        "has_errors": bool(errors),
        "problem": problem,
        "assisted": assist,
    }, status=status or (400 if problem else 200))


@citizen_required
def done(request: HttpRequest, code: str, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request, code, draft_id)
    if not draft.dossier_id:
        return redirect(_check_url(draft))
    dossier = draft.dossier
    track_url = request.build_absolute_uri(
        f"{reverse('portal:track')}?{urlencode({'ma': dossier.code})}"
    )
    qr = segno.make(track_url, error="m").svg_inline(scale=4, title=dossier.code)
    return render(request, "portal/filing/done.html", {
        "draft": draft,
        "dossier": dossier,
        "definition": draft.form_definition.definition,
        "track_url": track_url,
        "qr": qr,
        "bill": bill_view(bill=bill) if (bill := dossier_bill_current(dossier=dossier)) else None,
        "pay_online": bool(methods_online(version=dossier.procedure_version)),
    })


@citizen_required
def draft_list(request: HttpRequest) -> HttpResponse:
    items = [(d, draft_continue_url(d)) for d in drafts.drafts_open(citizen=request.user)]
    return render(request, "portal/filing/drafts.html", {"items": items})


@citizen_required
def resume(request: HttpRequest, token: str) -> HttpResponseRedirect:
    draft = drafts.draft_by_token(citizen=request.user, token=token)
    if draft is None:
        raise Http404
    return redirect(draft_continue_url(draft))


@citizen_required
@require_http_methods(["POST"])
def send_link(request: HttpRequest, draft_id: int) -> HttpResponseRedirect:
    """Send the link back to an unfinished form by SMS, to continue on another day."""
    draft = drafts.draft_get(citizen=request.user, pk=draft_id)
    if draft is None or draft.dossier_id:
        raise Http404
    try:
        masked = drafts.draft_link_send(draft=draft)
    except drafts.DraftError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _(
            "We sent the link to continue “%(title)s” to your phone ending in %(phone)s."
        ) % {"title": draft.form_definition.definition["title"], "phone": masked})
    return redirect(reverse("filing:drafts"))
