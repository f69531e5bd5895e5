"""Officers' page of the messages to citizens that could not be delivered, with retry.
Thin: scope, call, render (the outbox itself is motcua.notifications)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from motcua.accounts.selectors import scope_agencies
from motcua.backoffice.views import Desk, official_required
from motcua.notifications.selectors import (
    PAGE_SIZE,
    notification_failed_for,
    notifications_failed,
)
from motcua.notifications.services import NotificationError, notification_retry


def _agency_ids(desk: Desk) -> list[int] | None:
    # A province administrator sees every agency's failures.
    return None if desk.scope.province_admin else desk.scope.agency_ids


@require_GET
@official_required
def failures(request: HttpRequest, desk: Desk) -> HttpResponse:
    try:
        before = int(request.GET.get("truoc", "") or 0) or None
    except ValueError:
        before = None
    rows = notifications_failed(agency_ids=_agency_ids(desk), before_id=before)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "backoffice/notifications_failed.html",
        {
            "desk": desk,
            "agencies": scope_agencies(scope=desk.scope),
            "nav": "notifications",
            "rows": rows,
            "next_url": f"?truoc={rows[-1].pk}" if more and rows else "",
            "first_url": "?" if before else "",
        },
    )


@require_POST
@official_required
def retry(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    notification = notification_failed_for(pk=pk, agency_ids=_agency_ids(desk))
    if notification is None:
        raise Http404
    try:
        notification_retry(notification=notification, actor=request.user)
    except NotificationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The notification will be sent again."))
    return redirect(reverse("backoffice:notifications_failed"))
