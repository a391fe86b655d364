from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.common.backup import BackupError, backup_write


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Write an encrypted, integrity-checked archive of the database and the attached "
        "files (key: AWDA_BACKUP_KEYS, else AWDA_ENCRYPTION_KEYS). Restore with `awda restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="the archive to write")
        parser.add_argument("--force", action="store_true", help="replace an existing file")

    def handle(self, *args: Any, output: Path, force: bool, **options: Any) -> None:
        try:
            summary = backup_write(output, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] >= 1:
            width = max(len(label) for label in summary.counts)
            for label, count in summary.counts.items():
                if count or options["verbosity"] >= 2:
                    self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write(
            f"Backup written to {summary.path}: {summary.rows:,} rows in "
            f"{len(summary.counts)} tables, {summary.files:,} attached files, "
            f"{megabytes(summary.size)}, in {summary.seconds:.1f} s "
            f"(archive {summary.archive_id}, key id {summary.key_id})."
        )
        self.stdout.write(
            f"Audit trail: {summary.audit_entries:,} entries, last hash {summary.audit_head}."
        )
        if summary.audit_broken_at is not None:
            self.stderr.write(
                f"Warning: the audit trail is broken at entry {summary.audit_broken_at} "
                "(`awda audit verify`); the backup holds it as it is."
            )
        if summary.missing_files:
            self.stderr.write(
                f"Warning: {len(summary.missing_files)} attached files were missing from "
                "the attachments folder and are not in the backup."
            )
        self.stdout.write(
            "Encrypted fields and attached files are inside as stored, encrypted under "
            "AWDA_ENCRYPTION_KEYS: keep those keys too (apart from the backup)."
        )
