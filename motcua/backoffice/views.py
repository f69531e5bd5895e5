"""Officials' pages. Thin: parse input, call one service or selector, render.

Every view needs a signed-in official (someone holding a role in an agency) and
reads only what the agencies of that official receive or handle.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.accounts.credentials import official_must_change_password
from motcua.accounts.models import Role
from motcua.accounts.selectors import OfficialScope, official_scope, scope_agencies, scope_agency
from motcua.accounts.signin import second_factor_mark, second_factor_verified
from motcua.audit.services import (
    audit_dossier_view,
    audit_export,
    audit_second_factor_failed,
)
from motcua.backoffice import forms as bo_forms
from motcua.backoffice.selectors import (
    BOX_LABELS,
    InboxFilters,
    InboxRow,
    agency_clock,
    agency_officials,
    consultable_agencies,
    counter_communes,
    dossier_for_official,
    dossier_search,
    history_rows,
    inbox_boxes,
    inbox_page,
    paper_for_official,
    workflow_steps,
)
from motcua.catalog.search import SearchQueryError, procedure_search
from motcua.catalog.selectors import procedure_get_current
from motcua.core.downloads import private_file_response
from motcua.core.money import format_vnd
from motcua.core.text import clean_text
from motcua.core.uploads import stored_files_removed_on_error
from motcua.dossiers.actions import definition_of
from motcua.dossiers.actions.receive import procedure_needs_appointment
from motcua.dossiers.actions.runner import action_run
from motcua.dossiers.models import Channel, Dossier, NationalStatus, ResultDelivery
from motcua.dossiers.results import dossier_attach_result, result_attach_allowed
from motcua.dossiers.selectors import (
    ActionChoice,
    dossier_allowed_actions,
    dossier_answers,
    dossier_history,
    paper_rows,
)
from motcua.dossiers.services import (
    ActionNotAllowed,
    Applicant,
    DossierError,
    PaperInput,
    StaleDossier,
    dossier_receive_at_counter,
)
from motcua.dossiers.slip_contexts import slip_context_for, slip_forms, walk_in_slip_context
from motcua.dossiers.slips import slip_pdf
from motcua.filing.uploads import UPLOAD_CONTENT_TYPES
from motcua.organizations.models import Agency
from motcua.payments.bills import Line
from motcua.payments.services import PaymentError, bill_fee_suggestion, bill_request
from motcua.reporting.register import register_context

SESSION_AGENCY = "backoffice_agency"
LOGIN_URL = reverse_lazy("backoffice:login")


# --- the desk: who works where ------------------------------------------------------


@dataclass
class Desk:
    scope: OfficialScope
    agency: Agency

    @property
    def roles(self) -> frozenset[str]:
        return self.scope.roles_in(self.agency.pk)

    @property
    def reads_reports(self) -> bool:
        """A leader somewhere, or the province administrator: the reports link shows
        (motcua.reporting.selectors.report_scopes says what exactly they may read)."""
        return self.scope.province_admin or any(
            Role.LEADER in roles for roles in self.scope.roles_by_agency.values()
        )

    @property
    def manages_officials(self) -> bool:
        """An administrator (of the province or of an agency): "Tài khoản cán bộ" shows."""
        return self.scope.province_admin or any(
            Role.AGENCY_ADMIN in roles for roles in self.scope.roles_by_agency.values()
        )


def _desk(request: HttpRequest, scope: OfficialScope) -> Desk:
    agency = scope_agency(scope=scope, agency_id=request.session.get(SESSION_AGENCY))
    if agency is None:
        agency = Agency.objects.filter(pk__in=scope.agency_ids).order_by("name").first()
        if agency is not None:
            request.session[SESSION_AGENCY] = agency.pk
    assert agency is not None  # an official holds a role in at least one agency
    return Desk(scope=scope, agency=agency)


def _sign_in_first(request: HttpRequest) -> HttpResponse | None:
    """None when the session is a full sign-in (password and authenticator code);
    otherwise the way to the sign-in page, back here afterwards (ASVS 5.0 V6.3.3)."""
    if request.user.is_authenticated and second_factor_verified(request):
        return None
    return redirect_to_login(request.get_full_path(), LOGIN_URL)


def _password_first(request: HttpRequest) -> HttpResponse | None:
    """An administrator set a temporary password: nothing before it is changed."""
    if not official_must_change_password(user=request.user):
        return None
    messages.warning(request, _("Choose your own password before you continue."))
    return _to_password_page(request.get_full_path())


def _to_password_page(target: str) -> HttpResponse:
    return redirect(f"{reverse('backoffice:password')}?{urlencode({'next': target})}")


def signed_in_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A full sign-in, role or not (administrators of the admin site sign in here too);
    the view gets the desk, or None for someone holding no role."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (refused := _sign_in_first(request)) is not None:
            return refused
        scope = official_scope(user=request.user)
        desk = _desk(request, scope) if scope.is_official else None
        return view(request, desk, *args, **kwargs)

    return wrapper


def official_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in with both factors, no temporary password left to change, and holding a
    role somewhere; the view gets the official's desk."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (refused := _sign_in_first(request) or _password_first(request)) is not None:
            return refused
        scope = official_scope(user=request.user)
        if not scope.is_official:
            return render(request, "backoffice/not_official.html", status=403)
        return view(request, _desk(request, scope), *args, **kwargs)

    return wrapper


def _render(
    request: HttpRequest, desk: Desk, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        "desk": desk,
        "agencies": scope_agencies(scope=desk.scope),
        "is_receiving_officer": Role.RECEIVING_OFFICER in desk.roles,
        **context,
    }
    return render(request, template, context, status=status)


# --- sign-in: password, then the authenticator code (enrolled on the spot if need be) --------

SESSION_PENDING = "official_signin_pending"  # password checked, second factor not yet
PENDING_SECONDS = 600  # time to type the code, or to install an app and scan the QR code
CODE_MAX_TRIES = 5  # per password typed; each wrong code also counts towards the lockout
SESSION_REAUTH = "official_enrol_password_at"  # password typed again to enrol, when
REAUTH_SECONDS = 600


def _default_next(user: Any) -> str:
    """Where a sign-in without `next` leads: the inbox, or the admin site for an
    administrator who holds no role."""
    if user.is_staff and not official_scope(user=user).is_official:
        return reverse("admin:index")
    return reverse("backoffice:inbox")


def _enrol_context(user: Any) -> dict[str, Any]:
    import segno

    from motcua.accounts.services import official_totp_begin, official_totp_uri

    uri = official_totp_uri(user=user) or official_totp_begin(user=user)
    secret = parse_qs(urlsplit(uri).query).get("secret", [""])[0]
    qr = segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code to scan"))
    return {
        "uri": uri,
        "qr": qr,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


def _signin_failed(request: HttpRequest, username: str) -> None:
    """A wrong authenticator code counts like a wrong password (axes, the audit trail)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


class OfficialLoginView(auth_views.LoginView):
    """Officials and administrators sign in here (the admin site's login sends here): the
    password, then the code of their authenticator app on the same address. Someone
    without an app enrols one before being signed in (ASVS 5.0 V6.3.3: a second factor
    for every official). Wrong passwords and codes are counted by django-axes
    (motcua/accounts/lockout.py); the lockout page is security.lockout_response."""

    template_name = "backoffice/login.html"
    redirect_authenticated_user = False  # only a full sign-in goes on (get below)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.session.pop(SESSION_PENDING, None)  # a fresh visit starts from the password
        if request.user.is_authenticated and second_factor_verified(request):
            target = self.get_success_url()
            if official_must_change_password(user=request.user):
                return _to_password_page(target)
            if target != request.path:
                return redirect(target)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "totp" in request.POST:
            return self._code_step(request)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        return _default_next(user) if user.is_authenticated else reverse("backoffice:inbox")

    def form_valid(self, form: Any) -> HttpResponse:
        from motcua.accounts.credentials import temporary_password_expired
        from motcua.accounts.selectors import official_totp_enabled

        user = form.get_user()
        if temporary_password_expired(user=user):
            form.add_error(
                None,
                _(
                    "The temporary password has expired. Ask your administrator to reset "
                    "your password again."
                ),
            )
            return self.form_invalid(form)
        enrol = not official_totp_enabled(user=user)
        self.request.session[SESSION_PENDING] = {
            "uid": user.pk,
            "backend": user.backend,
            "next": self.get_redirect_url() or _default_next(user),
            "at": time.time(),
            "tries": 0,
            "enrol": enrol,
        }
        return self._code_page(user, enrol=enrol)

    def _code_page(self, user: Any, *, enrol: bool, error: str = "") -> HttpResponse:
        context: dict[str, Any] = {"error": error}
        template = "backoffice/login_totp.html"
        if enrol:
            template = "backoffice/login_enrol.html"
            context.update(_enrol_context(user))
        return render(self.request, template, context, status=400 if error else 200)

    def _code_step(self, request: HttpRequest) -> HttpResponse:
        from axes.handlers.proxy import AxesProxyHandler
        from django.contrib.auth import get_user_model, login

        from motcua.accounts.credentials import official_second_factor_confirm

        pending = request.session.get(SESSION_PENDING)
        if not pending or time.time() - pending["at"] > PENDING_SECONDS:
            request.session.pop(SESSION_PENDING, None)
            messages.error(request, _("Sign-in took too long. Enter your password again."))
            return redirect(LOGIN_URL)
        user = get_user_model().objects.filter(pk=pending["uid"], is_active=True).first()
        if user is None:
            request.session.pop(SESSION_PENDING, None)
            return redirect(LOGIN_URL)
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(SESSION_PENDING, None)
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
            request.axes_credentials = credentials
            return redirect(LOGIN_URL)
        if official_second_factor_confirm(user=user, code=request.POST["totp"], request=request):
            request.session.pop(SESSION_PENDING, None)
            login(request, user, backend=pending["backend"])  # a new session key
            second_factor_mark(request)
            if pending["enrol"]:
                messages.success(request, _("Two-step sign-in is on."))
            return redirect(pending["next"])
        _signin_failed(request, user.get_username())
        pending["tries"] += 1
        if getattr(request, "axes_locked_out", False):
            request.session.pop(SESSION_PENDING, None)
            return redirect(LOGIN_URL)  # replaced by the lockout page
        if pending["tries"] >= CODE_MAX_TRIES:
            request.session.pop(SESSION_PENDING, None)
            messages.error(request, _("Too many wrong codes. Enter your password again."))
            return redirect(LOGIN_URL)
        request.session[SESSION_PENDING] = pending
        error = _("This code is not right. Enter the 6 digits your authenticator app shows now.")
        return self._code_page(user, enrol=pending["enrol"], error=error)


login_view = OfficialLoginView.as_view()


@require_http_methods(["GET", "POST"])
@official_required
def totp_enrol(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Two-step sign-in for a signed-in official whose app an administrator reset: the
    password again first (a session left open must not be enough to bind another
    phone), then scan the QR code and type the first code."""
    from django.contrib.auth import authenticate

    from motcua.accounts.credentials import official_second_factor_confirm
    from motcua.accounts.selectors import official_totp_enabled

    user = request.user
    if official_totp_enabled(user=user):
        return _render(request, desk, "backoffice/totp_enrol.html", {"enabled": True})
    reauth = request.session.get(SESSION_REAUTH)
    fresh = isinstance(reauth, int | float) and time.time() - reauth < REAUTH_SECONDS
    error = ""
    if request.method == "POST" and "password" in request.POST:
        checked = authenticate(
            request, username=user.get_username(), password=request.POST["password"]
        )
        if getattr(request, "axes_locked_out", False):
            from django.contrib.auth import logout

            logout(request)  # someone is guessing this official's password
            return redirect(LOGIN_URL)
        if checked is not None and checked.pk == user.pk:
            request.session[SESSION_REAUTH] = time.time()
            return redirect("backoffice:totp_enrol")
        error = _("This password is not right.")
    elif request.method == "POST" and fresh:
        code = request.POST.get("code", "")
        if official_second_factor_confirm(user=user, code=code, request=request):
            request.session.pop(SESSION_REAUTH, None)
            second_factor_mark(request)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("backoffice:inbox")
        audit_second_factor_failed(request=request, credentials={"username": user.get_username()})
        error = _("This code is not right. Enter the 6 digits your authenticator app shows now.")
    context = {"ask_password": True} if not fresh else _enrol_context(user)
    status = 400 if error else 200
    return _render(
        request, desk, "backoffice/totp_enrol.html", {**context, "error": error}, status=status
    )


logout_view = auth_views.LogoutView.as_view(next_page=LOGIN_URL)


@require_POST
@official_required
def switch_agency(request: HttpRequest, desk: Desk) -> HttpResponse:
    agency = scope_agency(scope=desk.scope, agency_id=request.POST.get("agency"))
    if agency is None:
        messages.error(request, _("You have no role in that agency."))
    else:
        request.session[SESSION_AGENCY] = agency.pk
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("backoffice:inbox")
    return redirect(target or reverse("backoffice:inbox"))


# --- inbox ----------------------------------------------------------------------


@require_GET
@official_required
def inbox(request: HttpRequest, desk: Desk) -> HttpResponse:
    form = bo_forms.InboxFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    steps = workflow_steps()
    boxes = inbox_boxes(scope=desk.scope, agency=desk.agency, steps=steps)
    filters = InboxFilters(
        box=data.get("box") or "",
        overdue=bool(data.get("overdue")),
        due_soon=bool(data.get("due_soon")),
        procedure=(data.get("procedure") or "").strip(),
        after=(data.get("after") or "").strip(),
    )
    clock = agency_clock(agency=desk.agency)
    page = inbox_page(
        scope=desk.scope, agency=desk.agency, filters=filters, steps=steps, clock=clock
    )
    box = page.box
    base = {"box": box}
    for key in ("overdue", "due_soon"):
        if getattr(filters, key):
            base[key] = "on"
    if filters.procedure:
        base["procedure"] = filters.procedure
    context = {
        "nav": "inbox",
        "boxes": [
            {
                "key": b,
                "label": BOX_LABELS[b],
                "count": page.counts.get(b, ""),
                "url": "?" + urlencode({"box": b}),
            }
            for b in boxes
        ],
        "box": box,
        "box_label": BOX_LABELS[box],
        "filters": filters,
        "page": page,
        "next_url": "?" + urlencode({**base, "after": page.next_cursor})
        if page.next_cursor
        else "",
        "first_url": "?" + urlencode(base) if filters.after else "",
    }
    return _render(request, desk, "backoffice/inbox.html", context)


# --- one dossier ----------------------------------------------------------------


def _assignees(dossier: Dossier, choice: ActionChoice) -> list[Any]:
    """Officials who may take the dossier at the step a workflow action leads to."""
    target = getattr(choice.spec, "to", "")
    state = definition_of(dossier.workflow)["states"].get(target) or {}
    if state.get("role") != Role.SPECIALIST:
        return []
    return agency_officials(agency=dossier.competent_agency, role=Role.SPECIALIST)


def _action_form(
    dossier: Dossier, choice: ActionChoice, data: dict[str, Any] | None = None
) -> bo_forms.ActionForm:
    """The form of the action's kind (its spec says which), bound to `data` if given."""
    kwargs: dict[str, Any] = {
        "initial": {"action": choice.key, "expected_version": dossier.lock_version},
        "prefix": None,
        "auto_id": f"id_{choice.key}_%s",
    }
    kind = choice.spec.form
    if kind == "workflow":
        consult = bool(getattr(choice.spec, "consult", False))
        kwargs.update(
            consult=consult,
            consult_agencies=consultable_agencies(exclude=[dossier.competent_agency_id])
            if consult
            else None,
            assignees=_assignees(dossier, choice),
        )
    elif kind == "receive":
        kwargs["appointment_needed"] = procedure_needs_appointment(dossier.procedure_version)
    elif kind == "fee":
        kwargs["initial"].update(bill_fee_suggestion(dossier=dossier))
    elif kind == "return":
        # The returning officer sees how the applicant asked for the result.
        kwargs.update(delivery=dossier.result_delivery, address=dossier.result_address)
    return bo_forms.ACTION_FORMS[kind](data, **kwargs)


def _dossier_context(
    request: HttpRequest,
    desk: Desk,
    dossier: Dossier,
    *,
    failed: tuple[str, bo_forms.ActionForm] | None = None,
    result_form: bo_forms.ResultForm | None = None,
) -> dict[str, Any]:
    steps = workflow_steps()
    clock = agency_clock(agency=dossier.competent_agency)
    actions = []
    for choice in dossier_allowed_actions(dossier=dossier, user=request.user):
        if failed is not None and failed[0] == choice.key:
            form = failed[1]
        else:
            form = _action_form(dossier, choice)
        actions.append(
            {
                "choice": choice,
                "form": form,
                "danger": choice.spec.danger,
                "open": failed is not None and failed[0] == choice.key,
                "simple": not [f for f in form.visible_fields()],
            }
        )
    from motcua.backoffice.payments import bill_context

    return {
        **bill_context(dossier=dossier, desk=desk),
        "dossier": dossier,
        "procedure": dossier.procedure_version,
        "status_label": NationalStatus(dossier.status).label,
        "channel_label": Channel(dossier.channel).label,
        "step": steps.label(dossier),
        "urgency": clock.urgency(dossier),
        "papers": paper_rows(dossier=dossier),
        "answers": dossier_answers(dossier=dossier),
        "fee": format_vnd(dossier.fee_amount) if dossier.fee_amount else "",
        "history": history_rows(dossier=dossier, events=dossier_history(dossier=dossier)),
        "step_labels": steps.labels,
        "actions": actions,
        "slips": [(form, SLIP_LABELS[form]) for form in slip_forms(dossier=dossier)],
        "result_form": result_form
        or (
            bo_forms.ResultForm(initial={"expected_version": dossier.lock_version})
            if result_attach_allowed(dossier=dossier, user=request.user)
            else None
        ),
    }


@require_GET
@official_required
def dossier_detail(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    dossier = dossier_for_official(scope=desk.scope, code=code, reader=request.user)
    if dossier is None:
        raise Http404
    audit_dossier_view(request=request, dossier=dossier, what="page")
    return _render(
        request, desk, "backoffice/dossier.html", _dossier_context(request, desk, dossier)
    )


@require_POST
@official_required
def dossier_action(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    dossier = dossier_for_official(scope=desk.scope, code=code)
    if dossier is None:
        raise Http404
    detail_url = reverse("backoffice:dossier", args=[dossier.code])
    stale_message = _(
        "This dossier was just updated by someone else. Here is its current state: "
        "check it and act again if still needed."
    )
    key = request.POST.get("action", "")
    choice = next(
        (c for c in dossier_allowed_actions(dossier=dossier, user=request.user) if c.key == key),
        None,
    )
    posted_version = request.POST.get("expected_version", "")
    if choice is None:
        if posted_version != str(dossier.lock_version):
            messages.warning(request, stale_message)
        else:
            messages.error(request, _("This action is not possible now for this dossier."))
        return redirect(detail_url)
    form = _action_form(dossier, choice, request.POST)
    if form.has_error("expected_version") or form.has_error("action"):
        messages.warning(request, stale_message)
        return redirect(detail_url)
    if form.is_valid():
        try:
            if choice.spec.form == "fee":
                # The fee becomes a bill the citizen can pay online (motcua.payments).
                params = form.params()
                bill_request(
                    dossier=dossier,
                    officer=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                    lines=[Line(params["description"], params["amount_vnd"], 1,
                                params["amount_vnd"])],
                )
            else:
                action_run(
                    key=choice.key,
                    dossier=dossier,
                    actor=request.user,
                    expected_version=form.cleaned_data["expected_version"],
                    **form.params(),
                )
        except StaleDossier:
            messages.warning(request, stale_message)
            return redirect(detail_url)
        except ValidationError as exc:
            _add_errors(form, exc)
        except (ActionNotAllowed, DossierError, PaymentError) as exc:
            form.add_error(None, str(exc.message) or _("This action is not possible now."))
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": choice.label})
            return redirect(detail_url)
    dossier.refresh_from_db()
    context = _dossier_context(request, desk, dossier, failed=(choice.key, form))
    return _render(request, desk, "backoffice/dossier.html", context, status=400)


@require_POST
@official_required
def dossier_result_upload(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    """Attach the signed electronic result (PDF) of a decided dossier."""
    dossier = dossier_for_official(scope=desk.scope, code=code)
    if dossier is None:
        raise Http404
    detail_url = reverse("backoffice:dossier", args=[dossier.code])
    form = bo_forms.ResultForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            dossier_attach_result(
                dossier=dossier,
                officer=request.user,
                expected_version=form.cleaned_data["expected_version"],
                upload=form.cleaned_data["result_file"],
            )
        except StaleDossier:
            messages.warning(
                request,
                _(
                    "This dossier was just updated by someone else. Check it and attach the "
                    "result again if still needed."
                ),
            )
            return redirect(detail_url)
        except (ActionNotAllowed, DossierError) as exc:
            form.add_error("result_file", str(exc))
        else:
            messages.success(request, _("The electronic result is attached."))
            return redirect(detail_url)
    dossier.refresh_from_db()
    context = _dossier_context(request, desk, dossier, result_form=form)
    return _render(request, desk, "backoffice/dossier.html", context, status=400)


@require_GET
@official_required
def dossier_result(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    """The electronic result of a dossier the official may see."""
    dossier = dossier_for_official(scope=desk.scope, code=code, reader=request.user)
    if dossier is None or not dossier.result_file:
        raise Http404
    audit_dossier_view(request=request, dossier=dossier, what="result")
    return private_file_response(
        dossier.result_file.open("rb"),
        filename=f"{dossier.code}-ket-qua.pdf",
        content_type="application/pdf",
    )


def _add_errors(form: Any, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError beside the fields it names (else above the form)."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            field = aliases.get(name, name)
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


SLIP_LABELS = {
    "01": gettext_lazy("Print the receipt slip (form 01)"),
    "02": gettext_lazy("Print the supplement request (form 02)"),
    "03": gettext_lazy("Print the refusal (form 03)"),
    "04": gettext_lazy("Print the apology and new date (form 04)"),
    "05": gettext_lazy("Print the processing-control slip (form 05)"),
}


@require_GET
@official_required
def dossier_slip(request: HttpRequest, desk: Desk, code: str, form: str) -> HttpResponse:
    """Slip `form` (01–05) of Circular 01 as a PDF, only once it applies to the dossier."""
    dossier = dossier_for_official(scope=desk.scope, code=code, reader=request.user)
    if dossier is None:
        raise Http404
    tracking_url = request.build_absolute_uri("/tra-cuu/?" + urlencode({"ma": dossier.code}))
    context = slip_context_for(dossier=dossier, form=form, tracking_url=tracking_url)
    if context is None:
        raise Http404
    audit_dossier_view(request=request, dossier=dossier, what=f"slip {form}")
    return _pdf(slip_pdf(form=form, context=context), f"{dossier.code}-phieu-{form}.pdf")


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    return private_file_response(pdf, filename=filename, content_type="application/pdf")


@require_GET
@official_required
def tracking_register(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The tracking register (form 06) of the official's current agency for a month
    (?thang=YYYY-MM) or a first and last day (?tu=YYYY-MM-DD&den=YYYY-MM-DD)."""
    form = bo_forms.RegisterPeriodForm(request.GET)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(
                    request,
                    _("The tracking register cannot be printed: %(error)s") % {"error": error},
                )
        return redirect("backoffice:inbox")
    period = form.cleaned_data["period"]
    context = register_context(agency=desk.agency, period=period)
    name = f"so-theo-doi-{period.slug}.pdf"
    audit_export(request=request, what=f"tracking register 06, {desk.agency}", file_name=name)
    return _pdf(slip_pdf(form="06", context=context), name)


@require_GET
@official_required
def dossier_paper(request: HttpRequest, desk: Desk, code: str, paper_id: int) -> HttpResponse:
    """The scan or photo of one paper, for officials who may see the dossier."""
    found = paper_for_official(
        scope=desk.scope, code=code, paper_id=paper_id, reader=request.user
    )
    if found is None:
        raise Http404
    paper, kind = found
    audit_dossier_view(request=request, dossier=paper.dossier, what=f"paper {paper.pk}")
    return private_file_response(
        paper.file.open("rb"),
        filename=paper.file.name,
        content_type=UPLOAD_CONTENT_TYPES.get(kind or "", "application/octet-stream"),
    )


# --- counter reception -------------------------------------------------------------


@require_GET
@official_required
def counter_pick(request: HttpRequest, desk: Desk) -> HttpResponse:
    form = bo_forms.ProcedurePickForm(request.GET)
    query, hits, error = "", [], ""
    if form.is_valid():
        query = form.cleaned_data["q"]
    else:
        error = " ".join(form.errors.get("q", []))
    if query.strip():
        try:
            hits = procedure_search(query=query, limit=15).items
        except SearchQueryError as exc:
            error = str(exc)
    context = {"nav": "counter", "form": form, "q": query, "hits": hits, "error": error}
    return _render(request, desk, "backoffice/counter_pick.html", context, 400 if error else 200)


# Names a service may give fields of the applicant, mapped to the counter form's fields.
APPLICANT_FIELDS = {
    "appointment": "appointment",
    "applicant_name": "name",
    "applicant_id_number": "id_number",
    "applicant_birth_date": "birth_date",
    "applicant_phone": "phone",
    "applicant_email": "email",
    "applicant_address": "address",
    "applicant_unit": "unit",
}


@require_http_methods(["GET", "POST"])
@official_required
def counter_form(request: HttpRequest, desk: Desk, procedure: str) -> HttpResponse:
    version = procedure_get_current(code=procedure)
    if version is None:
        raise Http404
    if Role.RECEIVING_OFFICER not in desk.roles:
        messages.error(
            request,
            _("Only a receiving officer of %(agency)s can receive dossiers here.")
            % {"agency": desk.agency.name},
        )
        return redirect("backoffice:counter")
    posted = request.method == "POST"
    form = _counter_form(
        version, request.POST if posted else None, request.FILES if posted else None
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dossier = _receive_at_counter(
                    desk=desk, officer=request.user, version=version, form=form
                )
            except ValidationError as exc:
                _add_errors(form, exc, APPLICANT_FIELDS)
            else:
                messages.success(
                    request,
                    _("Dossier %(code)s received. Print the receipt and give it to the applicant.")
                    % {"code": dossier.code},
                )
                return redirect("backoffice:dossier", code=dossier.code)
        status = 400
    walk_in = bo_forms.WalkInSlipForm(prefix="walkin")
    return _render_counter(request, desk, version, form, walk_in, status)


def _counter_form(version: Any, data: Any = None, files: Any = None) -> bo_forms.CounterForm:
    return bo_forms.CounterForm(
        data,
        files,
        papers=list(version.papers.all()),
        communes=counter_communes(province_code=settings.MOTCUA_PROVINCE_CODE),
        appointment_needed=procedure_needs_appointment(version),
    )


def _render_counter(
    request: HttpRequest,
    desk: Desk,
    version: Any,
    form: bo_forms.CounterForm,
    walk_in: bo_forms.WalkInSlipForm,
    status: int,
) -> HttpResponse:
    context = {
        "nav": "counter",
        "version": version,
        "form": form,
        "paper_rows": form.bound_paper_rows(),
        "walk_in": walk_in,
    }
    return _render(request, desk, "backoffice/counter_form.html", context, status)


@require_POST
@official_required
def counter_walk_in_slip(request: HttpRequest, desk: Desk, procedure: str) -> HttpResponse:
    """Form 02 or 03 for a person whose papers the desk does not receive: printed,
    nothing recorded (no code, no clock; Decree 61/2018 art. 18(2))."""
    version = procedure_get_current(code=procedure)
    if version is None:
        raise Http404
    if Role.RECEIVING_OFFICER not in desk.roles:
        return redirect("backoffice:counter")
    form = bo_forms.WalkInSlipForm(request.POST, prefix="walkin")
    if not form.is_valid():
        return _render_counter(request, desk, version, _counter_form(version), form, 400)
    data = form.cleaned_data
    context = walk_in_slip_context(
        form=data["slip"],
        agency=desk.agency,
        procedure_version=version,
        applicant_name=clean_text(data["applicant_name"]),
        applicant_address=clean_text(data["applicant_address"]),
        applicant_phone=data["applicant_phone"].strip(),
        lines=data["lines"],
        officer=request.user,
        at=timezone.now(),
    )
    pdf = slip_pdf(form=data["slip"], context=context)
    return _pdf(pdf, f"phieu-{data['slip']}-{version.procedure.code}.pdf")


def _receive_at_counter(
    *, desk: Desk, officer: Any, version: Any, form: bo_forms.CounterForm
) -> Dossier:
    data = form.cleaned_data
    applicant = Applicant(
        type="person",
        name=data["name"],
        id_number=data["id_number"],
        birth_date=data.get("birth_date"),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        address=data.get("address", ""),
        unit=data.get("unit"),
    )
    papers = [
        PaperInput(
            name=p["name"],
            form=p["form"],
            count=p["count"],
            required_paper=p["required_paper"],
            file=p["file"],
            scanned_at_counter=p["file"] is not None,
        )
        for p in form.papers()
    ]
    with stored_files_removed_on_error():  # a refused reception keeps no scan on disk
        return dossier_receive_at_counter(
            officer=officer,
            agency=desk.agency,
            procedure_version=version,
            applicant=applicant,
            papers=papers,
            channel=Channel.IN_PERSON,
            appointment=data.get("appointment"),
            result_delivery=data.get("result_delivery") or ResultDelivery.DESK,
            result_address=data.get("result_address", ""),
        )


# --- search ----------------------------------------------------------------------


@require_GET
@official_required
def search(request: HttpRequest, desk: Desk) -> HttpResponse:
    form = bo_forms.DossierSearchForm(request.GET or None)
    result = None
    if form.is_valid():
        result = dossier_search(scope=desk.scope, query=form.cleaned_data["q"], agency=desk.agency)
    status = 400 if form.is_bound and not form.is_valid() else 200
    steps = workflow_steps()
    clock = agency_clock(agency=desk.agency)
    rows = (
        [InboxRow(d, steps.label(d), clock.urgency(d)) for d in result.dossiers] if result else []
    )
    context = {"nav": "search", "form": form, "result": result, "rows": rows}
    return _render(request, desk, "backoffice/search.html", context, status)
