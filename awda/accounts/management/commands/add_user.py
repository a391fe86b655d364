from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.accounts.models import Organisation
from awda.accounts.roles import Role
from awda.accounts.services import user_create


class Command(BaseCommand):
    help = (
        "Add a user of an organisation with a role. The password is asked for, or read from "
        "the environment variable AWDA_NEW_PASSWORD (never from the command line)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist:
            raise CommandError(f"no organisation {options['organisation']!r}") from None
        password = os.environ.get("AWDA_NEW_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = user_create(
                username=options["username"],
                organisation=organisation,
                role=options["role"],
                password=password,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"User {user.username} ({user.role}, {organisation.slug}) added.")
