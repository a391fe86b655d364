from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.reintegration.instruments import DefinitionError, read
from awda.reintegration.services import instrument_load


class Command(BaseCommand):
    help = (
        "Load a reintegration survey instrument (a new code, or a new version of one) from a "
        "JSON definition: awda load_survey FILE.json [--activate]. The file is checked first; "
        "with any problem nothing is loaded and every problem is listed. A code and version "
        "already loaded is never overwritten. Without --activate the instrument is loaded "
        "but not offered for new surveys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--activate",
            action="store_true",
            help="Put it in use at once (new surveys use the newest active version of a code).",
        )

    def handle(self, *args: Any, file: Path, activate: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            instrument = instrument_load(
                by=None, definition=read(file.read_bytes()), activate=activate
            )
        except DefinitionError as error:
            problems = error.problems
        except ValidationError as error:
            problems = error.messages
        else:
            state = (
                "in use"
                if instrument.is_active
                else "not in use yet (put it in use on /reintegration/instruments/)"
            )
            questions = len(instrument.definition["questions"])
            self.stdout.write(
                f"{file}: loaded {instrument.code} version {instrument.version} "
                f"({questions} questions), {state}."
            )
            return
        for problem in problems:
            self.stderr.write(f"{file}: {problem}")
        raise CommandError(f"{file}: nothing loaded; {len(problems)} problem(s) listed above")
