"""The electronic receipt of a payment (biên lai thu tiền phí, lệ phí), as PDF.

Numbered in one series per year (PAY_RECEIPT_SERIES + the year's two digits, e.g.
BL26), the number given in the payment's own transaction so no number is skipped or
given twice. The fields are those a fee receipt carries under Decree 123/2020/NĐ-CP
(art. 32: series, number, collecting body, payer, what was collected, the amount in
figures and in words, when, how) — read from memory of the decree, not checked against
its text here; the official receipt template of the province can replace this one.
"""

from __future__ import annotations

from django.utils import timezone
from num2words import num2words

from motcua.dossiers.slips import SlipAgency, document_pdf, format_moment
from motcua.payments.models import Payment

HOW = {
    "vietqr": "Chuyển khoản ngân hàng (VietQR)",
    "vnpay": "Thanh toán trực tuyến qua VNPAY",
    "payos": "Thanh toán trực tuyến qua payOS",
    "dvcqg": "Nền tảng thanh toán của Cổng Dịch vụ công quốc gia",
    "counter_cash": "Tiền mặt tại Bộ phận Một cửa",
    "counter_card": "Thẻ tại Bộ phận Một cửa",
}


def _dots(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def receipt_pdf(*, payment: Payment) -> bytes:
    bill = payment.bill
    dossier = bill.dossier
    agency = dossier.receiving_agency
    lines = [
        {"description": line.description, "amount": _dots(line.amount_vnd)}
        for line in bill.lines.all()
        if not line.waived
    ]
    officer = payment.recorded_by
    issued = timezone.localtime(payment.recorded_at)
    return document_pdf(
        template="payments/receipt.html",
        context={
            "form": "receipt",
            "doc_title": f"Biên lai {payment.receipt}",
            "c": {"place": "", "code": dossier.code},
            "issued_date": f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
            "agency": SlipAgency(name=agency.name, address=agency.address, phone=agency.phone),
            "payment": payment,
            "number": f"{payment.receipt_number:07d}",
            "dossier": dossier,
            "lines": lines,
            "amount": _dots(payment.amount_vnd),
            "amount_words": num2words(payment.amount_vnd, lang="vi"),
            "how": HOW.get(payment.method, payment.method),
            "paid": format_moment(timezone.localtime(payment.paid_at)),
            "recorded_by": (officer.get_full_name() or officer.get_username()) if officer else "",
        },
    )
