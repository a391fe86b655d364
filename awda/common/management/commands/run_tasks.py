from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from awda.common.tasks import task_claim_next, task_run


class Command(BaseCommand):
    help = (
        "Run queued background tasks (for AWDA_TASKS=worker); --once runs what is queued and stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--sleep", type=float, default=2.0)

    def handle(self, *args: Any, once: bool, sleep: float, **options: Any) -> None:
        while True:
            pk = task_claim_next()
            if pk is None:
                if once:
                    return
                time.sleep(sleep)
                continue
            self.stdout.write(f"task {pk}")
            task_run(pk, claimed=True)
