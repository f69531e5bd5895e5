"""Bank app, QR or card payment on a payOS payment link.

Followed as payOS publishes it (payos.vn/docs: API "Tạo link thanh toán", "Lấy thông tin
link thanh toán", "Webhook thanh toán", tich-hop-webhook/kiem-tra-du-lieu-voi-signature)
and as its SDKs (payOSHQ/payos-lib-python, payos-lib-node) sign:

- Create: POST {PAY_PAYOS_URL}/v2/payment-requests, headers x-client-id and x-api-key,
  body with signature = hex HMAC-SHA256 (checksum key) of
  "amount=..&cancelUrl=..&description=..&orderCode=..&returnUrl=..". Answer
  {"code": "00", "desc": "success", "data": {..., "checkoutUrl", "paymentLinkId"},
  "signature"}. A second create for the same orderCode is answered code 231 ("Đơn thanh
  toán đã tồn tại").
- Get: GET {PAY_PAYOS_URL}/v2/payment-requests/{orderCode}, data {id, orderCode, amount,
  amountPaid, amountRemaining, status, createdAt, transactions, ...}. It carries no
  checkoutUrl: the page of a link is https://pay.payos.vn/web/{id}.
- Webhook: POST JSON {code, desc, success, data: {orderCode, amount, description,
  accountNumber, reference, transactionDateTime, currency, paymentLinkId, code, desc,
  counterAccount..., virtualAccount...}, signature}, to the URL set on the payment
  channel (not per request); sent for successful payments; any 2XX answer confirms it.
- The signature of a data object (answers and webhooks): its keys sorted, "key=value"
  joined by "&", null as "", booleans as true/false, arrays as compact JSON of their
  objects with sorted keys.
- The browser comes back to returnUrl (paid) or cancelUrl with ?code=00&id=<link>
  &cancel=true|false&status=PAID|CANCELLED&orderCode=<n>, unsigned.

payOS's orderCode is a number (at most 2^53 - 1, JavaScript's safe integers). Ours is
derived from the reference: "MC" + 10 characters of [0-9A-Z] read in base 36, so at most
36^10 - 1 = 3,656,158,440,062,975, well inside the limit, and one-to-one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from motcua.payments import conf
from motcua.payments.methods.base import (
    Answer,
    AttemptInfo,
    CallbackRejected,
    GatewayError,
    Method,
    Notice,
    Outcome,
    Platform,
    Started,
)
from motcua.payments.methods.http import gateway_call
from motcua.payments.methods.registry import register

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ORDER_CODE_MAX = 2**53 - 1  # 9007199254740991
REFERENCE = re.compile(r"MC[0-9A-Z]{10}")
REFERENCE_CODES = 36**10  # order codes 0 .. 36^10 - 1 map to references
# payOS caps description at 25 characters (9 for a bank account not linked through
# payOS). It becomes the transfer description; our 12-character reference fits 25.
DESCRIPTION_MAX = 25
PRODUCTION_API_HOST = "api-merchant.payos.vn"
PRODUCTION_CHECKOUT = "https://pay.payos.vn/web/"

SUCCESS = "00"
ORDER_EXISTS = "231"
# What payOS answers for an order code it does not know (the simulator does the same);
# not in the published API reference.
NOT_FOUND = "101"

PENDING_STATUSES = {"PENDING", "PROCESSING", "UNDERPAID"}
FAILED_STATUSES = {"CANCELLED", "EXPIRED", "FAILED"}

# Why a callback was not recorded: what the services pass to callback_answer, and the
# prefix ("<reason>: <detail>") of the CallbackRejected reasons raised here.
REASON_SIGNATURE = "signature"
REASON_NOT_FOUND = "not_found"
REASON_AMOUNT = "amount"
REASON_ALREADY = "already"
REASON_ERROR = "error"
# Answered 200 all the same: resending cannot change them, and payOS checks a webhook
# URL by sending it a signed sample (orderCode 123) that must get a 2XX.
SETTLED_REASONS = {REASON_NOT_FOUND, REASON_ALREADY}


# --- order codes ------------------------------------------------------------------------


def order_code(reference: str) -> int:
    """payOS's orderCode for one of our references; ValueError for anything else."""
    if not REFERENCE.fullmatch(reference):
        raise ValueError(f"{reference!r} is not a payment reference")
    return int(reference[2:], 36)


def reference_for(code: Any) -> str:
    """Our reference for a payOS orderCode; ValueError if no reference has it."""
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code < REFERENCE_CODES:
        raise ValueError(f"orderCode {code!r} is not one of ours")
    digits = ""
    while code:
        code, digit = divmod(code, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
    return "MC" + digits.rjust(10, "0")


# --- signing (shared with the simulator) ------------------------------------------------


def hmac_sha256(key: str, data: str) -> str:
    return hmac.new(key.encode("utf-8"), data.encode("utf-8"), hashlib.sha256).hexdigest()


def _value(value: Any) -> str:
    """One value as payOS's SDKs write it into the signed string."""
    if value is None or value in ("null", "undefined"):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [dict(sorted(i.items())) if isinstance(i, dict) else i for i in value]
        return json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return str(value)


def data_signature(data: Mapping[str, Any], key: str) -> str:
    return hmac_sha256(key, "&".join(f"{k}={_value(data[k])}" for k in sorted(data)))


def request_signature(
    *, amount: int, cancel_url: str, description: str, order_code: int, return_url: str, key: str
) -> str:
    return hmac_sha256(
        key,
        f"amount={amount}&cancelUrl={cancel_url}&description={description}"
        f"&orderCode={order_code}&returnUrl={return_url}",
    )


def signature_ok(given: Any, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected, given.lower())


def parse_time(text: Any) -> datetime:
    """payOS writes "2023-02-04 18:25:00" (webhooks, local time) or ISO 8601 with an
    offset (the get API)."""
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def reason_key(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


# --- HTTP -------------------------------------------------------------------------------


def _request(method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """One authenticated call to payOS, its JSON answer. GatewayError when it surely did
    not get through or was refused, GatewayTimeout when it may have got through and no
    answer came in PAY_HTTP_TIMEOUT."""
    headers = {
        "x-client-id": conf.get("PAY_PAYOS_CLIENT_ID"),
        "x-api-key": conf.get("PAY_PAYOS_API_KEY"),
        "Accept": "application/json",
    }
    data = None
    if payload is not None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    url = conf.get("PAY_PAYOS_URL").rstrip("/") + path
    status, raw, _headers = gateway_call("payOS", url, method=method, body=data, headers=headers)
    try:
        answer = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    if status != 200 or not isinstance(answer, dict):
        desc = answer.get("desc", "") if isinstance(answer, dict) else raw[:200].decode("latin-1")
        raise GatewayError(f"payOS {method} {path}: HTTP {status} {desc}".strip())
    answer["code"] = str(answer.get("code", ""))
    return answer


def _signed_data(answer: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """The answer's data, its signature checked when present (always when `required`)."""
    data = answer.get("data")
    if not isinstance(data, dict):
        raise GatewayError(f"payOS: no data in the answer ({answer.get('desc', '')}).")
    given = answer.get("signature")
    if given or required:
        if not signature_ok(given, data_signature(data, conf.get("PAY_PAYOS_CHECKSUM_KEY"))):
            raise GatewayError("payOS: the answer's signature does not match its data.")
    return data


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} {value!r} is not a whole number")
    return value


# --- the method -------------------------------------------------------------------------


def items_for(attempt: AttemptInfo) -> list[dict[str, Any]]:
    """The fee lines, when they add up to the amount; else one line for the whole."""
    lines = [
        {"name": line.description[:100], "quantity": 1, "price": line.amount_vnd}
        for line in attempt.lines
    ]
    if lines and sum(line["price"] for line in lines) == attempt.amount_vnd:
        return lines
    return [{"name": attempt.description[:100], "quantity": 1, "price": attempt.amount_vnd}]


@register
class PayOS(Method):
    key = "payos"
    label = _("Bank app or card (payOS)")
    hint = _("Pay by bank app, QR or card on the payOS page.")
    platform = Platform.PROVINCE
    kind = "redirect"

    def configured(self) -> bool:
        return all(
            conf.get(name)
            for name in (
                "PAY_PAYOS_URL",
                "PAY_PAYOS_CLIENT_ID",
                "PAY_PAYOS_API_KEY",
                "PAY_PAYOS_CHECKSUM_KEY",
            )
        )

    def start(self, attempt: AttemptInfo, *, return_url: str, notify_url: str) -> Started:
        """A payment link. `notify_url` is unused: payOS posts to the webhook URL of the
        payment channel. The browser comes back to `return_url` paid or cancelled."""
        try:
            code = order_code(attempt.reference)
        except ValueError as exc:
            raise GatewayError(f"payOS: {exc}.") from None
        description = attempt.reference[:DESCRIPTION_MAX]
        payload = {
            "orderCode": code,
            "amount": attempt.amount_vnd,
            "description": description,
            "items": items_for(attempt),
            "cancelUrl": return_url,
            "returnUrl": return_url,
            "signature": request_signature(
                amount=attempt.amount_vnd,
                cancel_url=return_url,
                description=description,
                order_code=code,
                return_url=return_url,
                key=conf.get("PAY_PAYOS_CHECKSUM_KEY"),
            ),
        }
        answer = _request("POST", "/v2/payment-requests", payload)
        if answer["code"] == ORDER_EXISTS:
            # Created by an earlier start whose answer was lost: the same link again.
            link = self._link(code)
            if link.get("status") in FAILED_STATUSES:
                raise GatewayError(f"payOS: the link of order {code} is {link.get('status')}.")
            if link.get("amount") != attempt.amount_vnd:
                raise GatewayError(f"payOS: order {code} exists for {link.get('amount')} VND.")
            return Started(redirect_url=self._checkout_url(link), gateway_txn=str(link["id"]))
        if answer["code"] != SUCCESS:
            raise GatewayError(f"payOS create: code {answer['code']} {answer.get('desc', '')}")
        data = _signed_data(answer, required=True)
        if data.get("orderCode") != code or data.get("amount") != attempt.amount_vnd:
            raise GatewayError("payOS create: the answer is for another order or amount.")
        checkout_url = data.get("checkoutUrl")
        if not isinstance(checkout_url, str) or not checkout_url:
            raise GatewayError("payOS create: no checkoutUrl in the answer.")
        return Started(redirect_url=checkout_url, gateway_txn=str(data.get("paymentLinkId", "")))

    def _link(self, code: int) -> dict[str, Any]:
        answer = _request("GET", f"/v2/payment-requests/{code}")
        if answer["code"] != SUCCESS:
            raise GatewayError(f"payOS get: code {answer['code']} {answer.get('desc', '')}")
        data = _signed_data(answer, required=True)
        if data.get("orderCode") != code or not data.get("id"):
            raise GatewayError("payOS get: the answer is for another order.")
        return data

    def _checkout_url(self, link: dict[str, Any]) -> str:
        if link.get("checkoutUrl"):
            return str(link["checkoutUrl"])
        base = conf.get("PAY_PAYOS_URL").rstrip("/")
        if urlsplit(base).hostname == PRODUCTION_API_HOST:
            return PRODUCTION_CHECKOUT + str(link["id"])
        return f"{base}/web/{link['id']}"  # a local payOS (the simulator) serves both

    def parse_callback(
        self, *, http_method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> list[Notice]:
        if http_method.upper() != "POST":
            raise CallbackRejected(f"{REASON_ERROR}: payOS webhooks are POSTed.")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CallbackRejected(f"{REASON_ERROR}: the body is not JSON: {exc}") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise CallbackRejected(f"{REASON_ERROR}: no data object.")
        expected = data_signature(data, conf.get("PAY_PAYOS_CHECKSUM_KEY"))
        if not signature_ok(payload.get("signature"), expected):
            raise CallbackRejected(f"{REASON_SIGNATURE}: the signature does not match the data.")
        try:
            reference = reference_for(data.get("orderCode"))
        except ValueError as exc:
            raise CallbackRejected(f"{REASON_NOT_FOUND}: {exc}.") from None
        try:
            amount = _whole(data.get("amount"), "amount")
        except ValueError as exc:
            raise CallbackRejected(f"{REASON_AMOUNT}: {exc}.") from None
        code = str(data.get("code", ""))
        # The webhook reports a payment; a data.code other than 00 is not documented,
        # so it decides nothing (the attempt is asked about later).
        outcome = Outcome.PAID if code == SUCCESS else Outcome.PENDING
        paid_at = None
        if outcome == Outcome.PAID:
            try:
                paid_at = parse_time(data.get("transactionDateTime"))
            except ValueError:
                raise CallbackRejected(
                    f"{REASON_ERROR}: transactionDateTime "
                    f"{data.get('transactionDateTime')!r} is not a time."
                ) from None
        return [
            Notice(
                reference=reference,
                outcome=outcome,
                amount_vnd=amount,
                currency=str(data.get("currency") or "VND"),
                gateway_txn=str(data.get("reference") or ""),
                paid_at=paid_at,
                detail=f"code={code} {data.get('desc', '')}".strip(),
                raw=payload,
            )
        ]

    def callback_answer(self, *, accepted: bool, reason: str = "") -> Answer:
        if accepted:
            return Answer(200, json.dumps({"success": True}).encode())
        status = 200 if reason_key(reason) in SETTLED_REASONS else 400
        body = {"success": False, "message": reason}
        return Answer(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def return_reference(self, query: dict[str, str]) -> str:
        try:
            return reference_for(query.get("orderCode", ""))
        except ValueError:
            return ""

    def query(self, attempt: AttemptInfo) -> Notice:
        try:
            code = order_code(attempt.reference)
        except ValueError as exc:
            raise GatewayError(f"payOS: {exc}.") from None
        answer = _request("GET", f"/v2/payment-requests/{code}")
        detail = f"code={answer['code']} {answer.get('desc', '')}".strip()
        if answer["code"] == NOT_FOUND:
            return Notice(reference=attempt.reference, outcome=Outcome.PENDING, detail=detail)
        if answer["code"] != SUCCESS:
            raise GatewayError(f"payOS get: {detail}")
        data = _signed_data(answer, required=False)
        status = str(data.get("status", ""))
        if status == "PAID" and not answer.get("signature"):
            raise GatewayError("payOS get: an unsigned answer cannot say PAID.")
        if data.get("orderCode") != code:
            raise GatewayError("payOS get: the answer is for another order.")
        detail = f"{detail} status={status}"
        if status in FAILED_STATUSES:
            return Notice(attempt.reference, Outcome.FAILED, detail=detail, raw=data)
        if status != "PAID":  # PENDING, PROCESSING, UNDERPAID or new
            return Notice(attempt.reference, Outcome.PENDING, detail=detail, raw=data)
        transactions = data.get("transactions") or []
        last = transactions[-1] if isinstance(transactions, list) and transactions else {}
        try:
            amount = _whole(data.get("amountPaid"), "amountPaid")
            paid_at = parse_time(last["transactionDateTime"]) if last else None
        except (ValueError, TypeError, KeyError) as exc:
            raise GatewayError(f"payOS get: unreadable answer: {exc}") from None
        return Notice(
            reference=attempt.reference,
            outcome=Outcome.PAID,
            amount_vnd=amount,
            gateway_txn=str(last.get("reference") or data.get("id") or ""),
            paid_at=paid_at,
            detail=detail,
            raw=data,
        )

    def statement(self, day: date) -> list[Notice]:
        """The payments of `day` (local time).

        payOS publishes no statement API. GET {PAY_PAYOS_URL}/v2/_statement?date=
        YYYY-MM-DD is OUR stand-in for the merchant's daily export, served by the
        simulator (or a bridge fed with the export): an answer like payOS's own,
        {"code": "00", "data": {"date", "transactions": [{orderCode, amount, currency,
        reference, transactionDateTime, paymentLinkId}]}, "signature"}, signed the same
        way.
        """
        answer = _request("GET", f"/v2/_statement?date={day.isoformat()}")
        if answer["code"] != SUCCESS:
            raise GatewayError(f"payOS statement: code {answer['code']} {answer.get('desc')}")
        data = _signed_data(answer, required=True)
        if data.get("date") != day.isoformat():
            raise GatewayError(f"payOS statement: the answer is for {data.get('date')!r}.")
        notices = []
        try:
            for row in data["transactions"]:
                notices.append(
                    Notice(
                        reference=reference_for(row["orderCode"]),
                        outcome=Outcome.PAID,
                        amount_vnd=_whole(row["amount"], "amount"),
                        currency=str(row.get("currency") or "VND"),
                        gateway_txn=str(row.get("reference") or ""),
                        paid_at=parse_time(row["transactionDateTime"]),
                        raw=row,
                    )
                )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise GatewayError(f"payOS statement: unreadable row: {exc!r}") from None
        return notices
