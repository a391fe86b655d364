"""Imports: a file is checked first (the dry run: a report by row, nothing written), then
committed as one transaction, and can be undone as a whole.

The uploaded file and the checked plan wait in the var directory, encrypted, between the
steps; both are removed once the batch is committed or discarded. Submission ids already
imported are skipped, so importing a file again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import awda.imports.registration  # noqa: F401 (registers the kind)
from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common import crypto
from awda.common.models import Task
from awda.common.tasks import Progress, task, task_enqueue
from awda.imports.kinds import KINDS, Checked, ImportKind, Item, Problem
from awda.imports.models import ImportBatch, ImportedSubmission, ImportTemplate
from awda.imports.readers import open_source
from awda.imports.registration import item_is_ready
from awda.imports.sources import ReadError, Source, SourceRow

MAX_UPLOAD = 50 * 1024 * 1024
# The page shows problems a page at a time; the report keeps them all.
SHOWN_PROBLEMS = 20_000


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _path(batch_pk: int, what: str) -> Path:
    return _folder() / f"{batch_pk}.{what}"


def _store(batch_pk: int, what: str, content: bytes) -> None:
    _path(batch_pk, what).write_bytes(crypto.encrypt(content))


def _load(batch_pk: int, what: str) -> bytes | None:
    path = _path(batch_pk, what)
    return crypto.decrypt(path.read_bytes()) if path.exists() else None


def _forget(batch_pk: int) -> None:
    for what in ("upload", "form", "plan"):
        _path(batch_pk, what).unlink(missing_ok=True)


@contextlib.contextmanager
def _clear_file(content: bytes, name: str) -> Iterator[Path]:
    """The decrypted upload in a private temporary file, for the readers, removed after."""
    suffix = Path(name).suffix.lower()[:10]
    with tempfile.TemporaryDirectory(dir=_folder()) as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(content)
        yield path


def _require(by: User, batch: ImportBatch | None = None) -> None:
    if not by.can(Can.IMPORT_DATA):
        raise PermissionDenied
    if batch is not None and batch.organisation_id != by.organisation_id:
        raise PermissionDenied


def kind_for(source: Source, code: str = "") -> ImportKind:
    # The offline forms' kinds register themselves when the collect app is ready.
    if code:
        if code not in KINDS:
            raise ValidationError(_("Unknown kind of import: %(k)s") % {"k": code})
        return KINDS[code]
    for found in KINDS.values():
        if found.code != "registration" and found.matches(source):
            return found
    return KINDS["registration"]


# -- checking ---------------------------------------------------------------------------------


def _not_yet_imported(
    rows: Iterator[SourceRow], organisation: Organisation | None, skipped: list[int]
) -> Iterator[SourceRow]:
    """Rows whose submission id was imported before are left out (counted in `skipped`)."""
    pending: list[SourceRow] = []

    def flush() -> Iterator[SourceRow]:
        ids = [r.submission_id for r in pending if r.submission_id]
        done = ImportedSubmission.objects.filter(submission_id__in=ids)
        if organisation is not None:
            done = done.filter(organisation=organisation)
        known = set(done.values_list("submission_id", flat=True))
        for row in pending:
            if row.submission_id and row.submission_id in known:
                skipped.append(row.number)
            else:
                yield row
        pending.clear()

    for row in rows:
        pending.append(row)
        if len(pending) >= 1000:
            yield from flush()
    yield from flush()


def check_file(
    path: Path,
    *,
    by: User | None,
    organisation: Organisation | None,
    file_name: str = "",
    form: Path | None = None,
    encoding: str = "",
    kind_code: str = "",
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> tuple[Source | None, ImportKind | None, dict[str, str], Checked]:
    """Read and check a file; nothing is written. A file that cannot be read gives one
    problem saying where and why."""
    report = progress or (lambda _p, _m: None)
    try:
        source = open_source(path, form=form, encoding=encoding or None, name=file_name)
        kind = kind_for(source, kind_code)
        used = mapping if mapping else kind.guess_mapping(source)
        skipped: list[int] = []
        rows = _not_yet_imported(source.rows, organisation, skipped)
        checked = kind.check(
            rows, source, by=by, organisation=organisation, mapping=used, progress=report
        )
    except ReadError as error:
        return (
            None,
            None,
            {},
            Checked(
                items=[],
                problems=[Problem(row=error.row or 1, column=error.column, problem=error.message)],
            ),
        )
    if skipped:
        checked.summary["already_submissions"] = len(skipped)
    return source, kind, used, checked


def all_problems(checked: Checked) -> list[Problem]:
    found = list(checked.problems)
    for item in checked.items:
        found.extend(item.problems)
    return sorted(found, key=lambda p: (p.row, p.sheet, p.column))


def batch_start(
    *,
    by: User,
    content: bytes,
    file_name: str,
    form: bytes | None = None,
    template: ImportTemplate | None = None,
    encoding: str = "",
    kind: str = "",
    check_now: bool = False,
) -> ImportBatch:
    """Keep the file (encrypted) and check it: in a background task, or at once with
    `check_now` (the demo loader, which has no task runner to wait for)."""
    _require(by)
    if len(content) > MAX_UPLOAD:
        raise ValidationError(
            _("The file is larger than %(n)s MB; split it.") % {"n": MAX_UPLOAD // 2**20}
        )
    if not content:
        raise ValidationError(_("The file is empty."))
    if template is not None and template.organisation_id != by.organisation_id:
        raise PermissionDenied
    if by.organisation is None:
        raise PermissionDenied
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            organisation=by.organisation,
            created_by=by,
            file_name=Path(file_name).name[:200],
            file_sha256=hashlib.sha256(content).hexdigest(),
            template=template,
            mapping=dict(template.mapping) if template else {},
            encoding=encoding,
            kind=kind,
        )
        _store(batch.pk, "upload", content)
        if form:
            _store(batch.pk, "form", form)
        if not check_now:
            _enqueue_check(batch, by)
        audit_record(
            actor=by,
            action=Action.IMPORT,
            obj=batch,
            details={"step": "uploaded", "bytes": len(content)},
        )
    if check_now:
        batch_check(batch)
    return batch


def _enqueue_check(batch: ImportBatch, by: User) -> None:
    batch.status = ImportBatch.Status.CHECKING
    batch.task = task_enqueue(
        kind="imports.check",
        by=by,
        params={
            "batch": batch.pk,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    batch.save(update_fields=["status", "task"])


@task("imports.check")
def _check_task(current: Task, progress: Progress) -> dict[str, Any]:
    batch = ImportBatch.objects.select_related("organisation", "created_by").get(
        pk=current.params["batch"]
    )
    with translation.override(current.params.get("language") or settings.LANGUAGE_CODE):
        batch_check(batch, progress=progress)
    return {"batch": batch.pk, "problems": batch.problem_count}


def batch_check(batch: ImportBatch, *, progress: Progress | None = None) -> ImportBatch:
    content = _load(batch.pk, "upload")
    if content is None:
        raise ValidationError(_("The file of this import is no longer kept."))
    form = _load(batch.pk, "form")
    with _clear_file(content, batch.file_name) as path:
        form_path = None
        if form is not None:
            form_path = path.with_name("form.xlsx")
            form_path.write_bytes(form)
        source, kind, used, checked = check_file(
            path,
            by=batch.created_by,
            organisation=batch.organisation,
            file_name=batch.file_name,
            form=form_path,
            encoding=batch.encoding,
            kind_code=batch.kind,
            mapping=batch.mapping or None,
            progress=progress,
        )
    problems = all_problems(checked)
    if progress:
        progress(95, _("writing the report"))
    plan = {
        "items": [asdict(item) for item in checked.items],
        "problems": [asdict(p) for p in checked.problems],
    }
    _store(batch.pk, "plan", json.dumps(plan).encode())
    batch.status = ImportBatch.Status.UNREADABLE if source is None else ImportBatch.Status.CHECKED
    batch.error = problems[0].line()[:300] if source is None and problems else ""
    if source is not None and kind is not None:
        batch.file_kind = source.kind
        batch.form_id = source.form_id[:120]
        batch.kind = kind.code
        batch.headers = [
            *source.headers,
            *(h for h in source.member_headers if h not in source.headers),
        ]
        batch.mapping = used
    batch.rows = int(checked.summary.get("rows", 0))
    batch.problem_count = len(problems)
    batch.summary = checked.summary
    batch.problems = [asdict(p) for p in problems[:SHOWN_PROBLEMS]]
    batch.import_anyway = [r for r in batch.import_anyway if any(p.row == r for p in problems)]
    batch.version += 1
    batch.save()
    return batch


def batch_remap(
    *, by: User, batch: ImportBatch, mapping: dict[str, str], save_as: str = ""
) -> ImportBatch:
    """Check again with another column mapping; optionally save it as a template."""
    _require(by, batch)
    if batch.status not in (ImportBatch.Status.CHECKED, ImportBatch.Status.UNREADABLE):
        raise ValidationError(_("Only an import that has been checked can be checked again."))
    from awda.imports.mapping import FIELDS

    unknown = {f for f in mapping.values() if f and f not in FIELDS}
    if unknown:
        raise ValidationError(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
    taken = [f for f in mapping.values() if f]
    doubled = sorted({f for f in taken if taken.count(f) > 1})
    if doubled and batch.kind in ("", "registration"):
        raise ValidationError(
            _("Several columns fill the same field: %(f)s") % {"f": ", ".join(doubled)}
        )
    with transaction.atomic():
        if save_as:
            template, _created = ImportTemplate.objects.update_or_create(
                organisation=by.organisation,
                name=save_as.strip()[:80],
                defaults={
                    "mapping": mapping,
                    "kind": batch.kind or "registration",
                    "created_by": by,
                },
            )
            batch.template = template
        batch.mapping = mapping
        _enqueue_check(batch, by)
        batch.save(update_fields=["mapping", "template"])
    return batch


def batch_decide(*, by: User, batch: ImportBatch, import_anyway: list[int]) -> ImportBatch:
    """Rows flagged as possibly already registered that the person says are someone else."""
    _require(by, batch)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ValidationError(_("This import is not waiting for a decision."))
    flagged = {p["row"] for p in batch.problems if p.get("code") == "duplicate"}
    batch.import_anyway = sorted(set(import_anyway) & flagged)
    batch.save(update_fields=["import_anyway"])
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=batch,
        details={"import_anyway_rows": len(batch.import_anyway)},
    )
    return batch


def _plan(batch: ImportBatch) -> tuple[list[Item], list[Problem]]:
    content = _load(batch.pk, "plan")
    if content is None:
        raise ValidationError(_("Check the file again: its check is no longer kept."))
    plan = json.loads(content)
    items = [
        Item(
            rows=i["rows"],
            submission_id=i["submission_id"],
            data=i["data"],
            problems=[Problem(**p) for p in i["problems"]],
        )
        for i in plan["items"]
    ]
    return items, [Problem(**p) for p in plan["problems"]]


def commit_items(
    *,
    kind: ImportKind,
    items: list[Item],
    problems: list[Problem],
    batch: ImportBatch,
    by: User | None,
    skip_bad_rows: bool,
    import_anyway: set[int],
    progress: Progress,
) -> dict[str, Any]:
    """Write what the check found ready, all or nothing, in the caller's transaction."""
    if problems:
        raise ValidationError(
            _("The file cannot be imported as it is: %(p)s") % {"p": problems[0].line()}
        )
    pending = [i for i in items if not i.data.get("already")]
    ready = [i for i in pending if item_is_ready(i, import_anyway)]
    bad = len(pending) - len(ready)
    if bad and not skip_bad_rows:
        raise ValidationError(
            _("%(n)s of %(m)s records have problems: correct the file, or skip them.")
            % {"n": bad, "m": len(pending)}
        )
    created = kind.commit(
        ready, by=by, organisation=batch.organisation, batch_pk=batch.pk, progress=progress
    )
    ImportedSubmission.objects.bulk_create(
        [
            ImportedSubmission(
                organisation=batch.organisation, submission_id=i.submission_id[:200], batch=batch
            )
            for i in ready
        ],
        batch_size=2000,
    )
    return {
        "created": created.get("created", {}),
        "imported": len(ready),
        "skipped_bad": bad,
        "already": len(items) - len(pending),
    }


def batch_commit_start(*, by: User, batch: ImportBatch, skip_bad_rows: bool) -> ImportBatch:
    _require(by, batch)
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.CHECKED).update(
        status=ImportBatch.Status.COMMITTING
    )
    if not claimed:
        raise ValidationError(_("This import is not ready to be imported (or already is)."))
    batch.refresh_from_db()
    batch.task = task_enqueue(
        kind="imports.commit",
        by=by,
        params={
            "batch": batch.pk,
            "skip_bad_rows": skip_bad_rows,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    batch.save(update_fields=["task"])
    return batch


@task("imports.commit")
def _commit_task(current: Task, progress: Progress) -> dict[str, Any]:
    batch = ImportBatch.objects.select_related("organisation", "created_by").get(
        pk=current.params["batch"]
    )
    by = current.created_by
    with translation.override(current.params.get("language") or settings.LANGUAGE_CODE):
        try:
            result = batch_commit(
                batch, by=by, skip_bad_rows=current.params["skip_bad_rows"], progress=progress
            )
        except ValidationError as error:
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.CHECKED, error="; ".join(error.messages)[:300]
            )
            return {"error": "; ".join(error.messages)[:300]}
        except Exception:
            ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CHECKED)
            raise
    return result


def batch_commit(
    batch: ImportBatch, *, by: User | None, skip_bad_rows: bool, progress: Progress
) -> dict[str, Any]:
    items, problems = _plan(batch)
    kind = KINDS[batch.kind or "registration"]
    progress(10, _("importing"))
    with transaction.atomic():
        result = commit_items(
            kind=kind,
            items=items,
            problems=problems,
            batch=batch,
            by=by,
            skip_bad_rows=skip_bad_rows,
            import_anyway=set(batch.import_anyway),
            progress=progress,
        )
        batch.created = result["created"]
        batch.status = ImportBatch.Status.COMMITTED
        batch.committed_at = timezone.now()
        batch.committed_by = by
        batch.error = ""
        batch.summary = {**batch.summary, **{k: v for k, v in result.items() if k != "created"}}
        batch.version += 1
        batch.save()
        audit_record(
            actor=by,
            action=Action.IMPORT,
            obj=batch,
            details={
                "step": "committed",
                "records": result["imported"],
                "skipped_bad": result["skipped_bad"],
                "already": result["already"],
            },
        )
    _forget(batch.pk)
    return {"batch": batch.pk, "imported": result["imported"]}


def batch_rollback(*, by: User | None, batch: ImportBatch) -> ImportBatch:
    """Undo a committed import as a whole, if nothing it created has been used since."""
    if by is not None:
        _require(by, batch)
    with transaction.atomic():
        current = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if current.status != ImportBatch.Status.COMMITTED:
            raise ValidationError(_("Only an import that was committed can be undone."))
        KINDS[current.kind or "registration"].rollback(current.created, by=by)
        ImportedSubmission.objects.filter(batch=current).delete()
        current.status = ImportBatch.Status.ROLLED_BACK
        current.rolled_back_at = timezone.now()
        current.rolled_back_by = by
        current.version += 1
        current.save()
        audit_record(actor=by, action=Action.DELETE, obj=current, details={"step": "rolled back"})
    return current


# A check or commit still "running" after this long was interrupted (the process that ran
# it stopped): its transaction never committed, so nothing of it was written.
STALE_TASK = datetime.timedelta(hours=3)


def batch_recover(batch: ImportBatch) -> ImportBatch:
    """A batch whose check or commit stopped (an error, or the process ended under it) is
    put back where the person can act again: a commit that did not finish leaves the batch
    checked and ready; a check that did not finish leaves it to be checked again."""
    if batch.status not in (ImportBatch.Status.CHECKING, ImportBatch.Status.COMMITTING):
        return batch
    current = batch.task
    stopped = current is None or current.status == Task.Status.FAILED
    if current is not None and current.status == Task.Status.RUNNING and current.started_at:
        stopped = timezone.now() - current.started_at > STALE_TASK
    if not stopped:
        return batch
    if batch.status == ImportBatch.Status.COMMITTING:
        status, error = (
            ImportBatch.Status.CHECKED,
            _("The import stopped before it ended; nothing was written. Import again."),
        )
    else:
        status, error = (
            ImportBatch.Status.UNREADABLE,
            _("The check stopped before it ended; discard this import and upload the file again."),
        )
    ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(status=status, error=error)
    batch.refresh_from_db()
    return batch


def batch_discard(*, by: User, batch: ImportBatch) -> ImportBatch:
    _require(by, batch)
    if batch.status not in (ImportBatch.Status.CHECKED, ImportBatch.Status.UNREADABLE):
        raise ValidationError(_("Only an import that has not been committed can be discarded."))
    _forget(batch.pk)
    batch.status = ImportBatch.Status.DISCARDED
    batch.problems = []
    batch.save(update_fields=["status", "problems"])
    audit_record(actor=by, action=Action.DELETE, obj=batch, details={"step": "discarded"})
    return batch
