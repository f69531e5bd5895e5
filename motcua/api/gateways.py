"""The addresses payment gateways call server-to-server (IPN, webhooks).

Every call is logged (motcua.payments.models.CallbackLog), accepted or not. A callback
is believed only once its method has checked the signature; the services then check
that it fits the attempt. The answer is the one the gateway expects, so it stops
retrying what was recorded and retries what failed on our side.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from motcua.core.net import client_ip
from motcua.dossiers.actions.base import DossierError
from motcua.payments.methods.base import Answer, CallbackRejected
from motcua.payments.methods.registry import registry
from motcua.payments.models import Source
from motcua.payments.services import NoticeRejected, callback_log, notice_apply

MAX_BODY = 64 * 1024


def _reply(answer: Answer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def notify(request: HttpRequest, method: str) -> HttpResponse:
    found = registry.get(method)
    if found is None or not found.online or not found.configured():
        raise Http404
    body = request.body[:MAX_BODY]
    raw = body or request.META.get("QUERY_STRING", "").encode()
    remote = client_ip(request)  # the gateway, not the proxy in front of us
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        notices = found.parse_callback(
            http_method=request.method or "POST",
            query=request.GET.dict(),
            body=body,
            headers=headers,
        )
    except CallbackRejected as exc:
        callback_log(
            method=method, accepted=False, problem=exc.reason, remote_addr=remote, payload=raw
        )
        return _reply(found.callback_answer(accepted=False, reason="signature"))
    already = False
    for notice in notices:
        try:
            applied = notice_apply(method=found, notice=notice, source=Source.CALLBACK)
        except NoticeRejected as exc:
            callback_log(
                method=method,
                accepted=False,
                problem=exc.message,
                reference=notice.reference,
                remote_addr=remote,
                payload=raw,
            )
            return _reply(found.callback_answer(accepted=False, reason=exc.reason))
        except (DatabaseError, DossierError) as exc:
            # Our side failed (a lock timeout, a dossier changed under us): nothing was
            # recorded, and the gateway's retry will bring it again.
            callback_log(
                method=method,
                accepted=False,
                problem=f"error: {exc}"[:500],
                reference=notice.reference,
                remote_addr=remote,
                payload=raw,
            )
            return _reply(found.callback_answer(accepted=False, reason="error"))
        already = already or applied.result == "already"
    callback_log(
        method=method,
        accepted=True,
        reference=",".join(n.reference for n in notices),
        remote_addr=remote,
        payload=raw,
    )
    return _reply(found.callback_answer(accepted=True, reason="already" if already else ""))
