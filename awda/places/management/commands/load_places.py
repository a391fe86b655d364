from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.places.services import LoadReport, load_built_in, load_file


class Command(BaseCommand):
    help = (
        "Load places: without arguments the gazetteers shipped with Awda (Syria, Iraq, camps); "
        "with files, Awda-format or OCHA-style gazetteer CSVs with an HXL row. "
        "Idempotent; a file with any problem is not loaded at all, and every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)

    def handle(self, *args: Any, files: list[Path], **options: Any) -> None:
        reports: list[LoadReport] = []
        if files:
            for path in files:
                if not path.is_file():
                    raise CommandError(f"{path}: no such file")
                reports.append(load_file(path))
        else:
            reports = load_built_in()
        failed = False
        for report in reports:
            for problem in report.problems:
                self.stderr.write(f"{report.source}: {problem}")
            if report.ok:
                self.stdout.write(report.summary())
            else:
                self.stderr.write(report.summary())
                failed = True
        if failed:
            raise CommandError("some files were not loaded; see the problems above")
