"""`awda import FILE [--dry-run]`: the import page's check and commit from the command line."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from awda.accounts.models import Organisation, User
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.imports import services
from awda.imports.models import ImportBatch, ImportTemplate


class Command(BaseCommand):
    help = (
        "Check a registration list (XLSX, CSV), a Kobo export (JSON with --form, labelled "
        "XLSX) or an ODK Central CSV zip, and import it. --dry-run prints one line per "
        "problem ('row N: ...', the header being row 1) and exits 1 if there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="import the households without problems and leave the others out",
        )
        parser.add_argument("--org", help="the organisation the records belong to (its slug)")
        parser.add_argument("--user", help="the user importing (recorded in the audit trail)")
        parser.add_argument("--template", help="a saved column mapping, by name")
        parser.add_argument("--form", type=Path, help="the form's XLSForm, for a Kobo JSON export")
        parser.add_argument("--encoding", default="", help="a CSV's encoding if not UTF-8 (cp1256)")
        parser.add_argument(
            "--kind", default="", help="registration, survey, screening, assessment"
        )
        parser.add_argument("--rollback", type=int, metavar="BATCH", help="undo a committed import")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        try:
            code = self._handle(**options)
        except BrokenPipeError:  # `awda import FILE --dry-run | head`: the reader went away
            sys.stderr.close()
            code = 1
        if code:
            sys.exit(code)

    def _organisation(self, slug: str | None, user: User | None) -> Organisation | None:
        if slug:
            found = Organisation.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"no organisation {slug!r}")
            return found
        if user is not None:
            return user.organisation
        only = list(Organisation.objects.all()[:2])
        return only[0] if len(only) == 1 else None

    def _handle(self, **options: Any) -> int:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        organisation = self._organisation(options["org"], user)
        if options["rollback"]:
            batch = ImportBatch.objects.filter(pk=options["rollback"]).first()
            if batch is None:
                raise CommandError(f"no import #{options['rollback']}")
            try:
                services.batch_rollback(by=user, batch=batch)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stderr.write(f"import #{batch.pk} undone")
            return 0
        path: Path | None = options["file"]
        if path is None:
            raise CommandError("give the file to import")
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        mapping = None
        if options["template"]:
            template = ImportTemplate.objects.filter(name=options["template"])
            if organisation is not None:
                template = template.filter(organisation=organisation)
            found = template.first()
            if found is None:
                raise CommandError(f"no column mapping named {options['template']!r}")
            mapping = found.mapping
        started = time.perf_counter()
        source, kind, used, checked = services.check_file(
            path,
            by=user,
            organisation=organisation,
            file_name=path.name,
            form=options["form"],
            encoding=options["encoding"],
            kind_code=options["kind"],
            mapping=mapping,
            progress=lambda percent, message: (
                self.stderr.write(f"  {percent:3d}% {message}")
                if options["verbosity"] >= 2
                else None
            ),
        )
        problems = services.all_problems(checked)
        for problem in problems:
            self.stdout.write(problem.line())
        summary = checked.summary
        self.stderr.write(
            f"{summary.get('rows', 0)} rows, {summary.get('households', 0)} households, "
            f"{summary.get('people', 0)} people; {summary.get('already', 0)} households and "
            f"{summary.get('already_submissions', 0)} submissions imported before; "
            f"{len(problems)} problems; checked in {time.perf_counter() - started:.1f} s"
        )
        if options["dry_run"]:
            return 1 if problems else 0
        if source is None or kind is None:
            return 1
        if organisation is None:
            raise CommandError("say which organisation the records belong to: --org SLUG")
        if problems and not options["skip_bad_rows"]:
            self.stderr.write(
                "nothing imported: correct the problems, or import the rest with --skip-bad-rows"
            )
            return 1
        pending = [i for i in checked.items if not i.data.get("already")]
        if not pending:
            self.stderr.write("nothing to import: everything in the file was imported before")
            return 0
        content = path.read_bytes()
        try:
            with transaction.atomic():
                batch = ImportBatch.objects.create(
                    organisation=organisation,
                    created_by=user,
                    channel="command",
                    file_name=path.name[:200],
                    file_sha256=hashlib.sha256(content).hexdigest(),
                    file_kind=source.kind,
                    form_id=source.form_id[:120],
                    kind=kind.code,
                    headers=source.headers,
                    mapping=used,
                    status=ImportBatch.Status.COMMITTING,
                    rows=int(summary.get("rows", 0)),
                    problem_count=len(problems),
                    summary=summary,
                )
                result = services.commit_items(
                    kind=kind,
                    items=checked.items,
                    problems=checked.problems,
                    batch=batch,
                    by=user,
                    skip_bad_rows=options["skip_bad_rows"],
                    import_anyway=set(),
                    progress=lambda _p, _m: None,
                )
                batch.created = result["created"]
                batch.status = ImportBatch.Status.COMMITTED
                batch.summary = {**summary, **{k: v for k, v in result.items() if k != "created"}}
                batch.save()
                audit_record(
                    actor=user,
                    action=Action.IMPORT,
                    obj=batch,
                    details={
                        "step": "committed",
                        "channel": "command",
                        "records": result["imported"],
                        "skipped_bad": result["skipped_bad"],
                        "already": result["already"],
                    },
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"import #{batch.pk}: {result['imported']} records imported, "
            f"{result['skipped_bad']} left out with problems, {result['already']} imported before "
            f"(undo with: awda import --rollback {batch.pk})"
        )
        return 0
