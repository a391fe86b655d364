from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.accounts.models import User
from awda.demo.generate import DemoError, DemoSummary, load_demo
from awda.places.models import Place
from awda.places.services import load_built_in

DEFAULT_PASSWORD = "awda-demo-2026"  # noqa: S105 - the published demo password


class Command(BaseCommand):
    help = (
        "Load the demo programme: three fictional organisations, one login per role in each, "
        "and a synthetic caseload of households in al-Hol and Roj. Only for demos and "
        "development (DEBUG or AWDA_DEMO); loading it twice changes nothing. The password "
        f"comes from AWDA_DEMO_PASSWORD, else it is {DEFAULT_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--households", type=int, default=2000, help="how many households (default 2000)"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed: the same seed, the same data"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even though neither DEBUG nor AWDA_DEMO is on",
        )

    def handle(self, *args: Any, households: int, seed: int, force: bool, **options: Any) -> None:
        if not (settings.DEMO or settings.DEBUG or force):
            raise CommandError(
                "Refusing to load the demo programme: neither AWDA_DEMO nor DEBUG is on, so this "
                "looks like a real deployment, and the demo programme (invented households and "
                "accounts with a known password) must never be loaded into one. Set AWDA_DEMO=1 "
                "for a demo instance, or pass --force if you are sure."
            )
        if not (settings.DEMO or settings.DEBUG):
            self.stdout.write(
                self.style.WARNING(
                    "--force: loading the demo although DEBUG and AWDA_DEMO are off."
                )
            )
        if households < 0:
            raise CommandError("--households must be 0 or more.")
        password = os.environ.get("AWDA_DEMO_PASSWORD", "")
        if not password:
            password = DEFAULT_PASSWORD
            self.stdout.write(
                f"AWDA_DEMO_PASSWORD is not set: using the default password {DEFAULT_PASSWORD!r}."
            )
        if not Place.objects.filter(kind=Place.Kind.CAMP).exists():
            self.stdout.write("Loading the built-in places first (Syria, Iraq, camps)...")
            for report in load_built_in():
                self.stdout.write(f"  {report.summary()}")
                if not report.ok:
                    raise CommandError("the built-in places could not be loaded")

        started = time.monotonic()
        try:
            summary = load_demo(households=households, seed=seed, password=password)
        except (DemoError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started

        if summary.created:
            self.stdout.write(self.style.SUCCESS(f"Demo programme loaded in {seconds:.1f} s:"))
        else:
            self.stdout.write(self.style.WARNING("Demo data already loaded; nothing changed:"))
        self._summary(summary)
        self._logins(summary, password)
        port = os.environ.get("PORT") or "8000"
        self.stdout.write(f"\nOpen http://127.0.0.1:{port}/")

    def _summary(self, summary: DemoSummary) -> None:
        rows = [
            ("organisations", summary.organisations),
            ("users", summary.users),
            ("households", summary.households),
            ("people", summary.people),
            ("referrals", summary.referrals),
        ]
        if summary.created:
            rows.append(("planted duplicate households", summary.planted_duplicates))
        for label, value in rows:
            self.stdout.write(f"  {label:<30} {value:>7,}")

    def _logins(self, summary: DemoSummary, password: str) -> None:
        self.stdout.write("\nLogins:")
        self.stdout.write(f"  {'username':<14} {'role':<11} organisation")
        for login in summary.logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<11} {login.organisation}")
        self.stdout.write(f"Password for every login: {password}")
        if not summary.created:
            sample = User.objects.filter(username=summary.logins[0].username).first()
            if sample is not None and not check_password(password, sample.password):
                self.stdout.write(
                    self.style.WARNING(
                        "This is not the password the demo users were created with: it was "
                        "set at the first load, from AWDA_DEMO_PASSWORD or the default."
                    )
                )
