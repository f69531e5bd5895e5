"""Citizen pages of online filing: start, one question per page, check answers, submit,
confirmation, and the list of drafts. Thin: the drafts services do the work."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
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
from motcua.core.downloads import private_file_response
from motcua.core.net import client_ip
from motcua.dossiers.slips import document_pdf
from motcua.filing import assisted, drafts
from motcua.filing.uploads import max_upload_mb
from motcua.payments.selectors import bill_view, dossier_bill_current, methods_online

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
    """The procedure's start page; "File online" on the procedure page comes here with
    ?bat-dau=1 and goes straight to sign-in, then to the first question (one screen
    fewer: the procedure page already says what is needed)."""
    version, form = _version_and_form(code)
    pressed_before_sign_in = (
        request.method == "GET" and request.user.is_authenticated
        and request.session.pop(SESSION_START, None) == code
    )
    open_drafts = (
        list(drafts.drafts_open(citizen=request.user).filter(procedure_version__procedure=version.procedure))
        if request.user.is_authenticated else []
    )
    straight = request.method == "GET" and request.GET.get("bat-dau") == "1" and not open_drafts
    if request.method == "POST" or pressed_before_sign_in or straight:
        if not request.user.is_authenticated:
            # Remembered through sign-in, so the citizen lands on the first question.
            request.session[SESSION_START] = code
            return redirect(f"{LOGIN_URL}?{urlencode({'next': request.path})}")
        draft = drafts.draft_start(
            citizen=request.user, procedure_version=version, form_definition=form
        )
        return redirect(draft_continue_url(draft))
    definition = form.definition
    return render(request, "portal/filing/start.html", {
        "version": version,
        "definition": definition,
        "title": formdefs.tr(definition, "title"),
        "intro": formdefs.tr(definition, "intro"),
        "papers": list(version.papers.all()),
        "duration": duration_text(version.duration_kind, version.duration_amount),
        "question_count": len(formdefs.steps(definition)),
        "open_drafts": [(d, draft_continue_url(d)) for d in open_drafts],
    })


# The error summary names the field with the same word as its label (GOV.UK: "Enter
# your full name", not four times "Answer this question").
_FIELD_LABELS = {
    "full_name": gettext_lazy("Full name"),
    "birth_date": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "nationality": gettext_lazy("Nationality"),
    "commune": gettext_lazy("Commune or ward"),
    "street": gettext_lazy("Village, hamlet or street and house number"),
    "how": gettext_lazy("How to receive the result"),
    "address": gettext_lazy("Address for the post"),
    "reason": gettext_lazy("Why you do not have it"),
    "file": gettext_lazy("Photo or PDF"),
}
_SOURCE_NOTES = {
    "vneid": gettext_lazy("Filled in from VNeID."),
    "account": gettext_lazy("The phone number you signed in with."),
    "previous": gettext_lazy(
        "We filled this in from your last dossier. Check it and change what is not right any more."
    ),
    "profile": gettext_lazy(
        "We filled this in from your account. Check it and change what is not right any more."
    ),
}


def _error_list(page: dict, errors: dict[str, str]) -> list[tuple[str, str]]:
    sub_labels = {sub["id"]: formdefs.tr(sub, "label") for sub in page.get("fields", [])}
    listed = []
    for name, message in errors.items():
        label = (sub_labels.get(name) or _FIELD_LABELS.get(name)
                 or sub_labels.get(name.partition("-")[2], ""))
        listed.append((f"f-{name}", f"{label}: {message}" if label else message))
    return listed


def _group_fields(draft, page: dict, view: dict, raw: dict, errors: dict) -> list[dict]:
    """A group's fields as the template draws them (`view`: the page localized): shown or
    not, typed value, error, what the population database found."""
    context = drafts.answer_context(draft, page)
    own = {sub["id"] for sub in page["fields"]}
    fields = []
    for sub, shown in zip(page["fields"], view["fields"], strict=True):
        # A condition on another field of this page is drawn anyway (without JavaScript
        # the citizen sees it, labelled for when it applies); filing.js hides it.
        tests = formdefs.condition_tests(sub.get("show_if")) if sub.get("show_if") else []
        here = [t for t in tests if t["question"] in own]
        drawn = {**sub, "show_if": [t for t in tests if t not in here] or None}
        state = context.found.get(sub["id"]) or {}
        found = None
        typed = str(raw.get(sub["id"], "")).replace(" ", "").replace(".", "")
        if state.get("status") == "found" and state.get("id_number") == typed:
            found = formdefs.person_text({**state["person"], "source": "population"})
        fields.append({
            "spec": shown,
            "shown": formdefs.field_shown(drawn, raw, context),
            "reveal": _reveal(here[0]) if here else None,
            "value": str(raw.get(sub["id"], "")),
            "error": errors.get(sub["id"], ""),
            "found": found,
            "unavailable": state.get("status") == "unavailable",
            "words": _date_readback(sub, raw.get(sub["id"])),
        })
    return fields


def _reveal(test: dict) -> dict:
    """A same-page condition as filing.js reads it from data attributes."""
    values = [test["equals"]] if "equals" in test else test.get("in") or test.get("not_in")
    return {"name": test["question"], "values": " ".join(values), "negate": "not_in" in test}


def _date_readback(spec: dict, raw: Any) -> str:
    """A date field's answer in words, so a misread 12-4-98 is seen before it is sent."""
    if spec.get("type") != "date" or not isinstance(raw, str) or not raw.strip():
        return ""
    day = formdefs.parse_date(raw)
    return formdefs.date_words(day) if day else ""


def _page_context(request, draft, page, pages, errors, upload_errors=()) -> dict[str, Any]:
    raw = draft.answers.get(page["id"])
    flow = [p["id"] for p in drafts.draft_flow(draft)]
    index = flow.index(page["id"]) if page["id"] in flow else -1
    number, total = drafts.draft_progress(draft, page)
    if raw is None:
        raw = {} if page["type"] in ("address", "person", "group", "delivery", "upload") else ""
    source = drafts.prefilled_sources(draft.answers).get(page["id"], "")
    view = formdefs.localized(page)
    context = {
        "draft": draft,
        "definition": draft.form_definition.definition,
        "title": formdefs.tr(draft.form_definition.definition, "title"),
        "page": view,
        "raw": raw,
        "errors": errors,
        "error_list": _error_list(page, errors) + [("f-file", m) for m in upload_errors],
        "upload_errors": list(upload_errors),
        "number": number,
        "total": total,
        "from_check": request.GET.get("from") == "check" or request.POST.get("from") == "check",
        "back_url": _page_url(draft, flow[index - 1]) if index > 0 else
        _check_url(draft) if index < 0 else
        reverse("backoffice:assisted") if draft.assisted_by_id is not None else
        reverse("filing:start", args=[draft.procedure_version.procedure.code]),
        "sexes": formdefs.SEXES,
        "prefilled_note": _SOURCE_NOTES.get(source, ""),
        "date_words": _date_readback(page, raw),
    }
    if page["type"] == "address" or any(
        sub["type"] == "commune" for sub in page.get("fields", []) if page["type"] == "group"
    ):
        context["communes"] = list(formdefs.communes(drafts.province_code()).values())
    if page["type"] == "group":
        context["fields"] = _group_fields(
            draft, page, view, raw if isinstance(raw, dict) else {}, errors
        )
    if page["type"] == "delivery":
        context["delivery"] = [(v, formdefs.DELIVERY_LABELS[v]) for v in formdefs.DELIVERY_CHOICES]
        context["home_address"] = drafts.answer_context(draft, page).applicant_address
    if page["type"] == "repeat":
        items = raw if isinstance(raw, list) and raw else [{}]
        context["items"] = [
            (i, [
                (sub, str(item.get(sub["id"], "")), f"{i}-{sub['id']}",
                 errors.get(f"{i}-{sub['id']}", ""))
                for sub in context["page"]["fields"]
            ])
            for i, item in enumerate(items)
        ]
        context["item_count"] = len(items)
    if page["type"] == "upload":
        files = draft.uploads.get(page["id"], [])
        context["files"] = list(enumerate(files))
        context["max_mb"] = max_upload_mb()
        context["optional"] = page.get("required", True) is False
        used = {f.get("reused") for f in files}
        context["store"] = [] if draft.assisted_by_id else [
            item for item in drafts.citizen_store(citizen=draft.citizen, words=page["paper"])
            if item.ref not in used
        ]
    return context


def _render_page(request, draft, page, pages, errors, upload_errors=(), status=200):
    return render(request, "portal/filing/page.html",
                  _page_context(request, draft, page, pages, errors, upload_errors), status=status)


def _switch_language(request: HttpRequest, url: str, code: str) -> HttpResponse:
    """The language buttons of a question page submit its form, so what was typed is
    saved before the page comes back in the other language."""
    response = redirect(url)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code,
                            max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax",
                            secure=settings.LANGUAGE_COOKIE_SECURE)
    return response


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
        return _render_page(request, draft, current, pages, {})

    action = request.POST.get("action", "continue")
    from_check = request.POST.get("from") == "check"
    stay_url = _page_url(draft, page_id, from_check=from_check)
    raw = formdefs.raw_from_post(current, request.POST)
    if current["type"] == "repeat":
        if action == "add" and len(raw) < current.get("max_items", 20):
            raw.append({sub["id"]: "" for sub in current["fields"]})
        elif action.startswith("remove-") and action[7:].isdigit():
            index = int(action[7:])
            raw = [item for i, item in enumerate(raw) if i != index]
    if action == "continue" and current["type"] != "upload":
        return _continue(request, draft, current, pages, raw, from_check=from_check)
    drafts.draft_save_answer(draft=draft, page_id=page_id, raw=raw)
    if current["type"] == "upload":
        # A chosen file is kept whichever button was pressed ("Continue" included), and
        # one refused file does not drop the others.
        files = request.FILES.getlist("file")
        upload_errors = drafts.draft_add_uploads(draft=draft, page_id=page_id, files=files)
        if action == "upload" and not files:
            upload_errors = [_("Choose a photo or a PDF file first.")]
        if upload_errors:
            return _render_page(request, draft, current, pages, {}, upload_errors, status=400)
        if action.startswith("remove-") and action[7:].isdigit():
            drafts.draft_remove_upload(draft=draft, page_id=page_id, index=int(action[7:]))
            return redirect(stay_url)
        if action.startswith("reuse-"):
            if message := drafts.draft_reuse(draft=draft, page_id=page_id, ref=action[6:]):
                return _render_page(request, draft, current, pages, {}, [message], status=400)
            return redirect(stay_url)
        if action == "upload":
            return redirect(stay_url)
    if action == "autosave":
        return HttpResponse(status=204)
    if action.startswith("lang-"):
        return _switch_language(request, stay_url, action[5:])
    if action == "save":
        return redirect(_drafts_url(draft))
    if action != "continue":
        return redirect(stay_url)
    _value, errors = drafts.page_check(draft, current)
    if errors:
        return _render_page(request, draft, current, pages, errors, status=400)
    next_page = _next_page(draft, current["id"], from_check=from_check)
    if next_page is None:
        return redirect(_check_url(draft))
    drafts.draft_set_page(draft=draft, page_id=next_page)
    return redirect(_page_url(draft, next_page))


def _next_page(draft, page_id: str, *, from_check: bool) -> str | None:
    """The question after `page_id` (an answer may show or hide pages); None: the check
    page comes next."""
    flow = [p["id"] for p in drafts.draft_flow(draft)]
    index = flow.index(page_id) if page_id in flow else len(flow)
    return None if from_check or index + 1 >= len(flow) else flow[index + 1]


def _continue(request, draft, current, pages, raw, *, from_check: bool) -> HttpResponse:
    """"Continue" on a question: the answer checked, then saved with the page to resume
    at in one statement (the next question even if the redirect never reaches the
    browser), whether it passed or not."""
    page_id = current["id"]
    drafts.draft_answer_keep(draft=draft, page_id=page_id, raw=raw)
    found = drafts.draft_lookup(draft=draft, page=current, requester=request.user)
    _value, errors = drafts.page_check(draft, current)
    next_page = None if errors else _next_page(draft, page_id, from_check=from_check)
    drafts.draft_save_answer(draft=draft, page_id=page_id, raw=raw, found=found,
                             current_page=next_page or page_id)
    if errors:
        return _render_page(request, draft, current, pages, errors, status=400)
    if next_page is None:
        return redirect(_check_url(draft))
    return redirect(_page_url(draft, next_page))


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
DECLARATION = "ban-khai"  # ?in=ban-khai on an assisted draft's check page: the form to sign
# The inputs of the assisted check page, in page order, for its error summary.
_ASSIST_FIELDS = ("code", "relative_name", "relation", "relative_phone", "attest")


def _check_assisted(request: HttpRequest, code: str, draft) -> HttpResponse:
    """The check page of a draft an officer fills in. The citizen confirms it in one of
    three ways (motcua.filing.assisted): a one-time code sent to their own phone or to a
    relative's, which the officer types in, or by signing the printed form, which the
    officer attests."""
    if request.method == "GET" and request.GET.get("in") == DECLARATION:
        return _declaration_pdf(request, draft)
    sent = dict(request.session.get(SESSION_ASSISTED_CODES, {}))
    problem, status = "", 400
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send_code":
                row = assisted.assisted_code_send(
                    officer=request.user,
                    draft_id=draft.pk,
                    client_ip=client_ip(request),
                    to=request.POST.get("to") or None,
                    relative_phone=str(request.POST.get("relative_phone", ""))[:30],
                    relation=str(request.POST.get("relation", ""))[:200],
                    relative_name=str(request.POST.get("relative_name", ""))[:200],
                )
                request.session[SESSION_ASSISTED_CODES] = {**sent, str(draft.pk): row.pk}
                return redirect(f"{_check_url(draft)}#code")
            if action == "paper":
                assisted.assisted_paper_confirm(
                    officer=request.user,
                    draft_id=draft.pk,
                    key=str(request.POST.get("key", "")),
                    attested=request.POST.get("attest") == "1",
                )
            elif not str(request.POST.get("code", "")).strip():
                errors["code"] = _("Enter the 6-digit code the citizen received by SMS.")
            else:
                assisted.assisted_submit(
                    officer=request.user,
                    draft_id=draft.pk,
                    key=str(request.POST.get("key", "")),
                    otp_id=sent.get(str(draft.pk)),
                    code=str(request.POST.get("code", ""))[:20],
                )
        except OtpError as exc:
            if action == "send_code":
                problem, status = exc.message, 429
            else:
                errors["code"] = exc.message
                if exc.code in DEAD_CODE:
                    sent.pop(str(draft.pk), None)
                    request.session[SESSION_ASSISTED_CODES] = sent
        except assisted.AssistError as exc:
            if exc.field and exc.field != "code":
                errors[exc.field] = exc.message
            else:
                problem = exc.message
        except drafts.DraftError as exc:
            problem = exc.message
        except ValidationError as exc:
            if action == "send_code" and hasattr(exc, "error_dict"):
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
            else:
                problem = _answers_problem(draft, exc)
        else:
            if not errors:
                sent.pop(str(draft.pk), None)
                request.session[SESSION_ASSISTED_CODES] = sent
                return redirect(_done_url(draft))
        draft = _draft_or_404(request, code, draft.pk)
        if draft.dossier_id:  # sent meanwhile (the same code twice at once)
            return redirect(_done_url(draft))
    context = _assisted_context(request, draft, sent=sent, errors=errors)
    failed = bool(problem or errors)
    return _check_page(request, draft, problem=problem, assist=context,
                       status=status if failed else 200)


def _assisted_context(request: HttpRequest, draft, *, sent: dict, errors: dict) -> dict:
    """What the assisted block of the check page shows (the three ways to confirm)."""
    receiving, blocked = "", ""
    try:
        receiving = assisted.assisted_receiving(draft=draft).name
    except (assisted.AssistError, drafts.DraftError) as exc:
        blocked = exc.message  # shown only once every answer is right
    channel = assisted.assisted_channel(draft)
    relative = channel.owner == "relative"
    posted = request.method == "POST" and request.POST.get("to") == "relative"
    return {
        "phone": assisted.phone_display(channel.own_phone) if channel.own_phone else "",
        "channel": channel,
        "agency": draft.assisted_agency.name,
        "receiving": receiving,
        "blocked": blocked,
        "code_sent": str(draft.pk) in sent,
        "code_error": errors.get("code", ""),
        "errors": errors,
        "error_list": [(f"f-{name}", errors[name]) for name in _ASSIST_FIELDS if name in errors],
        # What the relative's inputs show: what was just typed, else the relative on file.
        "relative": {
            "phone": request.POST.get("relative_phone", "") if posted
            else channel.display if relative else "",
            "relation": request.POST.get("relation", "") if posted
            else channel.relation,
            "name": request.POST.get("relative_name", "") if posted
            else channel.relative_name,
        },
        "declaration_url": f"{_check_url(draft)}?{urlencode({'in': DECLARATION})}",
        "officer_name": request.user.get_full_name() or request.user.get_username(),
    }


def _declaration_pdf(request: HttpRequest, draft) -> HttpResponse:
    """The form the citizen signs to confirm on paper: the answers, the papers and a
    signature line, printed with the slips' engine."""
    try:
        data = assisted.assisted_declaration(officer=request.user, draft_id=draft.pk)
    except (assisted.AssistError, drafts.DraftError) as exc:  # answers not complete yet
        sent = dict(request.session.get(SESSION_ASSISTED_CODES, {}))
        context = _assisted_context(request, draft, sent=sent, errors={})
        return _check_page(request, draft, problem=exc.message, assist=context, status=400)
    pdf = document_pdf(template="backoffice/assisted/declaration_pdf.html", context=data)
    return private_file_response(
        pdf, filename=f"ban-khai-{data['digest']}.pdf", content_type="application/pdf"
    )


def _check_page(request: HttpRequest, draft, *, problem: str = "",
                assist: dict | None = None, status: int | None = None) -> HttpResponse:
    clean, errors = drafts.draft_check(draft)
    sources = drafts.prefilled_sources(draft.answers)
    known = set(draft.answers.get(drafts.KNOWN, []))
    rows = []
    for page in drafts.draft_pages(draft):
        files = draft.uploads.get(page["id"], []) if page["type"] == "upload" else []
        if files:
            lines = [f["name"] for f in files]
        else:
            lines = formdefs.answer_lines(page, clean.get(page["id"]))
        rows.append({
            "page": formdefs.localized(page),
            "lines": [line for line in lines if line],
            "error": next(iter(errors.get(page["id"], {}).values()), ""),
            "change_url": _page_url(draft, page["id"], from_check=True),
            "note": _SOURCE_NOTES[sources[page["id"]]]
            if page["id"] in known and sources.get(page["id"]) in _SOURCE_NOTES else "",
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
    keep_days, notice_days = drafts.draft_retention()
    return render(request, "portal/filing/drafts.html", {
        "items": items, "keep_days": keep_days, "notice_days": notice_days,
    })


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
