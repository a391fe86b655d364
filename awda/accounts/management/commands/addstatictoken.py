from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Stands in for django-otp's command of the same name, which would store a recovery
    code in clear: Awda stores only their hashes, and makes them ten at a time."""

    help = "Not used in Awda: see `awda reset_2fa` and the two-factor page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "Awda makes recovery codes ten at a time, on the user's two-factor page "
            "(/accounts/two-factor/). To let someone in who lost their phone, run "
            'awda reset_2fa USERNAME --reason "..." and they set up a new authenticator.'
        )
