"""Fixtures for the notification tests: the Lào Cai demo, dossiers made through the real
lifecycle services, and the three gateway simulators running in the test process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, PaperInput, dossier_receive_at_counter
from motcua.notifications.contrib.email.simulator import SmtpRelaySimulator
from motcua.notifications.contrib.sms.simulator import SmsGatewaySimulator
from motcua.notifications.contrib.zalo.simulator import ZaloZnsSimulator
from tests.databases import Query, fresh_database
from tests.officials import official_login

BIRTH = "1.001193"  # Đăng ký khai sinh: commune level
PHONE = "0912345678"
EMAIL = "mai@example.vn"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def applicant(**changes: Any) -> Applicant:
    values: dict[str, Any] = {
        "name": "Lò Thị Mai",
        "id_number": "010190012345",
        "birth_date": date(1990, 5, 17),
        "phone": PHONE,
        "email": "",
        "address": "Thôn Trung Chải",
    }
    values.update(changes)
    return Applicant(**values)


@pytest.fixture
def receive(officials, agencies) -> Callable[..., Dossier]:
    """receive(team="batxat", **applicant fields) → a dossier received at the counter."""

    def make(team: str = "batxat", **changes: Any) -> Dossier:
        version = procedure_get_current(code=BIRTH)
        assert version is not None
        papers = [
            PaperInput(name=p.name, form="original", required_paper=p) for p in version.papers.all()
        ]
        return dossier_receive_at_counter(
            officer=officials[f"{team}.tiepnhan"],
            agency=agencies[f"{team}_desk"],
            procedure_version=version,
            applicant=applicant(**changes),
            papers=papers,
        )

    return make


@pytest.fixture
def login(client, demo) -> Callable[[str], Any]:
    def sign_in(username: str) -> Any:
        from django.contrib.auth import get_user_model

        return official_login(client, get_user_model().objects.get(username=username))

    return sign_in


@dataclass
class Gateways:
    smtp: SmtpRelaySimulator
    sms: SmsGatewaySimulator
    zalo: ZaloZnsSimulator


@pytest.fixture(scope="session")
def _gateways() -> Iterator[Gateways]:
    gateways = Gateways(
        smtp=SmtpRelaySimulator().start(),
        sms=SmsGatewaySimulator().start(),
        zalo=ZaloZnsSimulator(templates={"zns-received"}, no_zalo={"84987654321"}).start(),
    )
    yield gateways
    gateways.smtp.stop()
    gateways.sms.stop()
    gateways.zalo.stop()


@pytest.fixture
def gateways(_gateways: Gateways, settings) -> Iterator[Gateways]:
    """The simulators, emptied and well-behaved, with motcua pointed at them (all three
    channels on, no rate limit, a 1-second retry delay and a budget of 3 attempts)."""
    for gateway in (_gateways.smtp, _gateways.sms, _gateways.zalo):
        gateway.ledger.__init__()
        gateway.switches.__init__()
    settings.NOTIFY_SMTP_HOST = "127.0.0.1"
    settings.NOTIFY_SMTP_PORT = _gateways.smtp.port
    settings.NOTIFY_EMAIL_FROM = "Một cửa Lào Cai <no-reply@motcua.test>"
    settings.NOTIFY_SMS_URL = _gateways.sms.url
    settings.NOTIFY_SMS_API_KEY = _gateways.sms.api_key
    settings.NOTIFY_SMS_SECRET_KEY = _gateways.sms.secret_key
    settings.NOTIFY_ZALO_URL = _gateways.zalo.url
    settings.NOTIFY_ZALO_ACCESS_TOKEN = _gateways.zalo.access_token
    settings.NOTIFY_RETRY_DELAY = 1.0
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_HTTP_TIMEOUT = 2.0
    yield _gateways


# --- a fresh database for tests that run motcua in processes of their own --------------------


@pytest.fixture
def database(request, tmp_path: Path) -> Iterator[tuple[str, Query]]:
    """(DATABASE_URL, query) of a fresh database for the processes of a test; on
    PostgreSQL the one named by the test module's PG_DATABASE (tests/databases.py)."""
    with fresh_database(tmp_path, request.module.PG_DATABASE) as found:
        yield found
