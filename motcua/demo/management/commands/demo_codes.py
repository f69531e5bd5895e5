"""The two-step sign-in codes of the demo's officials and administrator, right now."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.accounts import otp
from motcua.accounts.credentials import official_totp_next_step, official_totp_secret_is
from motcua.demo.officials import demo_totp_secret


class Command(BaseCommand):
    help = (
        "Print the 6-digit two-step sign-in code each demo official (or each username "
        "given) can sign in with now, and for how many seconds. Demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="*", help="e.g. batxat.tiepnhan admin")
        parser.add_argument(
            "--key",
            action="store_true",
            help="also print the otpauth:// link (the key) to set up an authenticator app",
        )

    def handle(self, *args, **options) -> None:
        if settings.MOTCUA_ENV == "production":
            raise CommandError("Demo codes are not for a production site.")
        from motcua.demo.management.commands.load_demo import DEMO_ADMIN

        users = get_user_model().objects.filter(is_active=True).order_by("username")
        wanted = options["usernames"]
        if wanted:
            found = list(users.filter(username__in=wanted))
            missing = sorted(set(wanted) - {user.username for user in found})
            if missing:
                raise CommandError(f"No such account: {', '.join(missing)}")
        else:
            # The demo's accounts: the officials (team.member) and the administrator.
            found = [u for u in users if "." in u.username or u.username == DEMO_ADMIN[0]]
        now = time.time()
        current = int(now // otp.TOTP_INTERVAL)
        left = (current + 1) * otp.TOTP_INTERVAL - now
        for user in found:
            secret = demo_totp_secret(user.username)
            if not official_totp_secret_is(user=user, secret=secret):
                self.stdout.write(
                    f"{user.username:<24} no demo code: two-step sign-in was reset or set up "
                    "with another app (manage.py load_demo restores the demo's)"
                )
                continue
            step = official_totp_next_step(user=user, at=now)
            if step is None:
                self.stdout.write(f"{user.username:<24} codes used: run again in {left:.0f} s")
                continue
            code = otp.totp_now(secret, at=step * otp.TOTP_INTERVAL)
            seconds = left + (step - current) * otp.TOTP_INTERVAL
            self.stdout.write(f"{user.username:<24} {code}  (valid {seconds:.0f} more seconds)")
            if options["key"]:
                self.stdout.write(f"{'':<24} {otp.totp_uri(secret, account=user.username)}")
