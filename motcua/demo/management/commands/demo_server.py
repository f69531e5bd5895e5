from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandParser

from motcua.accounts.contrib.oidc.simulator import OidcProviderSimulator
from motcua.accounts.contrib.population.simulator import PopulationSimulator
from motcua.payments.simulated import DEMO_PORTS, simulated_settings, simulators_start

# The local gateway simulators (manage.py notify_simulators) and how to reach them; a
# value already in the environment wins, so a demo can point at real gateways.
SIMULATED_GATEWAYS = {
    "NOTIFY_SMTP_HOST": "127.0.0.1",
    "NOTIFY_SMTP_PORT": "1025",
    "NOTIFY_SMS_URL": "http://127.0.0.1:8025/MainService.svc/json/SendMultipleMessage_V4_post_json/",
    "NOTIFY_SMS_API_KEY": "sim-key",
    "NOTIFY_SMS_SECRET_KEY": "sim-secret",
    "NOTIFY_ZALO_URL": "http://127.0.0.1:8026/message/template",
    "NOTIFY_ZALO_ACCESS_TOKEN": "sim-zalo-token",
    "NOTIFY_SITE_URL": "http://127.0.0.1:8000",
}

# VNeID sign-in (its consent page lists the demo people) and the population database,
# both local simulators sharing motcua/accounts/contrib/population/demo_people.json.
VNEID_DEMO_PORT = 8027
POPULATION_DEMO_PORT = 8028
VNEID_DEMO_CLIENT = ("motcua-demo", "vneid-demo-secret")
POPULATION_DEMO_CLIENT = ("motcua-demo", "population-demo-secret")


def identity_simulators_start(
    host: str = "127.0.0.1",
    *,
    vneid_port: int = VNEID_DEMO_PORT,
    population_port: int = POPULATION_DEMO_PORT,
) -> tuple[dict[str, str], list[OidcProviderSimulator | PopulationSimulator]]:
    """Start the VNeID simulator (with its consent page) and the population simulator on
    their demo ports; returns the settings that point motcua at them, and the simulators."""
    vneid = OidcProviderSimulator(
        host,
        vneid_port,
        client_id=VNEID_DEMO_CLIENT[0],
        client_secret=VNEID_DEMO_CLIENT[1],
        consent_page=True,
    ).start()
    population = PopulationSimulator(
        host,
        population_port,
        client_id=POPULATION_DEMO_CLIENT[0],
        client_secret=POPULATION_DEMO_CLIENT[1],
    ).start()
    env = {
        "OIDC_VNEID_ISSUER": vneid.issuer,
        "OIDC_VNEID_CLIENT_ID": vneid.client_id,
        "OIDC_VNEID_CLIENT_SECRET": vneid.client_secret,
        "POPULATION_API_URL": population.url,
        "POPULATION_CLIENT_ID": population.client_id,
        "POPULATION_CLIENT_SECRET": population.client_secret,
    }
    return env, [vneid, population]


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn), the background worker (Huey) and the local "
        "SMTP/SMS/Zalo, payment-gateway, VNeID and population-database simulators together."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", default="2")

    def handle(self, *args, **options) -> None:
        bindir = os.path.dirname(sys.executable)
        site = f"http://{options['host']}:{options['port']}"
        payment_gateways = simulated_settings(
            simulators_start(site_url=site, host=options["host"], ports=DEMO_PORTS)
        )
        identity, _identity_sims = identity_simulators_start(options["host"])
        gateways = {
            **SIMULATED_GATEWAYS,
            **payment_gateways,
            **identity,
            "NOTIFY_SITE_URL": site,
        }
        env = {**gateways, **os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings"}
        processes = [
            subprocess.Popen([sys.executable, "manage.py", "notify_simulators"], env=env),
            subprocess.Popen([sys.executable, "manage.py", "run_huey", "--quiet"], env=env),
            subprocess.Popen(
                [
                    os.path.join(bindir, "gunicorn"),
                    "motcua.wsgi:application",
                    "--bind",
                    f"{options['host']}:{options['port']}",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    options["workers"],
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env=env,
            ),
        ]
        self.stdout.write(
            f"motcua is running on http://{options['host']}:{options['port']}/ "
            "(admin: /admin/, API: /api/v1/docs). Messages to citizens go to the local "
            "simulators: e-mails in var/notify-simulator/mail/, SMS at "
            "http://127.0.0.1:8025/_simulator/messages; payments go through the simulated "
            "bank, VNPAY, payOS and national platform on ports 8031-8034. "
            f"\"Đăng nhập bằng VNeID\" opens the simulated VNeID on port {VNEID_DEMO_PORT} "
            "(choose a demo person; Hoàng Thị Lan is a first-time citizen); the simulated "
            f"population database answers on port {POPULATION_DEMO_PORT}. Officials and the "
            "administrator sign in at /mot-cua/dang-nhap/ with the password load_demo printed, "
            "then a two-step code: `manage.py demo_codes [username ...]` prints them. "
            "Press Ctrl+C to stop."
        )

        def stop(*_args: object) -> None:
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            # If either process dies, stop the other: a demo without its worker is broken.
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            stop()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        codes = [p.returncode for p in processes]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            raise SystemExit(1)
