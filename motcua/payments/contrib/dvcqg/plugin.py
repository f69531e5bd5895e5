"""Payment through the national public-service portal's payment platform (PayGov).

The province's system sends INIT with the bill (procedure, dossier, fee lines, payee,
payer) and sends the browser to the UrlThanhToan the platform answers; the citizen pays
there with a bank, card or wallet. The platform then POSTs a checksummed callback to
UrlCallback and sends the browser back to UrlReturn?MaThamChieu=...; QUERY confirms the
outcome, GET_BILL fetches the platform's receipt and DOISOAT (our stand-in) lists the
day's payments. The wire format, its sources and our choices are in `fields`.

INIT is sent with the attempt's own creation time as ThoiGianGD, so a repeated INIT
for an attempt is the same message; the platform answers it with the same transaction.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.payments import conf
from motcua.payments.contrib.dvcqg import fields
from motcua.payments.methods.base import (
    Answer,
    AttemptInfo,
    CallbackRejected,
    GatewayError,
    GatewayTimeout,
    Method,
    Notice,
    Outcome,
    Platform,
    Started,
)
from motcua.payments.methods.http import gateway_call
from motcua.payments.methods.registry import register

SETTINGS = (
    "PAY_DVCQG_URL",
    "PAY_DVCQG_PARTNER_CODE",
    "PAY_DVCQG_SECRET",
    "PAY_DVCQG_PAYEE_ACCOUNT",
)

STATES = {
    fields.STATE_PAID: Outcome.PAID,
    fields.STATE_PENDING: Outcome.PENDING,
    fields.STATE_FAILED: Outcome.FAILED,
}


def _amount(value: Any) -> int:
    """A whole VND amount sent as a string or a number; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not an amount: {value!r}")
    amount = int(value)
    if amount < 0:
        raise ValueError(f"negative amount: {value!r}")
    return amount


def _detail(message: dict[str, Any]) -> str:
    return f"MaLoi {fields.text(message.get('MaLoi'))}: {fields.text(message.get('MoTaLoi'))}"


@register
class NationalPlatform(Method):
    key = "dvcqg"
    label = _("National public service portal payment (PayGov)")
    hint = _("Pay through the National Public Service Portal with a bank, card or e-wallet.")
    platform = Platform.NATIONAL
    kind = "redirect"

    def configured(self) -> bool:
        return all(conf.get(name) for name in SETTINGS)

    # --- paying -----------------------------------------------------------------------

    def start(self, attempt: AttemptInfo, *, return_url: str, notify_url: str) -> Started:
        partner, secret = self._keys()
        message = fields.init_request(
            partner=partner,
            secret=secret,
            reference=attempt.reference,
            amount_vnd=attempt.amount_vnd,
            created_at=attempt.created_at,
            description=attempt.description,
            client_ip=attempt.client_ip,
            procedure_code=attempt.procedure_code,
            procedure_name=attempt.procedure_name,
            dossier_code=attempt.dossier_code,
            agency_name=attempt.agency_name,
            payee_account=conf.get("PAY_DVCQG_PAYEE_ACCOUNT"),
            payee_bank=conf.get("PAY_DVCQG_PAYEE_BANK"),
            payee_name=conf.get("PAY_DVCQG_PAYEE_NAME"),
            payer_name=attempt.payer_name,
            payer_phone=attempt.payer_phone,
            lines=[(line.description, line.amount_vnd) for line in attempt.lines],
            callback_url=notify_url,
            return_url=return_url,
        )
        answer = self._call(message)
        if answer.get("MaLoi") != fields.OK:
            raise GatewayError(f"DVCQG INIT refused, {_detail(answer)}")
        # Only a checksummed answer may send the citizen somewhere to pay.
        if not fields.verify(answer, fields.INIT_ANSWER_ORDER, secret):
            raise GatewayError("DVCQG INIT answer: MaXacThuc does not match.")
        if answer.get("MaThamChieu") != attempt.reference or not answer.get("UrlThanhToan"):
            raise GatewayError("DVCQG INIT answer: another MaThamChieu or no UrlThanhToan.")
        return Started(
            redirect_url=fields.text(answer["UrlThanhToan"]),
            gateway_txn=fields.text(answer.get("MaGiaoDich")),
        )

    def parse_callback(
        self, *, http_method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> list[Notice]:
        if http_method.upper() != "POST":
            raise CallbackRejected(
                f"{fields.REASON_MALFORMED}: callbacks are POSTed, not {http_method}"
            )
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CallbackRejected(
                f"{fields.REASON_MALFORMED}: the body is not JSON ({exc})"
            ) from None
        if not isinstance(message, dict):
            raise CallbackRejected(f"{fields.REASON_MALFORMED}: the body is not a JSON object")
        try:
            partner, secret = self._keys()
        except GatewayError as exc:
            raise CallbackRejected(f"{fields.REASON_ERROR}: {exc}") from None
        if not message.get(fields.CHECKSUM):
            raise CallbackRejected(f"{fields.REASON_SIGNATURE}: no {fields.CHECKSUM}")
        if not fields.verify(message, fields.CONFIRM_ORDER, secret):
            raise CallbackRejected(f"{fields.REASON_SIGNATURE}: {fields.CHECKSUM} does not match")
        if fields.text(message.get("MaDoiTac")) != partner:
            raise CallbackRejected(
                f"{fields.REASON_PARTNER}: MaDoiTac {message.get('MaDoiTac')!r} is not ours"
            )
        reference = fields.text(message.get("MaThamChieu"))
        try:
            amount = _amount(message.get("SoTien"))
        except ValueError as exc:
            raise CallbackRejected(f"{fields.REASON_MALFORMED}: SoTien, {exc}") from None
        if not reference:
            raise CallbackRejected(f"{fields.REASON_MALFORMED}: no MaThamChieu")
        code = message.get("MaLoi")
        if code == fields.OK:
            outcome = Outcome.PAID
        elif code == fields.PROCESSING:
            outcome = Outcome.PENDING
        else:
            outcome = Outcome.FAILED
        return [
            Notice(
                reference=reference,
                outcome=outcome,
                amount_vnd=amount,
                currency=fields.text(message.get("MaTienTe")) or fields.CURRENCY,
                gateway_txn=fields.text(message.get("MaGiaoDich")),
                paid_at=self._paid_at(message) if outcome == Outcome.PAID else None,
                detail=_detail(message),
                raw=message,
            )
        ]

    def callback_answer(self, *, accepted: bool, reason: str = "") -> Answer:
        # The platform reads MaLoi, not the HTTP status: always 200.
        if accepted:
            code = fields.OK
        else:
            code = fields.ANSWER_CODES.get(reason.split(":", 1)[0].strip(), fields.OTHER)
        body = fields.callback_answer(code, partner=conf.get("PAY_DVCQG_PARTNER_CODE"))
        return Answer(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def return_reference(self, query: dict[str, str]) -> str:
        return query.get("MaThamChieu", "")

    # --- asking -----------------------------------------------------------------------

    def query(self, attempt: AttemptInfo) -> Notice:
        partner, secret = self._keys()
        answer = self._call(
            fields.query_request(
                partner=partner,
                secret=secret,
                reference=attempt.reference,
                created_at=attempt.created_at,
            )
        )
        code = answer.get("MaLoi")
        if code == fields.NOT_FOUND:
            # The INIT may never have arrived: nothing was paid, but nothing is decided.
            return Notice(attempt.reference, Outcome.PENDING, detail=_detail(answer), raw=answer)
        if code != fields.OK:
            raise GatewayError(f"DVCQG QUERY refused, {_detail(answer)}")
        self._check(answer, fields.QUERY_ANSWER_ORDER, secret, "QUERY")
        if answer.get("MaThamChieu") != attempt.reference:
            raise GatewayError("DVCQG QUERY answer is about another MaThamChieu.")
        state = fields.text(answer.get("TrangThaiGD"))
        if state not in STATES:
            raise GatewayError(f"DVCQG QUERY answer: unknown TrangThaiGD {state!r}.")
        outcome = STATES[state]
        try:
            amount: int | None = _amount(answer.get("SoTien"))
        except ValueError:
            amount = None
        return Notice(
            reference=attempt.reference,
            outcome=outcome,
            amount_vnd=amount,
            currency=fields.text(answer.get("MaTienTe")) or fields.CURRENCY,
            gateway_txn=fields.text(answer.get("MaGiaoDich")),
            paid_at=self._paid_at(answer) if outcome == Outcome.PAID else None,
            detail=f"TrangThaiGD {state}, {_detail(answer)}",
            raw=answer,
        )

    def statement(self, day: date) -> list[Notice]:
        partner, secret = self._keys()
        answer = self._call(
            fields.statement_request(partner=partner, secret=secret, day=day, now=timezone.now())
        )
        if answer.get("MaLoi") != fields.OK:
            raise GatewayError(f"DVCQG DOISOAT refused, {_detail(answer)}")
        self._check(answer, fields.STATEMENT_ANSWER_ORDER, secret, "DOISOAT")
        items = answer.get(fields.LIST)
        if answer.get("Ngay") != fields.format_day(day) or not isinstance(items, list):
            raise GatewayError("DVCQG DOISOAT answer: another day or no DanhSach.")
        notices = []
        try:
            for item in items:
                notices.append(
                    Notice(
                        reference=fields.text(item["MaThamChieu"]),
                        outcome=Outcome.PAID,
                        amount_vnd=_amount(item["SoTien"]),
                        gateway_txn=fields.text(item.get("MaGiaoDich")),
                        paid_at=self._paid_at(item),
                        detail=f"DOISOAT {fields.text(item.get('MaNganHang'))}".strip(),
                        raw=item,
                    )
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GatewayError(f"DVCQG DOISOAT answer: unreadable item ({exc}).") from None
        return notices

    def receipt(self, attempt_reference: str, created_at: datetime | None = None) -> dict[str, Any]:
        """The platform's receipt for a paid attempt (GET_BILL).

        `created_at` is the attempt's creation time, sent as ThoiGianGD as in QUERY;
        without it, now. A JSON answer gives {"reference", "gateway_txn", "form",
        "series", "number", "amount_vnd", "paid_at", "url", "raw"}; a platform that
        answers with the PDF itself (as the public integrations read it) gives
        {"reference", "pdf": bytes}. GatewayError when there is no receipt (yet).
        """
        partner, secret = self._keys()
        message = fields.bill_request(
            partner=partner,
            secret=secret,
            reference=attempt_reference,
            created_at=created_at or timezone.now(),
        )
        content_type, raw = self._post(message)
        if content_type == "application/pdf":
            return {"reference": attempt_reference, "pdf": raw}
        answer = self._json(raw, fields.GET_BILL)
        if answer.get("MaLoi") != fields.OK:
            raise GatewayError(f"DVCQG GET_BILL refused, {_detail(answer)}")
        self._check(answer, fields.BILL_ANSWER_ORDER, secret, "GET_BILL")
        if answer.get("MaThamChieu") != attempt_reference:
            raise GatewayError("DVCQG GET_BILL answer is about another MaThamChieu.")
        try:
            amount = _amount(answer.get("SoTien"))
        except ValueError as exc:
            raise GatewayError(f"DVCQG GET_BILL answer: SoTien, {exc}.") from None
        return {
            "reference": attempt_reference,
            "gateway_txn": fields.text(answer.get("MaGiaoDich")),
            "form": fields.text(answer.get("MauSoBienLai")),
            "series": fields.text(answer.get("KyHieuBienLai")),
            "number": fields.text(answer.get("SoBienLai")),
            "amount_vnd": amount,
            "paid_at": self._paid_at(answer),
            "url": fields.text(answer.get("UrlBienLai")),
            "raw": answer,
        }

    # --- plumbing ---------------------------------------------------------------------

    def _keys(self) -> tuple[str, str]:
        partner, secret = conf.get("PAY_DVCQG_PARTNER_CODE"), conf.get("PAY_DVCQG_SECRET")
        if not partner or not secret:
            raise GatewayError("PAY_DVCQG_PARTNER_CODE and PAY_DVCQG_SECRET must be set.")
        return partner, secret

    @staticmethod
    def _paid_at(message: dict[str, Any]) -> datetime | None:
        return fields.parse_time(message.get("ThoiGianGD"))

    @staticmethod
    def _check(answer: dict[str, Any], order: tuple[str, ...], secret: str, kind: str) -> None:
        if not fields.verify(answer, order, secret):
            raise GatewayError(f"DVCQG {kind} answer: MaXacThuc does not match.")

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        _content_type, raw = self._post(message)
        return self._json(raw, message["LoaiBanTin"])

    @staticmethod
    def _json(raw: bytes, kind: str) -> dict[str, Any]:
        try:
            answer = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise GatewayError(f"DVCQG {kind}: the answer is not JSON.") from None
        if not isinstance(answer, dict):
            raise GatewayError(f"DVCQG {kind}: the answer is not a JSON object.")
        return answer

    def _post(self, message: dict[str, Any]) -> tuple[str, bytes]:
        """POST one message; (content type, body). GatewayTimeout when the message may
        have arrived but no answer came back; GatewayError when it surely did not."""
        kind = message["LoaiBanTin"]
        status, raw, headers = gateway_call(
            f"DVCQG {kind}",
            conf.get("PAY_DVCQG_URL"),
            method="POST",
            body=json.dumps(message, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json, application/pdf",
            },
        )
        if status in (502, 503, 504):  # a proxy gave up: the platform may have acted
            raise GatewayTimeout(f"DVCQG {kind}: HTTP {status}")
        if status >= 400:
            raise GatewayError(f"DVCQG {kind}: HTTP {status}")
        return headers.get_content_type(), raw
