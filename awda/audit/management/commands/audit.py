from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.audit.selectors import audit_verify


class Command(BaseCommand):
    help = "The audit trail: `awda audit verify` checks its hash chain from the first entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every entry's hash and its link to the previous one")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            report = audit_verify()
            if not report.intact:
                raise CommandError(
                    f"Audit trail broken at entry {report.broken_at}: {report.reason}. "
                    f"{report.entries - 1} entries before it hold."
                )
            self.stdout.write(
                f"Audit trail intact: {report.entries} entries; "
                f"last hash {report.head_hash}. Keep this hash elsewhere to detect a "
                "later truncation."
            )
