"""Bank transfer to the province's collection account, asked for with a VietQR code.

No gateway takes part in starting a payment: the page shows a NAPAS 247 QR code (the
account, the exact amount and our reference as the transfer description) that any
Vietnamese banking app fills a transfer from. The money arrives as an ordinary
incoming transfer, which the bank (or an aggregator watching the account) reports.

The notification protocol is ours, modelled on the bank/aggregator webhooks in use
(SePay, Casso), since every bank has its own:

    POST <notify_url>, Content-Type: application/json,
    X-Signature: hex HMAC-SHA256 of the raw body with PAY_VIETQR_WEBHOOK_SECRET
    {"id": 92704, "gateway": "VietinBank", "transactionDate": "2025-03-25 14:02:37",
     "accountNumber": "113366668888", "content": "MC7K2Q9XAB12 Le phi ho so",
     "transferType": "in", "transferAmount": 50000, "referenceCode": "FT25084..."}

transactionDate is local time (Asia/Ho_Chi_Minh). We answer {"success": true} with 200;
anything else makes the sender retry. The payer's bank may lower-case the description
or insert spaces and punctuation, so the reference is looked for after normalising; a
transfer without one is still reported (reference "") for the unmatched list.

The statement API (PAY_VIETQR_STATEMENT_URL) answers GET ?reference=REF or
?date=YYYY-MM-DD, with Authorization: Bearer <webhook secret>, as
{"success": true, "transactions": [<objects as in the webhook>]}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from motcua.payments import conf
from motcua.payments.contrib.vietqr import emvco
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
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
SIGNATURE_HEADER = "X-Signature"
REFERENCE = re.compile(r"MC[A-Z0-9]{10}")

BANK_NAMES = {
    "970415": "VietinBank",
    "970436": "Vietcombank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970422": "MB",
    "970407": "Techcombank",
}


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def find_reference(content: str) -> str:
    """Our reference in a transfer description, or "".

    A whole word first ("... MC7K2Q9XAB12 ..."); then, from each word that starts with
    MC, the next twelve letters and digits, for banks that split the reference up
    ("mc7k2-q9xab 12"). A wrong guess names no attempt and lands on the unmatched list.
    """
    upper = content.upper()
    for word in re.split(r"[^A-Z0-9]+", upper):
        if REFERENCE.fullmatch(word):
            return word
    for start in re.finditer(r"(?<![A-Z0-9])MC", upper):
        candidate = re.sub(r"[^A-Z0-9]+", "", upper[start.start() :])[:12]
        if REFERENCE.fullmatch(candidate):
            return candidate
    return ""


def purpose_for(attempt: AttemptInfo) -> str:
    """Tag 62/08: the reference first, so that a bank that shortens it keeps it."""
    words = re.sub(r"[^A-Za-z0-9 ]+", "", _ascii(attempt.description)).split()
    return " ".join([attempt.reference, *words])[: emvco.PURPOSE_MAX].rstrip()


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _header(headers: dict[str, str], name: str) -> str:
    # Callers may hand raw HTTP names or Django's META keys (HTTP_X_SIGNATURE).
    wanted = name.lower().replace("_", "-")
    for key, value in headers.items():
        key = key.lower().replace("_", "-")
        if key in (wanted, "http-" + wanted):
            return value
    return ""


def notice_from(data: dict[str, Any], account: str) -> Notice | None:
    """The Notice for one transaction object (webhook or statement); None for money
    going out. Raises ValueError on malformed fields or another account."""
    transfer_type = data.get("transferType")
    if transfer_type not in ("in", "out"):
        raise ValueError(f"transferType must be 'in' or 'out', not {transfer_type!r}")
    if transfer_type == "out":
        return None
    txn = data.get("id")
    if isinstance(txn, bool) or not isinstance(txn, int | str) or str(txn).strip() == "":
        raise ValueError("the transaction id is missing")
    amount = data.get("transferAmount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"transferAmount must be a positive whole number, not {amount!r}")
    if str(data.get("accountNumber", "")) != account:
        raise ValueError(f"the transfer is to account {data.get('accountNumber')!r}, not ours")
    content = data.get("content") or ""
    if not isinstance(content, str):
        raise ValueError("content must be text")
    try:
        paid_at = datetime.strptime(str(data.get("transactionDate")), DATE_FORMAT)
    except ValueError:
        raise ValueError(
            f"transactionDate must be YYYY-MM-DD HH:MM:SS, not {data.get('transactionDate')!r}"
        ) from None
    detail = " ".join(str(data.get(k) or "") for k in ("gateway", "referenceCode")).strip()
    return Notice(
        reference=find_reference(content),
        outcome=Outcome.PAID,
        amount_vnd=amount,
        gateway_txn=str(txn),
        paid_at=paid_at.replace(tzinfo=LOCAL_TZ),
        detail=detail,
        raw=data,
    )


@register
class VietQR(Method):
    key = "vietqr"
    label = _("Bank transfer with a VietQR code")
    hint = _("Scan the code with any banking app; the amount and reference are filled in.")
    platform = Platform.PROVINCE
    kind = "qr"

    def configured(self) -> bool:
        return all(
            conf.get(name)
            for name in (
                "PAY_VIETQR_BANK_BIN",
                "PAY_VIETQR_ACCOUNT",
                "PAY_VIETQR_WEBHOOK_SECRET",
            )
        )

    def start(self, attempt: AttemptInfo, *, return_url: str, notify_url: str) -> Started:
        bank_bin = conf.get("PAY_VIETQR_BANK_BIN")
        account = conf.get("PAY_VIETQR_ACCOUNT")
        payload = emvco.build_payload(
            bank_bin=bank_bin,
            account=account,
            amount_vnd=attempt.amount_vnd,
            purpose=purpose_for(attempt),
        )
        title = str(_("VietQR code for a bank transfer"))
        return Started(
            show={
                "payload": payload,
                "svg": emvco.qr_svg(payload, title=title),
                "bank_bin": bank_bin,
                "bank_name": BANK_NAMES.get(bank_bin, bank_bin),
                "account": account,
                "account_name": conf.get("PAY_VIETQR_ACCOUNT_NAME"),
                "amount_vnd": attempt.amount_vnd,
                "reference": attempt.reference,
            }
        )

    def parse_callback(
        self, *, http_method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> list[Notice]:
        if http_method.upper() != "POST":
            raise CallbackRejected(f"Transfer notifications are POSTed, not {http_method}.")
        secret = conf.get("PAY_VIETQR_WEBHOOK_SECRET")
        if not secret:
            raise CallbackRejected("PAY_VIETQR_WEBHOOK_SECRET is not set.")
        given = _header(headers, SIGNATURE_HEADER).strip().lower()
        if not given:
            raise CallbackRejected(f"No {SIGNATURE_HEADER} header.")
        if not hmac.compare_digest(sign(body, secret), given):
            raise CallbackRejected(f"The {SIGNATURE_HEADER} does not match the body.")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CallbackRejected(f"The body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise CallbackRejected("The body is not a JSON object.")
        try:
            notice = notice_from(data, conf.get("PAY_VIETQR_ACCOUNT"))
        except ValueError as exc:
            raise CallbackRejected(f"Malformed transfer notification: {exc}.") from None
        return [] if notice is None else [notice]

    def callback_answer(self, *, accepted: bool, reason: str = "") -> Answer:
        if accepted:
            return Answer(200, json.dumps({"success": True}).encode())
        body = {"success": False, "message": reason}
        return Answer(400, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def return_reference(self, query: dict[str, str]) -> str:
        return query.get("ref", "")

    def query(self, attempt: AttemptInfo) -> Notice:
        for notice in self._statement({"reference": attempt.reference}):
            if notice.reference == attempt.reference:
                return notice
        return Notice(reference=attempt.reference, outcome=Outcome.PENDING)

    def statement(self, day: date) -> list[Notice]:
        return self._statement({"date": day.isoformat()})

    def _statement(self, params: dict[str, str]) -> list[Notice]:
        """Ask the bank's statement API; the incoming transfers it lists."""
        url = conf.get("PAY_VIETQR_STATEMENT_URL")
        if not url:
            raise GatewayError("PAY_VIETQR_STATEMENT_URL is not set.")
        url += ("&" if "?" in url else "?") + urlencode(params)
        status, raw, _headers = gateway_call(
            "Bank statement API",
            url,
            headers={
                "Accept": "application/json",
                "Authorization": f"Bearer {conf.get('PAY_VIETQR_WEBHOOK_SECRET')}",
            },
        )
        if status != 200:
            raise GatewayError(f"Bank statement API: HTTP {status}")
        try:
            data = json.loads(raw)
            transactions = data["transactions"]
            if data.get("success") is not True or not isinstance(transactions, list):
                raise ValueError(data.get("message") or "not a successful answer")
            account = conf.get("PAY_VIETQR_ACCOUNT")
            # An aggregator may list several accounts: only ours concern us.
            notices = [
                notice_from(t, account)
                for t in transactions
                if str(t.get("accountNumber", "")) == account
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GatewayError(f"Bank statement API: unreadable answer: {exc}") from None
        return [n for n in notices if n is not None]
