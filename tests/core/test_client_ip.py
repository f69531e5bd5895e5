"""The client's address for rate limits, lockouts and the audit trail: only what our own
proxies wrote counts (ASVS 5.0 V4.1.3, V15.3.4)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from motcua.core.net import client_ip


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        # No proxy: X-Forwarded-For is whatever the client wrote, ignored.
        (0, "198.51.100.9", "203.0.113.5"),
        # One proxy (nginx) appends the address it saw: the last one is the client's.
        (1, "198.51.100.9, 192.0.2.77", "192.0.2.77"),
        (1, "192.0.2.77", "192.0.2.77"),
        # Two proxies: the second from the right; the forged left part is skipped.
        (2, "10.0.0.1, 198.51.100.9, 192.0.2.77, 10.0.0.2", "192.0.2.77"),
        # Fewer entries than proxies (misconfigured or bypassed proxy): the peer address.
        (2, "192.0.2.77", "203.0.113.5"),
        (1, "", "203.0.113.5"),
    ],
)
def test_only_the_trusted_proxies_part_of_x_forwarded_for_counts(
    settings, hops, forwarded, expected
):
    settings.MOTCUA_PROXY_HOPS = hops
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def _tries(client, forwarded: list[str]) -> list[int]:
    return [
        client.post(
            "/mot-cua/dang-nhap/",
            {"username": f"nobody{attempt}", "password": "not-the-password"},
            HTTP_X_FORWARDED_FOR=header,
        ).status_code
        for attempt, header in enumerate(forwarded)
    ]


def test_a_forged_address_does_not_escape_the_sign_in_lockout(client, officials, settings):
    """Behind one proxy, a client writing a new X-Forwarded-For on each try is still
    counted at the address the proxy saw; different clients behind the same proxy are
    counted apart."""
    settings.MOTCUA_PROXY_HOPS = 1
    settings.MOTCUA_SIGNIN_ADDRESS_FAILURES = 3
    different_clients = _tries(client, [f"192.0.2.{n}" for n in range(10, 14)])
    assert 429 not in different_clients, different_clients
    one_client_forging = _tries(client, [f"198.51.100.{n}, 192.0.2.77" for n in range(4)])
    assert one_client_forging[-1] == 429, one_client_forging
