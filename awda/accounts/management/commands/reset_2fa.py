from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.accounts.models import SecondFactorReset, User
from awda.accounts.services import second_factor_reset


def _operator() -> str:
    """Who runs the command, for the audit trail (a command has no logged-in user)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class Command(BaseCommand):
    help = (
        "Remove a user's second factor (authenticator app and recovery codes), e.g. after a "
        "lost phone; their sessions and API tokens end and they set up a new one at their "
        'next login: awda reset_2fa USERNAME --reason "...". Recorded in the audit trail.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--reason",
            required=True,
            help="why (kept with the reset, not in the audit trail); no personal data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}") from None
        try:
            second_factor_reset(
                user=user,
                by=None,
                reason=options["reason"],
                via=SecondFactorReset.Via.COMMAND,
                operator=_operator(),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Second factor of {user.username} removed; their sessions and API tokens ended. "
            "They set up a new one at their next login."
        )
