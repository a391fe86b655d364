from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.identity.dedup import InputError, dedup_file


class Command(BaseCommand):
    help = (
        "Find the same people registered more than once in a CSV of registrations "
        "(columns unique_id,first_name,father_name,grandfather_name,family_name,sex,dob,"
        "camp,block,governorate,agency; UTF-8; names in Arabic or Latin script) and write "
        "unique_id,cluster_id for every row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--threads", type=int, default=2)

    def handle(self, *args: Any, input: Path, output: Path, threads: int, **options: Any) -> None:
        if not input.is_file():
            raise CommandError(f"{input}: no such file")
        started = time.perf_counter()
        try:
            result = dedup_file(input, output, threads=threads)
        except InputError as error:
            raise CommandError(f"{input}: {error}") from error
        clusters = len(set(result.clusters.values()))
        self.stdout.write(
            f"{len(result.clusters)} registrations, {clusters} people "
            f"({len(result.clusters) - clusters} duplicate registrations) in "
            f"{time.perf_counter() - started:.1f} s -> {output}"
        )
