"""Encrypted, integrity-checked backups of the whole instance, and their restore.

The archive is one file:

    AWDA-BACKUP 1 <key id> <archive id>\n      in the clear: format, and which key opens it
    part, part, …                            each a 4-byte big-endian length and a Fernet
                                             token (its bytes, not their base64)

Each part decrypts to `<archive id> <part number> <member>\n` followed by up to 4 MiB of
the member's bytes (zlib-compressed for tables and the manifest). A member is a run of
consecutive parts: `db/<app.model>.jsonl` for each table (one JSON array of column values
per row, in primary-key order, tables after those they point to),
`files/attachments/<name>` for each attached file (copied as stored: already encrypted
under AWDA_ENCRYPTION_KEYS), and last `manifest.json` (format and Awda versions, time,
migrations, per table its columns, row count and the SHA-256 of its rows, the audit
chain's length and head hash, and the size and SHA-256 of every member). Nothing may
follow it.

Encrypted model fields (awda.common.fields) are carried as the tokens the database holds:
the archive never holds their clear text, and the restore writes the tokens back as they
were, so the database comes back byte for byte. The field keys therefore travel apart: a
restore needs the AWDA_ENCRYPTION_KEYS that opened them (it checks that they open every
token and file before committing).

Integrity: Fernet's HMAC authenticates each part; the part's header binds it to its place
in this archive (reordering, splicing in a part of another archive or dropping one is
seen); the manifest's SHA-256s cover every member, and the manifest comes last, so a
truncated archive has none.

Restore reads the archive twice. The first pass checks everything and writes nothing; the
second loads it in one transaction, checks the counts, the SHA-256 of every table as read
back from the database, the keys and the audit chain, and only then moves the files into
place and commits.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import importlib.metadata
import json
import os
import re
import secrets
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.duration import duration_iso_string

from awda.audit.models import Action
from awda.audit.selectors import audit_verify
from awda.audit.services import audit_record
from awda.common import crypto
from awda.common import fields as encrypted_fields

FORMAT = "awda-backup"
FORMAT_VERSION = 1
MAGIC = b"AWDA-BACKUP"
MANIFEST = "manifest.json"
CHUNK = 4 * 1024 * 1024
# A part of CHUNK bytes is a token of a little more; a length beyond this is damage.
MAX_TOKEN = 64 * 1024 * 1024
ATTACHMENTS = "attachments"
# Tables left out: content types and permissions are made by `migrate` (with other primary
# keys: references to them travel by natural key); sessions and django-axes' login
# counters are passing state (nobody stays logged in across a restore). Everything else,
# Awda's tables and those of the libraries it installs (two-factor devices), is backed up.
NOT_BACKED_UP = ("contenttypes.contenttype", "auth.permission", "sessions.session")
NOT_BACKED_UP_APPS = ("axes",)
# Reference data that `migrate`, `load_places` and `load_centres` write into a fresh
# instance: a restore replaces it with the archive's. Any other row makes the target "not
# empty". (A test checks that a freshly migrated database holds nothing else.)
REFERENCE_DATA = (
    "places.place",
    "cases.formdefinition",
    "cases.formversion",
    "returns.checklistitem",
    "reintegration.surveyinstrument",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (never with data)."""


# --- keys --------------------------------------------------------------------------------


def _backup_keys() -> list[tuple[str, Fernet]]:
    """(key id, cipher) for AWDA_BACKUP_KEYS, else AWDA_ENCRYPTION_KEYS, else (demo and
    DEBUG only) a key derived from SECRET_KEY. The first encrypts; all decrypt."""
    keys = list(settings.BACKUP_KEYS) or list(settings.ENCRYPTION_KEYS)
    source = "AWDA_BACKUP_KEYS" if settings.BACKUP_KEYS else "AWDA_ENCRYPTION_KEYS"
    if not keys:
        if not (settings.DEBUG or settings.DEMO):
            raise ImproperlyConfigured("AWDA_BACKUP_KEYS (or AWDA_ENCRYPTION_KEYS) must be set.")
        derived = hashlib.sha256(b"awda-demo-backups:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    found = []
    for number, key in enumerate(keys, start=1):
        try:
            cipher = Fernet(key.encode())
        except ValueError:
            raise BackupError(f"{source}: key number {number} is not a Fernet key.") from None
        key_id = hashlib.sha256(b"awda-backup-key:" + key.encode()).hexdigest()[:16]
        found.append((key_id, cipher))
    return found


# --- what is backed up -------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """Every table but those in NOT_BACKED_UP (many-to-many tables included), in
    dependency order: a table comes after those it points to."""
    chosen = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in NOT_BACKED_UP_APPS
        and model._meta.label_lower not in NOT_BACKED_UP
    ]
    return _in_dependency_order(chosen)


def _in_dependency_order(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    members = set(chosen)
    needs = {
        model: {
            field.related_model
            for field in model._meta.local_concrete_fields
            if field.is_relation and field.related_model in members and field.related_model != model
        }
        for model in chosen
    }
    ordered: list[type[models.Model]] = []
    done: set[Any] = set()
    remaining = sorted(chosen, key=lambda m: m._meta.label_lower)
    while remaining:
        ready = [model for model in remaining if needs[model] <= done] or remaining[:1]
        # (a cycle is broken anywhere: foreign keys are checked at commit, not per row)
        ordered.extend(ready)
        done.update(ready)
        remaining = [model for model in remaining if model not in done]
    return ordered


def _is_encrypted(model_field: models.Field[Any, Any]) -> bool:
    return type(model_field).__module__ == encrypted_fields.__name__


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.local_concrete_fields)


def _related(model_field: models.Field[Any, Any]) -> type[models.Model]:
    related = model_field.related_model
    if related is None or isinstance(related, str):
        raise TypeError(f"{model_field} points to no model")
    return related


def _by_natural_key(model_field: models.Field[Any, Any], chosen: set[str]) -> bool:
    """A reference to a table outside the backup (a permission): kept by natural key."""
    related = model_field.related_model
    return bool(
        model_field.is_relation
        and related is not None
        and not isinstance(related, str)
        and related._meta.label_lower not in chosen
    )


def _applied_migrations(labels: Iterable[str]) -> dict[str, list[str]]:
    wanted = {label.split(".")[0] for label in labels}
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        if app_label in wanted:
            applied.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


# --- rows as JSON lines ------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # microseconds kept: the audit chain hashes them
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _lines(model: type[models.Model], chosen: set[str]) -> Iterator[tuple[bytes, bytes]]:
    """The table's rows, one JSON array per line, in primary-key order; encrypted fields
    as the tokens stored, references outside the backup by natural key. Each comes twice:
    as stored (JSON values keep their keys' order) and canonical (keys sorted), whose
    SHA-256 does not depend on how a database orders a JSON object's keys."""
    columns = _columns(model)
    has_json = any(isinstance(c, models.JSONField) and not _is_encrypted(c) for c in columns)
    natural: dict[int, dict[Any, list[Any]]] = {}
    selected: list[Any] = []
    for index, column in enumerate(columns):
        if _is_encrypted(column):
            selected.append(Cast(column.attname, output_field=models.TextField()))
        else:
            selected.append(column.attname)
        if _by_natural_key(column, chosen):
            related = _related(column)
            natural[index] = {
                obj.pk: list(obj.natural_key())  # type: ignore[attr-defined]
                for obj in related._base_manager.all()
            }
    rows = model._base_manager.order_by("pk").values_list(*selected).iterator(chunk_size=2000)
    for row in rows:
        values = [_encode(value) for value in row]
        for index, keys in natural.items():
            if values[index] is not None:
                values[index] = keys[values[index]]
        line = _dump(values, canonical=False)
        yield line, (_dump(values, canonical=True) if has_json else line)


def _dump(values: list[Any], *, canonical: bool) -> bytes:
    text = json.dumps(values, ensure_ascii=False, sort_keys=canonical, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def _decoder(model_field: models.Field[Any, Any], chosen: set[str]) -> Callable[[Any], Any]:
    """How a JSON value of this column becomes what the insert writes."""
    if _is_encrypted(model_field):
        # The token goes in as it is: an expression is not passed through the field's
        # encryption again.
        return lambda v: Value(v, output_field=models.TextField()) if v else v
    if isinstance(model_field, models.JSONField):
        return lambda v: v
    if _by_natural_key(model_field, chosen):
        related = _related(model_field)
        ids = {
            tuple(obj.natural_key()): obj.pk  # type: ignore[attr-defined]
            for obj in related._base_manager.all()
        }

        def by_key(v: Any) -> Any:
            if v is None:
                return None
            try:
                return ids[tuple(v)]
            except KeyError:
                raise BackupError(
                    f"{related._meta.label} {'.'.join(map(str, v))} does not exist here."
                ) from None

        return by_key
    return lambda v: None if v is None else model_field.to_python(v)


# --- the archive -------------------------------------------------------------------------


@dataclass
class _Member:
    name: str
    sha256: str
    bytes: int


def _compressed(member: str) -> bool:
    """Tables and the manifest are compressed; attached files are encrypted already."""
    return member.startswith("db/") or member == MANIFEST


class _Writer:
    def __init__(self, out: IO[bytes], cipher: Fernet, archive_id: str) -> None:
        self.out, self.cipher, self.archive_id = out, cipher, archive_id
        self.frames = 0
        self.members: list[_Member] = []

    def _frame(self, name: str, data: bytes) -> None:
        header = f"{self.archive_id} {self.frames} {name}\n".encode()
        if _compressed(name):
            data = zlib.compress(data, 6)
        token = base64.urlsafe_b64decode(self.cipher.encrypt(header + data))
        self.out.write(len(token).to_bytes(4, "big"))
        self.out.write(token)
        self.frames += 1

    def member(self, name: str, pieces: Iterable[bytes]) -> _Member:
        """Write the member in frames of at most CHUNK bytes (at least one frame)."""
        digest, size, buffer, wrote = hashlib.sha256(), 0, bytearray(), False
        for piece in pieces:
            digest.update(piece)
            size += len(piece)
            buffer += piece
            while len(buffer) >= CHUNK:
                self._frame(name, bytes(buffer[:CHUNK]))
                del buffer[:CHUNK]
                wrote = True
        if buffer or not wrote:
            self._frame(name, bytes(buffer))
        member = _Member(name, digest.hexdigest(), size)
        self.members.append(member)
        return member

    def manifest(self, manifest: dict[str, Any]) -> None:
        manifest["members"] = [vars(m) for m in self.members]
        manifest["frames"] = self.frames
        self._frame(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())


class _Reader:
    """The frames of an archive, each checked: it opens with the key, belongs to this
    archive, comes in its place; the manifest is last and nothing follows it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        line = stream.readline(200)
        parts = line.rstrip(b"\n").split(b" ")
        if not line.endswith(b"\n") or len(parts) != 4 or parts[0] != MAGIC:
            raise BackupError("This file is not an Awda backup (or its first line was altered).")
        if parts[1] != str(FORMAT_VERSION).encode():
            raise BackupError(
                f"This backup has format {parts[1].decode(errors='replace')}; this Awda "
                f"reads format {FORMAT_VERSION}."
            )
        key_id, self.archive_id = (
            parts[2].decode(errors="replace"),
            parts[3].decode("ascii", "replace"),
        )
        ciphers = dict(_backup_keys())
        if key_id not in ciphers:
            raise BackupError(
                f"No key in AWDA_BACKUP_KEYS opens this backup: it was made with key id "
                f"{key_id} (or its first line was altered)."
            )
        self.cipher = ciphers[key_id]
        self.key_id = key_id

    def frames(self) -> Iterator[tuple[str, bytes]]:
        index = 0
        while True:
            prefix = self.stream.read(4)
            if not prefix:
                raise BackupError("The backup is truncated: it ends before its manifest.")
            length = int.from_bytes(prefix, "big")
            if len(prefix) < 4 or length > MAX_TOKEN:
                raise BackupError(f"The backup is damaged at part {index}.")
            token = self.stream.read(length)
            if len(token) < length:
                raise BackupError(f"The backup is truncated: part {index} is incomplete.")
            try:
                plain = self.cipher.decrypt(base64.urlsafe_b64encode(token))
            except InvalidToken:
                raise BackupError(
                    f"The backup was altered: part {index} does not match its signature."
                ) from None
            header, _newline, data = plain.partition(b"\n")
            fields_ = header.decode("utf-8", "replace").split(" ", 2)
            if len(fields_) != 3 or fields_[0] != self.archive_id or fields_[1] != str(index):
                raise BackupError(f"The backup was altered: part {index} is out of place.")
            if _compressed(fields_[2]):
                data = zlib.decompress(data)  # signed above: made by a backup, not a stranger
            yield fields_[2], data
            if fields_[2] == MANIFEST:
                if self.stream.read(1):
                    raise BackupError("The backup was altered: something follows its manifest.")
                return
            index += 1


# --- backup ------------------------------------------------------------------------------


@dataclass
class BackupSummary:
    path: Path
    archive_id: str
    key_id: str
    size: int
    seconds: float
    counts: dict[str, int]
    files: int
    missing_files: list[str]
    audit_entries: int
    audit_head: str
    audit_broken_at: int | None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the database for the whole backup that does not hold the
    application's writers back: a REPEATABLE READ transaction on PostgreSQL; on SQLite a
    plain read transaction (in WAL mode it keeps its view while others write; Django's own
    would take the write lock and stall every page for as long as the backup runs)."""
    if connection.in_atomic_block:  # inside a caller's transaction, its view is the snapshot
        yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _attachment_folder() -> Path:
    return Path(settings.VAR_DIR) / ATTACHMENTS


def _attachment_names() -> list[str]:
    from awda.cases.models import Attachment

    return list(Attachment.objects.order_by("pk").values_list("stored_as", flat=True))


def _file_pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while piece := stream.read(CHUNK):
            yield piece


def _awda_version() -> str:
    try:
        return importlib.metadata.version("awda")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Table:
    """One table on its way into the archive: counts its rows and digests their
    canonical form as they pass."""

    def __init__(self, model: type[models.Model], chosen: set[str]) -> None:
        self.model, self.chosen = model, chosen
        self.count = 0
        self.canonical = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for line, canonical in _lines(self.model, self.chosen):
            self.count += 1
            self.canonical.update(canonical)
            yield line


def backup_write(output: Path, *, force: bool = False) -> BackupSummary:
    """Write the archive to `output` (through a temporary file beside it, renamed when
    complete), then record the backup in the audit trail."""
    started = time.monotonic()
    output = output.absolute()
    if output.is_dir():
        raise BackupError(f"{output} is a folder: name the file to write.")
    if output.exists() and not force:
        raise BackupError(f"{output} exists; give --force to replace it.")
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a folder.")
    key_id, cipher = _backup_keys()[0]
    archive_id = secrets.token_hex(16)
    descriptor, temporary = tempfile.mkstemp(dir=output.parent, prefix=".awda-backup-")
    counts: dict[str, int] = {}
    files: list[str] = []
    missing: list[str] = []
    try:
        with os.fdopen(descriptor, "wb") as out, _snapshot():
            out.write(
                b"%s %d %s %s\n" % (MAGIC, FORMAT_VERSION, key_id.encode(), archive_id.encode())
            )
            writer = _Writer(out, cipher, archive_id)
            chosen_models = backed_up_models()
            chosen = {model._meta.label_lower for model in chosen_models}
            tables = []
            for model in chosen_models:
                label = model._meta.label_lower
                table = _Table(model, chosen)
                member = writer.member(f"db/{label}.jsonl", table)
                counts[label] = table.count
                columns = _columns(model)
                tables.append(
                    {
                        "model": label,
                        "member": member.name,
                        "rows": table.count,
                        "sha256": table.canonical.hexdigest(),
                        "columns": [c.attname for c in columns],
                        "encrypted": [c.attname for c in columns if _is_encrypted(c)],
                        "natural_keys": [c.attname for c in columns if _by_natural_key(c, chosen)],
                    }
                )
            for name in _attachment_names():
                path = _attachment_folder() / name
                if not _SAFE_NAME.match(name) or not path.is_file():
                    missing.append(name)
                    continue
                files.append(writer.member(f"files/{ATTACHMENTS}/{name}", _file_pieces(path)).name)
            chain = audit_verify()
            writer.manifest(
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "awda_version": _awda_version(),
                    "created_at": timezone.now().isoformat(),
                    "archive_id": archive_id,
                    "database": connection.vendor,
                    "migrations": _applied_migrations(chosen),
                    "tables": tables,
                    "files": files,
                    "missing_files": missing,
                    "audit": {
                        "entries": chain.entries,
                        "head_hash": chain.head_hash,
                        "broken_at": chain.broken_at,
                    },
                }
            )
            out.flush()
            os.fsync(out.fileno())
        if output.exists() and not force:
            raise BackupError(f"{output} appeared while the backup ran; it was left alone.")
        os.replace(temporary, output)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"Cannot write {output}: {exc.strerror}.") from exc
        raise
    audit_record(
        actor=None,
        action=Action.EXPORT,
        details={
            "backup": archive_id,
            "rows": sum(counts.values()),
            "files": len(files),
            "missing_files": len(missing),
        },
    )
    return BackupSummary(
        path=output,
        archive_id=archive_id,
        key_id=key_id,
        size=output.stat().st_size,
        seconds=time.monotonic() - started,
        counts=counts,
        files=len(files),
        missing_files=missing,
        audit_entries=chain.entries,
        audit_head=chain.head_hash,
        audit_broken_at=chain.broken_at,
    )


# --- restore -----------------------------------------------------------------------------


@dataclass
class RestoreSummary:
    archive_id: str
    key_id: str
    created_at: str
    awda_version: str
    counts: dict[str, int]
    files: int
    missing_files: list[str]
    audit_entries: int
    audit_head: str
    audit_broken_at: int | None
    seconds: float = 0.0
    reference_rows_replaced: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _summary(manifest: dict[str, Any], **extra: Any) -> RestoreSummary:
    return RestoreSummary(
        archive_id=manifest["archive_id"],
        key_id=manifest["key_id"],
        created_at=manifest["created_at"],
        awda_version=manifest["awda_version"],
        counts={table["model"]: table["rows"] for table in manifest["tables"]},
        files=len(manifest["files"]),
        missing_files=list(manifest["missing_files"]),
        audit_entries=manifest["audit"]["entries"],
        audit_head=manifest["audit"]["head_hash"],
        audit_broken_at=manifest["audit"]["broken_at"],
        **extra,
    )


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from None


def _verify(path: Path) -> dict[str, Any]:
    """The first pass: the key, every frame, the members against the manifest. Writes
    nothing."""
    with _open(path) as stream:
        reader = _Reader(stream)
        order: list[str] = []
        digests: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        manifest: Any = None
        for name, data in reader.frames():
            if name == MANIFEST:
                try:
                    manifest = json.loads(data)
                except ValueError:
                    raise BackupError("The backup's manifest cannot be read.") from None
                continue
            if not order or order[-1] != name:
                if name in digests:
                    raise BackupError(f"The backup was altered: {name} appears twice.")
                order.append(name)
                digests[name], sizes[name] = hashlib.sha256(), 0
            digests[name].update(data)
            sizes[name] += len(data)
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("archive_id") != reader.archive_id
    ):
        raise BackupError("The backup's manifest does not belong to it.")
    listed = manifest.get("members", [])
    if [member["name"] for member in listed] != order:
        raise BackupError("The backup was altered: its parts are not those its manifest lists.")
    for member in listed:
        if (digests[member["name"]].hexdigest(), sizes[member["name"]]) != (
            member["sha256"],
            member["bytes"],
        ):
            raise BackupError(
                f"The backup was altered: {member['name']} does not match its SHA-256."
            )
    for name in manifest["files"]:
        _member_file(name)
    manifest["key_id"] = reader.key_id
    return manifest


def restore_check(path: Path) -> RestoreSummary:
    """Check the archive only: its key, every part, every member's SHA-256."""
    return _summary(_verify(path))


def _member_file(member: str) -> str:
    """The attached file's name; only plain names under attachments/ are restored."""
    parts = member.split("/")
    if len(parts) != 3 or parts[:2] != ["files", ATTACHMENTS] or not _SAFE_NAME.match(parts[2]):
        raise BackupError(f"The backup names a file Awda does not restore: {member}.")
    return parts[2]


def _check_target(manifest: dict[str, Any], chosen_models: list[type[models.Model]]) -> None:
    """The target runs the same migrations, has the same tables, holds nothing but
    reference data, and has none of the backup's attached files."""
    here = {model._meta.label_lower: model for model in chosen_models}
    there = {table["model"]: table for table in manifest["tables"]}
    if _applied_migrations(here) != manifest["migrations"]:
        raise BackupError(
            f"This backup was made by Awda {manifest['awda_version']} at other database "
            "migrations than this database's: restore it with that version of Awda (and "
            "upgrade afterwards), or run `awda migrate` here first if this one is behind."
        )
    if set(here) != set(there) or any(
        [c.attname for c in _columns(model)] != there[label]["columns"]
        for label, model in here.items()
    ):
        raise BackupError("This backup's tables do not match this database's.")
    occupied = [
        f"{label}: {model._base_manager.count()}"
        for label, model in here.items()
        if label not in REFERENCE_DATA and model._base_manager.exists()
    ]
    if occupied:
        more = ", …" if len(occupied) > 5 else ""
        raise BackupError(
            f"The database is not empty (rows in {', '.join(occupied[:5])}{more}): restore "
            "only into a freshly migrated database. Nothing was restored."
        )
    folder = _attachment_folder()
    for member in manifest["files"]:
        if (folder / _member_file(member)).exists():
            raise BackupError(
                f"A file of the backup already exists here ({member.split('/', 1)[1]}): "
                "restore only into an empty instance. Nothing was restored."
            )


class _TableLoader:
    """Rows of one table from JSON lines, inserted in batches exactly as they were
    stored."""

    def __init__(self, model: type[models.Model], chosen: set[str]) -> None:
        self.model = model
        self.columns = _columns(model)
        self.decoders = [_decoder(column, chosen) for column in self.columns]
        self.attnames = [column.attname for column in self.columns]
        self.pending: list[models.Model] = []
        self.rest = b""
        fitting = connection.ops.bulk_batch_size(self.columns, [None] * 500)
        self.batch = max(1, min(500, fitting))

    def feed(self, data: bytes) -> None:
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        for line in lines:
            values = json.loads(line)
            if len(values) != len(self.columns):
                raise BackupError(f"{self.model._meta.label}: a row has other columns.")
            decoded = zip(self.attnames, self.decoders, values, strict=True)
            self.pending.append(self.model(**{name: decode(v) for name, decode, v in decoded}))
            if len(self.pending) >= self.batch:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            # raw: stored values as they are (auto_now and the like do not stamp them anew)
            self.model._base_manager._insert(  # type: ignore[attr-defined]
                self.pending, fields=self.columns, raw=True, using=connection.alias
            )
            self.pending = []

    def close(self) -> None:
        if self.rest:
            raise BackupError(f"{self.model._meta.label}: the last row is incomplete.")
        self.flush()


class _Staged:
    """An attached file written under a temporary name, moved into place at the end."""

    def __init__(self, folder: Path, name: str, archive_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.final = folder / name
        self.temporary = folder / f".restore-{archive_id}-{name}"
        self.stream: IO[bytes] | None = self.temporary.open("wb")
        self.placed = False

    def write(self, data: bytes) -> None:
        if self.stream is not None:
            self.stream.write(data)

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def place(self) -> None:
        os.replace(self.temporary, self.final)
        self.placed = True

    def remove(self) -> None:
        self.close()
        self.temporary.unlink(missing_ok=True)
        if self.placed:
            self.final.unlink(missing_ok=True)


def _table_digest(model: type[models.Model], chosen: set[str]) -> tuple[str, int]:
    digest, count = hashlib.sha256(), 0
    for _line, canonical in _lines(model, chosen):
        digest.update(canonical)
        count += 1
    return digest.hexdigest(), count


def _check_keys(chosen_models: list[type[models.Model]], files: list[Path]) -> None:
    """Every encrypted value and attached file opens with AWDA_ENCRYPTION_KEYS: a restore
    that left them unreadable would be a loss, not a restore."""
    advice = (
        "Set the keys of the instance that made the backup (they travel apart from it) "
        "and restore again. Nothing was restored."
    )
    for model in chosen_models:
        for column in _columns(model):
            if not _is_encrypted(column):
                continue
            raw = Cast(column.attname, output_field=models.TextField())
            tokens = model._base_manager.order_by("pk").values_list(raw, flat=True)
            for token in tokens.iterator(chunk_size=2000):
                if not token:
                    continue
                try:
                    crypto.decrypt(token.encode("ascii"))
                except (InvalidToken, UnicodeEncodeError):
                    raise BackupError(
                        f"{model._meta.label}.{column.name}: AWDA_ENCRYPTION_KEYS here do "
                        f"not open the backup's encrypted values. {advice}"
                    ) from None
    for path in files:
        try:
            crypto.decrypt(path.read_bytes())
        except InvalidToken:
            raise BackupError(
                f"AWDA_ENCRYPTION_KEYS here do not open the backup's attached files. {advice}"
            ) from None


def restore(path: Path) -> RestoreSummary:
    """Load the archive into this empty instance: all of it, or nothing."""
    started = time.monotonic()
    manifest = _verify(path)
    chosen_models = backed_up_models()
    _check_target(manifest, chosen_models)
    by_label = {model._meta.label_lower: model for model in chosen_models}
    chosen = set(by_label)
    tables = {table["member"]: table for table in manifest["tables"]}
    members = {member["name"]: member for member in manifest["members"]}
    staged: list[_Staged] = []
    replaced = 0
    try:
        with _open(path) as stream, transaction.atomic(durable=True):
            _check_target(manifest, chosen_models)  # again, now that nobody else writes
            replaced = _clear_reference_data(chosen_models)
            reader = _Reader(stream)
            if reader.archive_id != manifest["archive_id"]:
                raise BackupError("The backup changed while it was being restored.")
            current, digest = "", hashlib.sha256()
            sink: _TableLoader | _Staged | None = None
            for name, data in reader.frames():
                if name != current:
                    if sink is not None:
                        sink.close()
                        if digest.hexdigest() != members[current]["sha256"]:
                            raise BackupError("The backup changed while it was being restored.")
                    if name == MANIFEST:
                        break
                    if name not in members:
                        raise BackupError("The backup changed while it was being restored.")
                    current, digest = name, hashlib.sha256()
                    if name in tables:
                        sink = _TableLoader(by_label[tables[name]["model"]], chosen)
                    else:
                        sink = _Staged(_attachment_folder(), _member_file(name), reader.archive_id)
                        staged.append(sink)
                digest.update(data)
                if isinstance(sink, _TableLoader):
                    sink.feed(data)
                elif sink is not None:
                    sink.write(data)
            _check_loaded(manifest, chosen_models, chosen)
            _check_keys(chosen_models, [file.temporary for file in staged])
            for file in staged:
                file.place()
            audit_record(
                actor=None,
                action=Action.IMPORT,
                details={
                    "restore": manifest["archive_id"],
                    "rows": sum(table["rows"] for table in manifest["tables"]),
                    "files": len(staged),
                },
            )
    except BaseException as exc:
        for file in staged:
            file.remove()
        if isinstance(exc, OSError):
            raise BackupError(f"{exc.strerror} ({exc.filename}). Nothing was restored.") from exc
        if isinstance(exc, DatabaseError):
            # (its message may quote the rows' values: not repeated here)
            raise BackupError(
                f"The database refused the backup's rows ({type(exc).__name__}). Nothing "
                "was restored."
            ) from exc
        raise
    return _summary(manifest, seconds=time.monotonic() - started, reference_rows_replaced=replaced)


def _clear_reference_data(chosen_models: list[type[models.Model]]) -> int:
    """Empty the reference tables a fresh instance fills itself (children first); the
    archive brings its own. The number of rows removed."""
    removed = 0
    with connection.cursor() as cursor:
        for model in reversed(chosen_models):
            if model._meta.label_lower in REFERENCE_DATA:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a quoted table name)
                removed += max(cursor.rowcount, 0)
    return removed


def _check_loaded(
    manifest: dict[str, Any], chosen_models: list[type[models.Model]], chosen: set[str]
) -> None:
    """Before committing: references hold, sequences continue after the restored rows,
    every table reads back as the backup holds it, and so does the audit chain."""
    connection.check_constraints(table_names=[model._meta.db_table for model in chosen_models])
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), chosen_models):
            cursor.execute(statement)
    by_label = {model._meta.label_lower: model for model in chosen_models}
    for table in manifest["tables"]:
        sha256, count = _table_digest(by_label[table["model"]], chosen)
        if count != table["rows"]:
            raise BackupError(
                f"{table['model']}: {count} rows restored where the backup holds "
                f"{table['rows']}. Nothing was restored."
            )
        if sha256 != table["sha256"]:
            raise BackupError(
                f"{table['model']}: the restored rows differ from the backup's. "
                "Nothing was restored."
            )
    chain = audit_verify()
    recorded = manifest["audit"]
    if (chain.entries, chain.head_hash, chain.broken_at) != (
        recorded["entries"],
        recorded["head_hash"],
        recorded["broken_at"],
    ):
        raise BackupError(
            "The restored audit trail does not verify as the backup's did. Nothing was restored."
        )
