"""Settings of the payments app (motcua.core.conf.setting: Django setting, else the
environment, else the default below). Every name is listed in docs/payments.md.

A method is offered only when its gateway address and keys are set.
"""

from __future__ import annotations

from typing import Any

from motcua.core.conf import setting

DEFAULTS: dict[str, Any] = {
    # The address gateways call back and send the browser back to. Empty: the address
    # the citizen's browser used.
    "PAY_SITE_URL": "",
    "PAY_HTTP_TIMEOUT": 10.0,
    # An attempt still pending after this long is asked about (gateway query API) by
    # the 15-minute job; after PAY_PENDING_EXPIRE it is given up (a later success is
    # still accepted and recorded).
    "PAY_PENDING_QUERY_AFTER": 900.0,
    "PAY_PENDING_EXPIRE": 86400.0,
    "PAY_RECEIPT_SERIES": "BL",
    # VietQR transfer to the province's collection account (NAPAS 247).
    "PAY_VIETQR_BANK_BIN": "",
    "PAY_VIETQR_ACCOUNT": "",
    "PAY_VIETQR_ACCOUNT_NAME": "",
    "PAY_VIETQR_WEBHOOK_SECRET": "",  # HMAC key of the bank's transfer notifications
    "PAY_VIETQR_STATEMENT_URL": "",  # the bank's statement API, for reconciliation
    # A card/wallet gateway in the VNPay style.
    "PAY_VNPAY_URL": "",  # the payment page address (paymentv2/vpcpay.html)
    "PAY_VNPAY_API_URL": "",  # querydr
    "PAY_VNPAY_TMN_CODE": "",
    "PAY_VNPAY_HASH_SECRET": "",
    # A payment-link gateway in the payOS style.
    "PAY_PAYOS_URL": "",
    "PAY_PAYOS_CLIENT_ID": "",
    "PAY_PAYOS_API_KEY": "",
    "PAY_PAYOS_CHECKSUM_KEY": "",
    # The national public-service portal's payment platform.
    "PAY_DVCQG_URL": "",
    "PAY_DVCQG_PARTNER_CODE": "",
    "PAY_DVCQG_SECRET": "",
    "PAY_DVCQG_PAYEE_ACCOUNT": "",
    "PAY_DVCQG_PAYEE_BANK": "",
    "PAY_DVCQG_PAYEE_NAME": "",
}


def get(name: str) -> Any:
    return setting(name, DEFAULTS[name])
