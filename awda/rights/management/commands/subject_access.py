from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.registry.models import Person
from awda.rights.services import subject_access_export


def operator() -> str:
    """Who runs the command, for the audit trail (a command has no logged-in user)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class Command(BaseCommand):
    help = (
        "Everything Awda holds on a person, for their subject access request: writes "
        "subject-access-<id>.json and subject-access-<id>.pdf (Arabic) into DIR, readable "
        "by the owner only. Recorded in the audit trail as an export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", type=int)
        parser.add_argument("--output", required=True, help="a folder (made if missing)")

    def handle(self, *args: Any, person_id: int, output: str, **options: Any) -> None:
        person = Person.objects.select_related("organisation").filter(pk=person_id).first()
        if person is None:
            raise CommandError(f"no person #{person_id}")
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        for fmt in ("json", "pdf"):
            content = subject_access_export(by=None, person=person, fmt=fmt, operator=operator())
            path = folder / f"subject-access-{person.pk}.{fmt}"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            written.append(str(path))
        self.stdout.write("Written (personal data: hand it over safely): " + ", ".join(written))
