from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.payments.simulated import DEMO_PORTS, simulated_settings, simulators_start


class Command(BaseCommand):
    help = (
        "Run the local payment simulators (bank/VietQR, VNPAY, payOS, the national portal's "
        "payment platform) for the demo and development. Prints the PAY_* settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--site",
            default="http://127.0.0.1:8000",
            help="motcua's address, for the gateways' notifications",
        )

    def handle(self, *args, **options) -> None:
        if settings.MOTCUA_ENV == "production":
            raise CommandError("The simulators are not for production.")
        sims = simulators_start(site_url=options["site"], host=options["host"], ports=DEMO_PORTS)
        lines = [f"{name}={value}" for name, value in simulated_settings(sims).items()]
        self.stdout.write(
            "Payment simulators running. Point motcua at them with:\n" + "\n".join(lines)
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        for sim in sims.values():
            sim.stop()
