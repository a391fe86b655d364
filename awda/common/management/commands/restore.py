from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.common.backup import BackupError, RestoreSummary, restore, restore_check


class Command(BaseCommand):
    help = (
        "Load an `awda backup` archive into a freshly migrated, empty instance: all of it "
        "in one transaction, or nothing. --check only checks the archive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--check",
            action="store_true",
            help="check the archive (key, every part, every SHA-256) and change nothing",
        )

    def handle(self, *args: Any, archive: Path, check: bool, **options: Any) -> None:
        try:
            summary = restore_check(archive) if check else restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self._report(summary, check=check, verbosity=options["verbosity"])

    def _report(self, summary: RestoreSummary, *, check: bool, verbosity: int) -> None:
        if verbosity >= 1:
            width = max(len(label) for label in summary.counts)
            for label, count in summary.counts.items():
                if count or verbosity >= 2:
                    self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        made = (
            f"backup {summary.archive_id} of {summary.created_at} (Awda "
            f"{summary.awda_version}, key id {summary.key_id})"
        )
        if check:
            self.stdout.write(
                f"The {made} is intact: {summary.rows:,} rows in {len(summary.counts)} "
                f"tables, {summary.files:,} attached files. Nothing was changed."
            )
        else:
            self.stdout.write(
                f"Restored the {made}: {summary.rows:,} rows in {len(summary.counts)} "
                f"tables and {summary.files:,} attached files, in {summary.seconds:.1f} s "
                f"({summary.reference_rows_replaced:,} rows of this instance's reference data "
                "replaced by the backup's). Counts, the SHA-256 of every table and file, the "
                "encryption keys and the audit chain were checked before committing."
            )
        self.stdout.write(
            f"Audit trail: {summary.audit_entries:,} entries, last hash {summary.audit_head}"
            + ("" if check else "; the restore is recorded after it.")
        )
        if summary.audit_broken_at is not None:
            self.stderr.write(
                f"Warning: the backup's audit trail was already broken at entry "
                f"{summary.audit_broken_at} when it was made."
            )
        if summary.missing_files:
            self.stderr.write(
                f"Warning: {len(summary.missing_files)} attached files were missing when the "
                "backup was made; their records point to nothing."
            )
