"""A local Zalo ZNS endpoint (POST /message/template), for the demo and the tests.

Header `access_token`; JSON phone, template_id, template_data, tracking_id. Answers
{"error": 0, "message": "Success", "data": {"msg_id", "sent_time", "quota"}}, or a
negative error from ZNS's table: -124 invalid access token, -108 invalid phone, -109
unknown template, -111 empty template data, -118 no Zalo account, -100 unknown error.
Unlike real ZNS (which documents tracking_id for reconciliation only), the simulator
deduplicates on tracking_id: a repeat gets the first msg_id and is not delivered again.
"""

from __future__ import annotations

import time
from typing import Any

from motcua.notifications.simulators import Delivered, HttpSimulator
from motcua.notifications.text import vn_mobile

PATH = "/message/template"
DAILY_QUOTA = 500_000


class ZaloZnsSimulator(HttpSimulator):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_token: str = "sim-zalo-token",
        templates: set[str] | None = None,
        no_zalo: set[str] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.access_token = access_token
        self.templates = templates or set()  # empty: any template id is approved
        self.no_zalo = no_zalo or set()

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def handle_post(
        self, path: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any], Delivered | None]:
        if not path.startswith(PATH):
            return 404, {"error": -106, "message": "Method unsupported"}, None
        token = {k.lower(): v for k, v in headers.items()}.get("access_token")
        if token != self.access_token:
            return 200, {"error": -124, "message": "Access token is invalid"}, None
        failure = self.switches.failure()
        if failure == "http500":
            return 500, {"error": -100, "message": "Unknown error"}, None
        if failure == "timeout":
            self.timeout_answer()
        if failure:
            return 200, {"error": -100, "message": "Unknown error"}, None
        phone = vn_mobile(str(payload.get("phone", "")))
        if phone is None:
            return 200, {"error": -108, "message": "Phone number invalid"}, None
        template_id = str(payload.get("template_id", ""))
        if not template_id or (self.templates and template_id not in self.templates):
            return 200, {"error": -109, "message": "Template ID invalid"}, None
        data = payload.get("template_data")
        if not isinstance(data, dict) or not data:
            return 200, {"error": -111, "message": "Template data empty"}, None
        if phone in self.no_zalo:
            return 200, {"error": -118, "message": "Zalo account not existed"}, None
        key = str(payload.get("tracking_id") or f"no-tracking-{time.time_ns()}")
        record, duplicate = self.ledger.take(
            key, phone, {"template_id": template_id, "template_data": data}
        )
        remaining = max(0, DAILY_QUOTA - len(self.ledger.delivered))
        body = {
            "error": 0,
            "message": "Success",
            "data": {
                "msg_id": record.message_id,
                "sent_time": str(int(record.at * 1000)),
                "quota": {"dailyQuota": str(DAILY_QUOTA), "remainingQuota": str(remaining)},
            },
        }
        return 200, body, None if duplicate else record
