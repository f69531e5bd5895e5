"""Fixtures for sign-in tests: the SMS gateway simulator (the VNeID and population
simulators are in tests/conftest.py, for every test)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

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


# `vneid` (the VNeID simulator with OIDC_VNEID_* pointed at it) is in tests/conftest.py.
