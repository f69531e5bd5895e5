"""Card or e-wallet payment through VNPAY's "thanh toán PAY" redirect (version 2.1.0).

Followed as VNPAY publishes it (sandbox.vnpayment.vn/apis/docs):
thanh-toan-pay/pay.html (payment URL, IPN, return URL) and
truy-van-hoan-tien/querydr&refund.html (querydr).

- Payment URL: GET PAY_VNPAY_URL?<vnp_* params>&vnp_SecureHash=<hex HMAC-SHA512>. The
  hash covers the vnp_* params sorted by name, each value quote_plus-encoded and joined
  as k=v&k=v: the string VNPAY's own Python sample builds (PHP's urlencode differs only
  on "~", which our values should not contain). Starting needs no server call.
- IPN: VNPAY GETs the IPN URL set in the merchant portal (not per request) with the same
  kind of signed vnp_* query, and expects {"RspCode": "00", "Message": "..."} back (it
  calls again when it gets no such answer). The browser comes back to vnp_ReturnUrl
  with the same query.
- querydr: POST JSON to PAY_VNPAY_API_URL; the request hash covers
  vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|
  vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo, the answer's the fields in ANSWER_HASH_FIELDS.

Times are yyyyMMddHHmmss in GMT+7. Amounts are VND times 100.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from django.utils import timezone
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

VERSION = "2.1.0"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # VNPAY's GMT+7
TIME_FORMAT = "%Y%m%d%H%M%S"
EXPIRE_AFTER = timedelta(minutes=15)
ORDER_INFO_MAX = 255
AMOUNT_DIGITS_MAX = 12  # vnp_Amount is Numeric[1,12]
STATEMENT_SIGNATURE_HEADER = "X-Signature"
# VNPAY records the address of the server asking; it is informational only.
SERVER_IP = "127.0.0.1"

# Why a callback was not recorded: what the services pass to callback_answer, and the
# prefix ("<reason>: <detail>") of the CallbackRejected reasons raised here.
REASON_SIGNATURE = "signature"
REASON_NOT_FOUND = "not_found"
REASON_AMOUNT = "amount"
REASON_ALREADY = "already"
REASON_ERROR = "error"

# The IPN answers of VNPAY's samples: 00 recorded now, 02 recorded before.
CONFIRMED = ("00", "Confirm Success")
IPN_ANSWERS = {
    REASON_SIGNATURE: ("97", "Invalid signature"),
    REASON_NOT_FOUND: ("01", "Order not found"),
    REASON_AMOUNT: ("04", "Invalid amount"),
    REASON_ALREADY: ("02", "Order already confirmed"),
    REASON_ERROR: ("99", "Unknown error"),
}

SUCCESS = "00"
CANCELLED = "24"  # vnp_ResponseCode: the customer cancelled on VNPAY's page
SUSPECTED = "07"  # vnp_ResponseCode: money taken, held as suspected fraud
NOT_FOUND = "91"  # querydr: VNPAY has no such transaction (the page was never reached)
FAILED_STATUS = "02"  # vnp_TransactionStatus: the transaction failed
# vnp_TransactionStatus values that are not an outcome yet: 01 not finished, 04 reversed
# (the bank took the money, VNPAY did not complete), 05/06 refund under way, 07
# suspected fraud, 09 refund refused. Money may have been taken: not FAILED.
UNSETTLED_STATUSES = {"01", "04", "05", "06", "07", "09"}

QUERY_HASH_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
ANSWER_HASH_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
_HASH_KEYS = {"vnp_SecureHash", "vnp_SecureHashType"}


# --- signing (shared with the simulator) ------------------------------------------------


def query_string(params: Mapping[str, Any]) -> str:
    """The params sorted by name, values quote_plus-encoded: VNPAY's hash data."""
    return "&".join(f"{k}={quote_plus(str(v))}" for k, v in sorted(params.items()))


def hmac_sha512(secret: str, data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hmac.new(secret.encode("utf-8"), raw, hashlib.sha512).hexdigest()


def sign_params(params: Mapping[str, Any], secret: str) -> str:
    return hmac_sha512(secret, query_string(params))


def sign_fields(values: Iterable[Any], secret: str) -> str:
    """querydr's hash: the values in the documented order, joined by "|"."""
    return hmac_sha512(secret, "|".join("" if v is None else str(v) for v in values))


def hashed_params(query: Mapping[str, str]) -> dict[str, str]:
    """The params a vnp_SecureHash covers: every vnp_* one but the hash itself."""
    return {k: v for k, v in query.items() if k.startswith("vnp_") and k not in _HASH_KEYS}


def signature_ok(given: str, expected: str) -> bool:
    # VNPAY's .NET sample compares hex case-insensitively.
    return bool(given) and hmac.compare_digest(expected, given.strip().lower())


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def vnp_time(moment: datetime) -> str:
    return _aware(moment).astimezone(LOCAL_TZ).strftime(TIME_FORMAT)


def parse_vnp_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=LOCAL_TZ)


def vnp_amount(amount_vnd: int) -> str:
    return str(amount_vnd * 100)


def amount_from(raw: Any) -> int:
    """VND from a vnp_Amount; ValueError unless a whole number of VND."""
    text = str(raw if raw is not None else "")
    if not re.fullmatch(r"\d{1,15}", text) or int(text) % 100:
        raise ValueError(f"vnp_Amount {text!r} is not a whole number of VND times 100")
    return int(text) // 100


def order_info(attempt: AttemptInfo) -> str:
    """vnp_OrderInfo: VNPAY asks for Vietnamese without accents and no special signs."""
    text = attempt.description.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = " ".join(re.sub(r"[^A-Za-z0-9 ]+", " ", text).split())
    return (text or f"Thanh toan {attempt.reference}")[:ORDER_INFO_MAX]


def reason_key(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


# --- HTTP -------------------------------------------------------------------------------


def _request(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, Message]:
    """One call to VNPAY: GatewayError when it surely did not get through, GatewayTimeout
    when it may have and no answer came in PAY_HTTP_TIMEOUT."""
    return gateway_call("VNPAY", url, method=method, body=body, headers=headers)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GatewayError(f"VNPAY: the answer is not JSON: {exc}") from None


# --- the method -------------------------------------------------------------------------


def _ipn_outcome(response_code: str, status: str) -> str:
    if response_code == SUCCESS and status == SUCCESS:
        return Outcome.PAID
    if response_code == SUSPECTED or status in UNSETTLED_STATUSES:
        return Outcome.PENDING
    return Outcome.FAILED  # 24 cancelled, 11 expired, 51 no funds, ...


def _query_outcome(status: str) -> str:
    if status == SUCCESS:
        return Outcome.PAID
    if status == FAILED_STATUS:
        return Outcome.FAILED
    return Outcome.PENDING


@register
class Vnpay(Method):
    key = "vnpay"
    label = _("Card or e-wallet (VNPAY)")
    hint = _("ATM card, international card or VNPAY-QR.")
    platform = Platform.PROVINCE
    kind = "redirect"

    def configured(self) -> bool:
        return all(
            conf.get(name)
            for name in (
                "PAY_VNPAY_URL",
                "PAY_VNPAY_API_URL",
                "PAY_VNPAY_TMN_CODE",
                "PAY_VNPAY_HASH_SECRET",
            )
        )

    def start(self, attempt: AttemptInfo, *, return_url: str, notify_url: str) -> Started:
        """The signed payment URL. `notify_url` is unused: VNPAY calls the IPN URL
        registered in its merchant portal."""
        amount = vnp_amount(attempt.amount_vnd)
        if attempt.amount_vnd <= 0 or len(amount) > AMOUNT_DIGITS_MAX:
            raise GatewayError(f"VNPAY cannot take {attempt.amount_vnd} VND.")
        # vnp_CreateDate is the attempt's time: querydr must repeat it as
        # vnp_TransactionDate later.
        expire_from = max(timezone.now(), _aware(attempt.created_at))
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": conf.get("PAY_VNPAY_TMN_CODE"),
            "vnp_Amount": amount,
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": attempt.reference,
            "vnp_OrderInfo": order_info(attempt),
            "vnp_OrderType": "other",
            "vnp_Locale": "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": attempt.client_ip,
            "vnp_CreateDate": vnp_time(attempt.created_at),
            "vnp_ExpireDate": vnp_time(expire_from + EXPIRE_AFTER),
        }
        secure_hash = sign_params(params, conf.get("PAY_VNPAY_HASH_SECRET"))
        url = f"{conf.get('PAY_VNPAY_URL')}?{query_string(params)}&vnp_SecureHash={secure_hash}"
        return Started(redirect_url=url)

    def parse_callback(
        self, *, http_method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> list[Notice]:
        if http_method.upper() != "GET":
            raise CallbackRejected(f"{REASON_ERROR}: VNPAY's IPN is a GET, not {http_method}.")
        given = query.get("vnp_SecureHash", "")
        if not given:
            raise CallbackRejected(f"{REASON_SIGNATURE}: no vnp_SecureHash.")
        expected = sign_params(hashed_params(query), conf.get("PAY_VNPAY_HASH_SECRET"))
        if not signature_ok(given, expected):
            raise CallbackRejected(f"{REASON_SIGNATURE}: vnp_SecureHash does not match.")
        tmn_code = query.get("vnp_TmnCode", "")
        if tmn_code != conf.get("PAY_VNPAY_TMN_CODE"):
            raise CallbackRejected(f"{REASON_ERROR}: vnp_TmnCode {tmn_code!r} is not ours.")
        reference = query.get("vnp_TxnRef", "")
        if not reference:
            raise CallbackRejected(f"{REASON_NOT_FOUND}: no vnp_TxnRef.")
        try:
            amount = amount_from(query.get("vnp_Amount"))
        except ValueError as exc:
            raise CallbackRejected(f"{REASON_AMOUNT}: {exc}.") from None
        response_code = query.get("vnp_ResponseCode", "")
        status = query.get("vnp_TransactionStatus", "")
        outcome = _ipn_outcome(response_code, status)
        paid_at = None
        if outcome == Outcome.PAID:
            try:
                paid_at = parse_vnp_time(query.get("vnp_PayDate", ""))
            except ValueError:
                raise CallbackRejected(
                    f"{REASON_ERROR}: vnp_PayDate {query.get('vnp_PayDate')!r} is not a time."
                ) from None
        return [
            Notice(
                reference=reference,
                outcome=outcome,
                amount_vnd=amount,
                gateway_txn=query.get("vnp_TransactionNo", ""),
                paid_at=paid_at,
                detail=f"vnp_ResponseCode={response_code} vnp_TransactionStatus={status}",
                raw=dict(query),
            )
        ]

    def callback_answer(self, *, accepted: bool, reason: str = "") -> Answer:
        if accepted:
            code, message = CONFIRMED
        else:
            code, message = IPN_ANSWERS.get(reason_key(reason), IPN_ANSWERS[REASON_ERROR])
        return Answer(200, json.dumps({"RspCode": code, "Message": message}).encode())

    def return_reference(self, query: dict[str, str]) -> str:
        return query.get("vnp_TxnRef", "")

    def query(self, attempt: AttemptInfo) -> Notice:
        secret = conf.get("PAY_VNPAY_HASH_SECRET")
        tmn_code = conf.get("PAY_VNPAY_TMN_CODE")
        request = {
            "vnp_RequestId": uuid.uuid4().hex,  # unique within the day, [A-Za-z0-9]{1,32}
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": tmn_code,
            "vnp_TxnRef": attempt.reference,
            "vnp_OrderInfo": f"Truy van giao dich {attempt.reference}",
            "vnp_TransactionDate": vnp_time(attempt.created_at),  # the pay's vnp_CreateDate
            "vnp_CreateDate": vnp_time(timezone.now()),
            "vnp_IpAddr": SERVER_IP,
        }
        request["vnp_SecureHash"] = sign_fields((request[f] for f in QUERY_HASH_FIELDS), secret)
        status, raw, _headers = _request(
            "POST",
            conf.get("PAY_VNPAY_API_URL"),
            body=json.dumps(request).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        if status != 200:
            raise GatewayError(f"VNPAY querydr: HTTP {status}")
        data = _json(raw)
        if not isinstance(data, dict):
            raise GatewayError("VNPAY querydr: the answer is not a JSON object.")
        code = str(data.get("vnp_ResponseCode", ""))
        given = str(data.get("vnp_SecureHash") or "")
        # A success must be signed; an error answer is checked when it is.
        if given or code == SUCCESS:
            expected = sign_fields((data.get(f) for f in ANSWER_HASH_FIELDS), secret)
            if not signature_ok(given, expected):
                raise GatewayError("VNPAY querydr: the answer's vnp_SecureHash does not match.")
        detail = f"vnp_ResponseCode={code} {data.get('vnp_Message', '')}".strip()
        if code == NOT_FOUND:
            return Notice(reference=attempt.reference, outcome=Outcome.PENDING, detail=detail)
        if code != SUCCESS:
            raise GatewayError(f"VNPAY querydr: {detail}")
        if str(data.get("vnp_TxnRef", "")) != attempt.reference:
            raise GatewayError(f"VNPAY querydr answered for {data.get('vnp_TxnRef')!r}.")
        if str(data.get("vnp_TmnCode", "")) != tmn_code:
            raise GatewayError(f"VNPAY querydr answered for merchant {data.get('vnp_TmnCode')!r}.")
        transaction_status = str(data.get("vnp_TransactionStatus", ""))
        outcome = _query_outcome(transaction_status)
        try:
            amount = amount_from(data.get("vnp_Amount"))
            paid_at = (
                parse_vnp_time(str(data.get("vnp_PayDate"))) if outcome == Outcome.PAID else None
            )
        except ValueError as exc:
            raise GatewayError(f"VNPAY querydr: unreadable answer: {exc}") from None
        return Notice(
            reference=attempt.reference,
            outcome=outcome,
            amount_vnd=amount,
            gateway_txn=str(data.get("vnp_TransactionNo") or ""),
            paid_at=paid_at,
            detail=f"{detail} vnp_TransactionStatus={transaction_status}",
            raw=data,
        )

    def statement(self, day: date) -> list[Notice]:
        """The payments of `day` from the merchant's daily reconciliation file.

        VNPAY publishes no statement API: merchants download the day's reconciliation
        file from the merchant portal. This endpoint is OUR stand-in for that file, served
        by the simulator (or a bridge fed with the portal's file):
        GET PAY_VNPAY_API_URL?statement=YYYY-MM-DD&vnp_TmnCode=..&vnp_SecureHash=.. (hash
        as for the payment URL) answers a JSON list of {vnp_TxnRef, vnp_Amount,
        vnp_TransactionNo, vnp_PayDate, vnp_TransactionStatus}, the body signed with
        HMAC-SHA512 (hash secret) in the X-Signature header.
        """
        secret = conf.get("PAY_VNPAY_HASH_SECRET")
        params = {"statement": day.isoformat(), "vnp_TmnCode": conf.get("PAY_VNPAY_TMN_CODE")}
        url = (
            f"{conf.get('PAY_VNPAY_API_URL')}?{query_string(params)}"
            f"&vnp_SecureHash={sign_params(params, secret)}"
        )
        status, raw, headers = _request("GET", url, headers={"Accept": "application/json"})
        if status != 200:
            raise GatewayError(f"VNPAY statement: HTTP {status}")
        if not signature_ok(headers.get(STATEMENT_SIGNATURE_HEADER, ""), hmac_sha512(secret, raw)):
            raise GatewayError(f"VNPAY statement: the {STATEMENT_SIGNATURE_HEADER} does not match.")
        rows = _json(raw)
        if not isinstance(rows, list):
            raise GatewayError("VNPAY statement: the answer is not a JSON list.")
        notices = []
        try:
            for row in rows:
                outcome = _query_outcome(str(row["vnp_TransactionStatus"]))
                notices.append(
                    Notice(
                        reference=str(row["vnp_TxnRef"]),
                        outcome=outcome,
                        amount_vnd=amount_from(row["vnp_Amount"]),
                        gateway_txn=str(row.get("vnp_TransactionNo") or ""),
                        paid_at=parse_vnp_time(str(row["vnp_PayDate"]))
                        if outcome == Outcome.PAID
                        else None,
                        detail=f"vnp_TransactionStatus={row['vnp_TransactionStatus']}",
                        raw=row,
                    )
                )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise GatewayError(f"VNPAY statement: unreadable row: {exc!r}") from None
        return notices
