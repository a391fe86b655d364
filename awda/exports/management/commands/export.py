"""`awda export persons --org SLUG --output FILE.csv [--format csv|xlsx]
[--encrypt --password-file F]` and `awda export aggregate --output FILE.csv [--by ...]`.

The person-level file has the columns of awda/imports/columns.py, which `awda import`
reads back as is. Both are recorded in the audit trail (no user: the command's operator
is named in the entry)."""

from __future__ import annotations

import contextlib
import getpass
import os
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from awda.accounts.models import Organisation
from awda.exports import aggregates, services


def operator() -> str:
    """Who runs the command, for the audit trail (a command has no logged-in user)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _open_private(path: Path) -> IO[bytes]:
    """The output file, readable by its owner only: it may hold personal data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def _password(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read the password file {path}: {error}") from error
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if len(password) < services.MIN_PASSWORD:
        raise CommandError(
            f"the password (first line of {path}) must have at least "
            f"{services.MIN_PASSWORD} characters"
        )
    return password


def _messages(error: ValidationError) -> str:
    return "; ".join(m for messages in error.message_dict.values() for m in messages)


class Command(BaseCommand):
    help = (
        "Exports: `persons` writes the organisation's person-level list (the columns "
        "`awda import` reads), `aggregate` the HXL-tagged counts of the whole programme. "
        "Recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{persons,aggregate}")
        persons = kinds.add_parser("persons", help="the person-level list of one organisation")
        persons.add_argument("--org", required=True, help="the organisation's short name")
        persons.add_argument("--output", required=True, help="the file to write")
        persons.add_argument("--format", choices=services.FORMATS, default="csv")
        persons.add_argument(
            "--encrypt",
            action="store_true",
            help="write an AES-256 encrypted ZIP archive holding the file",
        )
        persons.add_argument(
            "--password-file", help="with --encrypt: the password is this file's first line"
        )
        persons.add_argument(
            "--include-withdrawn-consent",
            action="store_true",
            help="include people whose registration consent was withdrawn (needs --reason)",
        )
        persons.add_argument("--reason", default="", help="why (with --include-withdrawn-consent)")
        aggregate = kinds.add_parser("aggregate", help="HXL-tagged counts of the programme")
        aggregate.add_argument("--output", required=True, help="the file to write")
        aggregate.add_argument("--by", choices=list(aggregates.DIMENSIONS), default="origin")
        aggregate.add_argument("--format", choices=services.FORMATS, default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "persons":
            self._persons(**options)
        else:
            self._aggregate(**options)

    def _persons(self, **options: Any) -> None:
        slug = options["org"]
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(
                f"unknown organisation {slug!r}: no organisation has this short name"
            )
        if options["password_file"] and not options["encrypt"]:
            raise CommandError("--password-file goes with --encrypt")
        if options["encrypt"] and not options["password_file"]:
            raise CommandError("--encrypt needs --password-file (the password's file)")
        password = _password(options["password_file"]) if options["encrypt"] else ""
        try:
            export = services.persons_export(
                by=None,
                organisation=organisation,
                fmt=options["format"],
                channel="command",
                encrypted=options["encrypt"],
                include_withdrawn=options["include_withdrawn_consent"],
                override_reason=options["reason"],
                operator=operator(),
            )
        except ValidationError as error:
            raise CommandError(_messages(error)) from error
        path = Path(options["output"])
        self._write(
            path,
            (lambda file: export.write_encrypted(file, password))
            if options["encrypt"]
            else export.write,
        )
        left_out = len(export.selection.left_out)
        note = (
            f"; {left_out} left out (registration consent withdrawn; "
            "--include-withdrawn-consent with --reason to include them)"
            if left_out
            else ""
        )
        self.stdout.write(
            f"{export.rows} people written to {path}{note}. Personal data: keep it safe."
        )

    def _aggregate(self, **options: Any) -> None:
        table = services.aggregate_export(
            by=None,
            dimension=options["by"],
            fmt=options["format"],
            channel="command",
            operator=operator(),
        )
        path = Path(options["output"])
        self._write(
            path, lambda file: services.write_table(file, table, options["format"], bom=False)
        )
        self.stdout.write(f"{len(table.rows)} rows written to {path}.")

    def _write(self, path: Path, write: Any) -> None:
        try:
            file = _open_private(path)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error}") from error
        try:
            with file:
                write(file)
        except BaseException as error:
            # No half-written file is left behind.
            with contextlib.suppress(OSError):
                path.unlink()
            if isinstance(error, OSError):
                raise CommandError(f"cannot write {path}: {error}") from error
            raise
