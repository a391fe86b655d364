from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.accounts.models import Organisation
from awda.accounts.services import organisation_create


class Command(BaseCommand):
    help = "Add an organisation: awda add_organisation SLUG --name-ar ... --name-en ... --kind ..."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name-ar", required=True)
        parser.add_argument("--name-en", required=True)
        parser.add_argument("--kind", required=True, choices=Organisation.Kind.values)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisation_create(
                slug=options["slug"],
                name_ar=options["name_ar"],
                name_en=options["name_en"],
                kind=options["kind"],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from error
        self.stdout.write(f"Organisation {organisation.slug} added.")
