"""A local SMS gateway speaking eSMS's JSON API, for the demo and the tests.

POST <any path ending in SendMultipleMessage_V4_post_json/> with ApiKey, SecretKey,
Phone, Content, IsUnicode, Brandname, SmsType, RequestId. Answers as eSMS documents:
{"CodeResult": "100", "SMSID": ...} when accepted; 101 wrong keys; 108 malformed
number; 99 blocked number; 124 repeated RequestId (eSMS blocks a RequestId for 24
hours). On 124 the simulator also returns the first message's SMSID, which the plugin
records; real eSMS may omit it.
"""

from __future__ import annotations

from typing import Any

from motcua.notifications.simulators import Delivered, HttpSimulator
from motcua.notifications.text import sms_parts, vn_mobile

PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"


class SmsGatewaySimulator(HttpSimulator):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str = "sim-key",
        secret_key: str = "sim-secret",
        blocked: set[str] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.secret_key = secret_key
        self.blocked = blocked or set()

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def handle_post(
        self, path: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any], Delivered | None]:
        if not path.endswith("SendMultipleMessage_V4_post_json/"):
            return 404, {"CodeResult": "404", "ErrorMessage": "Not found"}, None
        if payload.get("ApiKey") != self.api_key or payload.get("SecretKey") != self.secret_key:
            return 200, {"CodeResult": "101", "ErrorMessage": "Authorize Failed"}, None
        failure = self.switches.failure()
        if failure == "http500":
            return 500, {"CodeResult": "500", "ErrorMessage": "Internal error"}, None
        if failure == "timeout":
            self.timeout_answer()
        if failure:
            return 200, {"CodeResult": "103", "ErrorMessage": "Not enough balance"}, None
        phone = vn_mobile(str(payload.get("Phone", "")))
        if phone is None:
            return 200, {"CodeResult": "108", "ErrorMessage": "Phone is not valid"}, None
        if phone in self.blocked:
            return 200, {"CodeResult": "99", "ErrorMessage": "Phone is blocked"}, None
        content = str(payload.get("Content", ""))
        key = str(payload.get("RequestId") or "")
        record, duplicate = self.ledger.take(
            key or f"no-request-id-{len(self.ledger.delivered)}",
            phone,
            {
                "content": content,
                "unicode": payload.get("IsUnicode") == "1",
                "parts": sms_parts(content),
            },
        )
        if duplicate:
            body = {
                "CodeResult": "124",
                "ErrorMessage": "Duplicate RequestId",
                "SMSID": record.message_id,
            }
            return 200, body, None
        return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": record.message_id}, record
