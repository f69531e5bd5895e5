"""All local payment simulators at once, and the PAY_* settings that point motcua at
them (the demo's `manage.py pay_simulators`, and the tests)."""

from __future__ import annotations

from motcua.payments.contrib.dvcqg.simulator import NationalPlatformSimulator
from motcua.payments.contrib.payos.simulator import PayosSimulator
from motcua.payments.contrib.vietqr.simulator import BankSimulator
from motcua.payments.contrib.vnpay.simulator import VnpaySimulator
from motcua.payments.simulators import PaymentSimulator

# Fixed ports for the demo (0: any free port, for tests).
DEMO_PORTS = {"vietqr": 8031, "vnpay": 8032, "payos": 8033, "dvcqg": 8034}


def notify_path(method: str) -> str:
    return f"/api/thanh-toan/{method}/thong-bao/"


def simulators_start(
    *, site_url: str, host: str = "127.0.0.1", ports: dict[str, int] | None = None
) -> dict[str, PaymentSimulator]:
    """Start one simulator per online method; gateways that take their notification
    address from the merchant's settings (not from each request) get it here."""
    ports = ports or {}
    site = site_url.rstrip("/")
    sims: dict[str, PaymentSimulator] = {
        "vietqr": BankSimulator(
            host, ports.get("vietqr", 0), notify_url=site + notify_path("vietqr")
        ),
        "vnpay": VnpaySimulator(host, ports.get("vnpay", 0), ipn_url=site + notify_path("vnpay")),
        "payos": PayosSimulator(
            host, ports.get("payos", 0), webhook_url=site + notify_path("payos")
        ),
        "dvcqg": NationalPlatformSimulator(host, ports.get("dvcqg", 0)),
    }
    for sim in sims.values():
        sim.start()
    return sims


def simulated_settings(sims: dict[str, PaymentSimulator]) -> dict[str, str]:
    bank: BankSimulator = sims["vietqr"]  # type: ignore[assignment]
    vnpay: VnpaySimulator = sims["vnpay"]  # type: ignore[assignment]
    payos: PayosSimulator = sims["payos"]  # type: ignore[assignment]
    national: NationalPlatformSimulator = sims["dvcqg"]  # type: ignore[assignment]
    return {
        "PAY_VIETQR_BANK_BIN": bank.bank_bin,
        "PAY_VIETQR_ACCOUNT": bank.account,
        "PAY_VIETQR_ACCOUNT_NAME": bank.account_name,
        "PAY_VIETQR_WEBHOOK_SECRET": bank.secret,
        "PAY_VIETQR_STATEMENT_URL": bank.statement_url,
        "PAY_VNPAY_URL": vnpay.payment_url,
        "PAY_VNPAY_API_URL": vnpay.api_url,
        "PAY_VNPAY_TMN_CODE": vnpay.tmn_code,
        "PAY_VNPAY_HASH_SECRET": vnpay.hash_secret,
        "PAY_PAYOS_URL": payos.url,
        "PAY_PAYOS_CLIENT_ID": payos.client_id,
        "PAY_PAYOS_API_KEY": payos.api_key,
        "PAY_PAYOS_CHECKSUM_KEY": payos.checksum_key,
        "PAY_DVCQG_URL": national.url,
        "PAY_DVCQG_PARTNER_CODE": national.partner_code,
        "PAY_DVCQG_SECRET": national.secret,
        "PAY_DVCQG_PAYEE_ACCOUNT": "3511.0.1234567",
        "PAY_DVCQG_PAYEE_BANK": "KBNN",
        "PAY_DVCQG_PAYEE_NAME": "Kho bac Nha nuoc tinh Lao Cai",
    }
