"""Fixtures for sign-in tests: the SMS gateway and OIDC provider simulators, the test
URLs, and (for officials) the Lào Cai demo."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from motcua.accounts.contrib.oidc import client as oidc
from motcua.accounts.contrib.oidc.simulator import OidcProviderSimulator
from motcua.notifications.contrib.sms.simulator import SmsGatewaySimulator

PHONE = "0912345678"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"  # messages are asserted in their English source form


@pytest.fixture(scope="session")
def _sms() -> Iterator[SmsGatewaySimulator]:
    sim = SmsGatewaySimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def sms(_sms, settings) -> SmsGatewaySimulator:
    """The SMS gateway simulator, emptied, with motcua pointed at it (SMS only)."""
    _sms.ledger.__init__()
    _sms.switches.__init__()
    settings.NOTIFY_SMS_URL = _sms.url
    settings.NOTIFY_SMS_API_KEY = _sms.api_key
    settings.NOTIFY_SMS_SECRET_KEY = _sms.secret_key
    settings.NOTIFY_ZALO_URL = ""
    settings.NOTIFY_SMTP_HOST = ""
    settings.NOTIFY_HTTP_TIMEOUT = 2.0
    return _sms


def sms_codes(sms: SmsGatewaySimulator) -> list[str]:
    """The codes delivered, oldest first, read from the gateway's ledger."""
    return [re.search(r"\b(\d{6})\b", m["body"]["content"]).group(1) for m in sms.ledger.messages()]


@pytest.fixture(scope="session")
def _oidc() -> Iterator[OidcProviderSimulator]:
    sim = OidcProviderSimulator(client_id="motcua-test", client_secret="s3cret").start()
    yield sim
    sim.stop()


@pytest.fixture
def vneid(_oidc, settings) -> Iterator[OidcProviderSimulator]:
    _oidc.forge_signature = False
    settings.OIDC_VNEID_ISSUER = _oidc.issuer
    settings.OIDC_VNEID_CLIENT_ID = _oidc.client_id
    settings.OIDC_VNEID_CLIENT_SECRET = _oidc.client_secret
    settings.OIDC_VNEID_ID_CLAIM = "citizen_id"
    oidc.clear_cache()
    yield _oidc
    oidc.clear_cache()


