from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from awda.returns.services import centres_load


class Command(BaseCommand):
    help = (
        "Add the rehabilitation centres Awda knows (Jeddah-1 / al-Amal, al-Qayyarah, Ninewa) "
        "if missing; run after load_places. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = centres_load()
        except LookupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{created} centre(s) added.")
