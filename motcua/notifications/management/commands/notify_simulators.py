from __future__ import annotations

import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Run the local SMTP relay, SMS gateway and Zalo ZNS simulators (demo, development). "
        "Prints the NOTIFY_* settings that point motcua at them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--smtp-port", type=int, default=1025)
        parser.add_argument("--sms-port", type=int, default=8025)
        parser.add_argument("--zalo-port", type=int, default=8026)

    def handle(self, *args, **options) -> None:
        if settings.MOTCUA_ENV == "production":
            raise CommandError("The simulators are not for production.")
        try:
            from motcua.notifications.contrib.email.simulator import SmtpRelaySimulator
        except ImportError as exc:  # aiosmtpd is a development dependency
            raise CommandError(f"The SMTP simulator needs aiosmtpd: {exc}") from exc
        from motcua.notifications.contrib.sms.simulator import SmsGatewaySimulator
        from motcua.notifications.contrib.zalo.simulator import ZaloZnsSimulator

        host = options["host"]
        maildir = Path(settings.VAR_DIR) / "notify-simulator" / "mail"
        smtp = SmtpRelaySimulator(host, options["smtp_port"], maildir=maildir).start()
        sms = SmsGatewaySimulator(host, options["sms_port"]).start()
        zalo = ZaloZnsSimulator(host, options["zalo_port"]).start()
        lines = [
            f"NOTIFY_SMTP_HOST={host}",
            f"NOTIFY_SMTP_PORT={smtp.port}",
            f"NOTIFY_SMS_URL={sms.url}",
            f"NOTIFY_SMS_API_KEY={sms.api_key}",
            f"NOTIFY_SMS_SECRET_KEY={sms.secret_key}",
            f"NOTIFY_ZALO_URL={zalo.url}",
            f"NOTIFY_ZALO_ACCESS_TOKEN={zalo.access_token}",
        ]
        self.stdout.write("Simulators running. Point motcua at them with:\n" + "\n".join(lines))
        self.stdout.write(
            f"E-mails are written to {maildir}; SMS and Zalo messages are listed at "
            f"{sms.base_url}/_simulator/messages and {zalo.base_url}/_simulator/messages."
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        for simulator in (smtp, sms, zalo):
            simulator.stop()
