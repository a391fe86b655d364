"""Re-encrypt everything encrypted at rest under the first key of AWDA_ENCRYPTION_KEYS.

1. Every EncryptedTextField and EncryptedJSONField of every model (found through the app
   registry) is read in batches of primary keys, as stored (the token, not the content).
2. A token the first key opens is left alone, so a second run changes nothing; any other
   is re-encrypted with MultiFernet.rotate (same content and timestamp, first key).
3. Each batch is written in its own transaction, with its rows locked, and each row only
   if its token is still the one read: a crash leaves every value either old or new,
   both readable with the key list, and a user's edit during the run is never undone.
4. Every attachment's file is re-encrypted into a temporary file beside it, which then
   replaces it in one rename: a reader gets the old file or the new one.
5. One audit entry records the counts. --dry-run only counts."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common import crypto
from awda.common.fields import encrypted_fields, pk_batches


@dataclass
class Counts:
    rotated: int = 0
    current: int = 0
    empty: int = 0
    unreadable: int = 0

    def line(self, dry_run: bool, empty: str = "empty") -> str:
        verb = "to re-encrypt" if dry_run else "re-encrypted"
        text = f"{self.rotated} {verb}, {self.current} already under the first key"
        if self.empty:
            text += f", {self.empty} {empty}"
        if self.unreadable:
            text += f", {self.unreadable} UNREADABLE"
        return text


def encrypted_columns() -> list[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Every model with encrypted fields of its own table, and those fields."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        own = [field for field in encrypted_fields(model) if field.model is model]
        if own:
            found.append((model, own))
    return sorted(found, key=lambda item: item[0]._meta.label)


def _rotate_token(token: str | None, counts: Counts) -> str | None:
    """The new token, or None when there is nothing to write (counted either way)."""
    if token is None or token == "":
        counts.empty += 1
        return None
    raw = token.encode("ascii", errors="replace")
    if crypto.is_current(raw):
        counts.current += 1
        return None
    try:
        new = crypto.rotate(raw).decode("ascii")
    except crypto.InvalidToken:
        counts.unreadable += 1
        return None
    counts.rotated += 1
    return new


def rotate_model(
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    *,
    batch_size: int,
    dry_run: bool,
) -> dict[str, Counts]:
    counts = {field.name: Counts() for field in fields}
    # the stored tokens, read past the fields' decryption
    raw = {f"_raw_{field.attname}": Cast(field.attname, models.TextField()) for field in fields}
    for pks in pk_batches(model, batch_size):
        with transaction.atomic():
            query = model._base_manager.filter(pk__in=pks)
            if not dry_run:
                query = query.select_for_update()
            rows = list(query.annotate(**raw).values_list("pk", *raw))
            for position, field in enumerate(fields, start=1):
                changes: dict[Any, tuple[str, str]] = {}
                for row in rows:
                    new = _rotate_token(row[position], counts[field.name])
                    if new is not None:
                        changes[row[0]] = (row[position], new)
                if changes and not dry_run:
                    _write(model, field, changes)
    return counts


def _write(
    model: type[models.Model], field: models.Field[Any, Any], changes: dict[Any, tuple[str, str]]
) -> None:
    """One UPDATE for the batch; a row whose token changed since it was read keeps it."""
    stored = Cast(field.attname, models.TextField())
    cases = [
        models.When(models.Q(Exact(stored, models.Value(old)), pk=pk), then=models.Value(new))
        for pk, (old, new) in changes.items()
    ]
    model._base_manager.filter(pk__in=list(changes)).update(
        **{
            field.attname: models.Case(
                *cases, default=models.F(field.attname), output_field=models.TextField()
            )
        }
    )


def rotate_files(folder: Path, names: Iterable[str], *, dry_run: bool) -> Counts:
    """Re-encrypt the named files of `folder` (a missing one is counted as empty)."""
    counts = Counts()
    for name in names:
        path = folder / name
        try:
            token = path.read_bytes()
        except FileNotFoundError:
            counts.empty += 1
            continue
        if crypto.is_current(token):
            counts.current += 1
            continue
        try:
            new = crypto.rotate(token)
        except crypto.InvalidToken:
            counts.unreadable += 1
            continue
        counts.rotated += 1
        if dry_run:
            continue
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with temporary.open("xb") as handle:
                handle.write(new)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return counts


def attachment_names(batch_size: int) -> Iterator[str]:
    from awda.cases.models import Attachment

    for pks in pk_batches(Attachment, batch_size):
        yield from Attachment.objects.filter(pk__in=pks).values_list("stored_as", flat=True)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field and attachment file under the first key of "
        "AWDA_ENCRYPTION_KEYS. Put a new key first, restart Awda, run this, then remove "
        "the old key. --dry-run counts what is not yet under the first key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count, write nothing (no audit entry)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from awda.cases.services import attachment_folder

        dry_run: bool = options["dry_run"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.monotonic()
        summary: dict[str, int] = {}
        unreadable = 0
        total = Counts()
        for model, fields in encrypted_columns():
            counts = rotate_model(model, fields, batch_size=batch_size, dry_run=dry_run)
            for name, field_counts in counts.items():
                self.stdout.write(f"{model._meta.label}.{name}: {field_counts.line(dry_run)}")
                summary[f"{model._meta.label_lower}.{name}"] = field_counts.rotated
                unreadable += field_counts.unreadable
                total.rotated += field_counts.rotated
        files = rotate_files(attachment_folder(), attachment_names(batch_size), dry_run=dry_run)
        self.stdout.write(f"attachment files: {files.line(dry_run, empty='missing')}")
        unreadable += files.unreadable
        seconds = time.monotonic() - started
        if dry_run:
            self.stdout.write(
                f"Dry run: {total.rotated} values and {files.rotated} files are not under "
                f"the first key; nothing was written ({seconds:.1f} s)."
            )
        else:
            audit_record(
                actor=None,
                action=Action.UPDATE,
                details={
                    "rotate_keys": summary,
                    "files": files.rotated,
                    "files_missing": files.empty,
                    "unreadable": unreadable,
                },
            )
            self.stdout.write(
                f"{total.rotated} values and {files.rotated} files re-encrypted under the "
                f"first key ({seconds:.1f} s)."
            )
        if unreadable:
            raise CommandError(
                f"{unreadable} values or files could not be opened by any key: keep every "
                "key until they are found (they are named above by model and field)."
            )
