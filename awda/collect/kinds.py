"""Bringing back what field teams collected offline with Awda's forms (awda/collect/
xlsform.py): reintegration surveys, MHPSS screenings and case assessments, each an import
kind of the engine (awda/imports/kinds.py).

Each submission is checked against the form it was collected with (its form id, from
the file or from the form's own `awda_form` answer) and against the registry, for the
importing user's organisation only: a household, person or case of another organisation
is "not found", exactly like one that does not exist. The check writes nothing. The
commit records each submission through its app's service, so that the scoring, the
encryption at rest, the alerts and the audit happen as when it is typed in; and a
rollback deletes what the commit created unless someone has used or changed it since.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action, AuditEntry
from awda.audit.services import AuditEvent, audit_record_many, event_for
from awda.cases import relevance
from awda.cases.models import Alert, Assessment, Case, FormVersion, Referral
from awda.cases.services import assessment_record
from awda.collect import xlsform
from awda.imports.kinds import Checked, Item, Problem, Progress, register
from awda.imports.models import ImportedSubmission
from awda.imports.sources import Source, SourceRow
from awda.mhpss.instruments import INSTRUMENTS
from awda.mhpss.instruments import Instrument as ScreeningInstrument
from awda.mhpss.models import Screening
from awda.mhpss.services import screening_record
from awda.registry.models import Household, Person
from awda.reintegration import instruments as survey_instruments
from awda.reintegration.models import FollowUp, Survey, SurveyInstrument
from awda.reintegration.services import survey_record
from awda.returns.models import Homecoming
from awda.returns.pipeline import stage_refresh

VALUE_CUT = 60
TEXT_LIMIT = 2000  # what assessment answers keep (cases/formdefs.py)
# Audit entries that do not count as using or changing a record since its import.
_UNTOUCHING = (Action.CREATE, Action.IMPORT, Action.VIEW, Action.LIST, Action.EXPORT)
AWDA_PREFIXES = (
    xlsform.REGISTRATION_FORM_ID,
    xlsform.SURVEY_PREFIX,
    xlsform.SCREENING_PREFIX,
    xlsform.ASSESSMENT_PREFIX,
)
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


# -- reading cells ----------------------------------------------------------------------------


def _cut(value: str) -> str:
    return value if len(value) <= VALUE_CUT else value[: VALUE_CUT - 1] + "…"


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class Columns:
    """Which header of the file holds which question: the question's name itself (an
    export "with XML values and headers"), the mapping's choice, or the question's label
    (a labelled export) as the form gives it."""

    def __init__(self, source: Source, mapping: dict[str, str], known: Iterable[str]) -> None:
        names = set(known)
        by_label = {_fold(label): name for name, label in source.labels.items() if label}
        self.header: dict[str, str] = {}
        for header in source.headers:
            if header in mapping:
                field = mapping[header]
            elif header in names:
                field = header
            else:
                field = by_label.get(_fold(header), "")
            if field in names:
                self.header.setdefault(field, header)

    def has(self, field: str) -> bool:
        return field in self.header

    def value(self, row: SourceRow, field: str) -> str:
        header = self.header.get(field)
        return (row.cells.get(header) or "").strip() if header else ""

    def column(self, field: str) -> str:
        """The column as headed in the file (the question's name if it is missing)."""
        return self.header.get(field, field)


def _day(text: str) -> tuple[datetime.date | None, str, str]:
    """A date as the form's tools write it (YYYY-MM-DD, with a time after it for some),
    or as people type it (DD/MM/YYYY, Arabic-Indic digits): (date, problem, suggestion)."""
    text = text.translate(_ARABIC_DIGITS).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if not match:
            return None, _("not a date"), _("write it as YYYY-MM-DD")
        day, month, year = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day), "", ""
    except ValueError:
        return None, _("no such date"), _("check the day and the month")


@dataclass(frozen=True)
class Option:
    value: str
    label_ar: str
    label_en: str


def _option(given: str, options: Iterable[Option]) -> str | None:
    """The choice a cell names: by its value, or (a labelled export) by its label in
    either language; None if none."""
    listed = list(options)
    for option in listed:
        if given == option.value:
            return option.value
    folded = _fold(given)
    for option in listed:
        if folded in (_fold(option.label_ar), _fold(option.label_en)):
            return option.value
    return None


def _values(options: Iterable[Option]) -> str:
    return _("one of: %(values)s") % {"values": ", ".join(o.value for o in options)}


class Rows:
    """The report of one submission as it is checked."""

    def __init__(self, row: SourceRow, columns: Columns) -> None:
        self.row = row
        self.columns = columns
        self.problems: list[Problem] = []

    def get(self, field: str) -> str:
        return self.columns.value(self.row, field)

    def problem(self, field: str, problem: str, value: str = "", suggestion: str = "") -> None:
        self.problems.append(
            Problem(
                row=self.row.number,
                column=self.columns.column(field) if field else "",
                problem=problem,
                value=_cut(value),
                suggestion=suggestion,
            )
        )

    def required(self, field: str) -> str:
        value = self.get(field)
        if not value:
            self.problem(field, _("required, and empty"))
        return value

    def date(self, field: str, *, past: bool = True) -> datetime.date | None:
        """A required date, not in the future (with `past`)."""
        text = self.required(field)
        if not text:
            return None
        day, problem, suggestion = _day(text)
        if day is None:
            self.problem(field, problem, text, suggestion)
        elif past and day > timezone.localdate():
            self.problem(field, _("the date is in the future"), text)
            return None
        return day


# -- the kinds' common part -------------------------------------------------------------------


class SubmissionKind:
    """What the three kinds share: recognising their files, finding the form the
    submissions were collected with, reading row by row, and undoing a commit."""

    code = ""
    prefix = ""
    capability: Can = Can.IMPORT_DATA  # what recording such submissions needs
    # Questions that tell this kind's files apart when the file gives no form id.
    anchors: tuple[str, ...] = ()
    model_label = ""

    def what(self) -> str:
        """What the kind records, for messages ("reintegration surveys")."""
        return ""

    def changed(self, pk: int) -> str:
        """Why the record `pk` cannot be undone: changed since (the audit trail says so)."""
        raise NotImplementedError

    def owner(self, record: Any) -> int | None:
        """The organisation that owns a record the kind created."""
        return int(record.organisation_id)

    def import_details(self, item: Item) -> dict[str, Any]:
        """What the audit entry of an imported record says besides the batch."""
        return {}

    # -- recognising the file

    def matches(self, source: Source) -> bool:
        """By the form id when it is one of Awda's; else (KoboToolbox gives its own asset
        id, a sheet none) by the questions that only this kind's forms ask."""
        if source.form_id.startswith(AWDA_PREFIXES):
            return source.form_id.startswith(self.prefix)
        headers = set(source.headers) | set(source.labels)
        return set(self.anchors) <= headers

    # -- the form, and its questions: each kind's own

    def form(self, form_id: str) -> tuple[Any, list[str]]:
        """The form's configuration for `form_id`, and the problems that stop its
        submissions being recorded (an unknown form, one no longer in use)."""
        raise NotImplementedError

    def questions(self, form: Any) -> list[str]:
        raise NotImplementedError

    def check_row(
        self, report: Rows, form: Any, org_id: int, seen: dict[Any, int]
    ) -> dict[str, Any]:
        raise NotImplementedError

    def record(self, item: Item, by: User, org_id: int) -> Any:
        raise NotImplementedError

    # -- checking

    def _form_id(self, source: Source, first: SourceRow, columns: Columns) -> str:
        if source.form_id.startswith(self.prefix):
            return source.form_id
        return columns.value(first, xlsform.FORM_QUESTION)

    def guess_mapping(self, source: Source) -> dict[str, str]:
        """Each header to itself (an export by question names), or to the question whose
        label it is (a labelled export); which of them are questions depends on the form,
        and the check knows it."""
        by_label = {_fold(label): name for name, label in source.labels.items() if label}
        return {header: by_label.get(_fold(header), header) for header in source.headers}

    def check(
        self,
        source_rows: Iterable[SourceRow],
        source: Source,
        *,
        by: User | None,
        organisation: Organisation | None,
        mapping: dict[str, str],
        progress: Progress,
    ) -> Checked:
        rows: Iterator[SourceRow] = iter(source_rows)
        # Households, people and cases are looked for in this organisation only.
        org_id = organisation.pk if organisation is not None else None
        if org_id is None and by is not None:
            org_id = by.organisation_id
        refused = ""
        if by is not None and (not by.can(self.capability) or by.organisation_id != org_id):
            refused = _("Your role cannot record %(what)s.") % {"what": self.what()}
        elif org_id is None:
            refused = _("Say which organisation the submissions belong to.")
        if refused or org_id is None:
            return Checked(items=[], problems=[Problem(1, "", refused)])
        # The form id: the file's, or the first submission's own answer to awda_form.
        probe = Columns(source, mapping, [xlsform.FORM_QUESTION])
        first = next(rows, None)
        if first is None:  # nothing left to check (all imported before, or an empty file)
            return Checked(items=[], summary={"rows": 0, "submissions": 0, "ready": 0})
        form_id = self._form_id(source, first, probe)
        if not form_id.startswith(self.prefix):
            return Checked(
                items=[],
                problems=[
                    Problem(
                        1,
                        xlsform.FORM_QUESTION,
                        _(
                            "The file does not say which form it was collected with: it "
                            "has no form id and no awda_form column."
                        ),
                        suggestion=_("export the submissions with all their columns"),
                    )
                ],
            )
        form, form_problems = self.form(form_id)
        if form_problems:
            return Checked(
                items=[],
                problems=[Problem(1, "", p, _cut(form_id)) for p in form_problems],
                summary={"form_id": form_id},
            )
        names = [xlsform.FORM_QUESTION, *self.questions(form)]
        columns = Columns(source, mapping, names)
        header_problems = [
            Problem(1, name, _("This question's column is missing."))
            for name in self.required_columns(form)
            if not columns.has(name)
        ]
        if header_problems:
            return Checked(items=[], problems=header_problems, summary={"form_id": form_id})
        items: list[Item] = []
        seen: dict[Any, int] = {}
        seen_ids: dict[str, int] = {}
        chain = _prepend(first, rows)
        for index, row in enumerate(chain):
            report = Rows(row, columns)
            marker = columns.value(row, xlsform.FORM_QUESTION)
            if marker and marker != form_id:
                report.problem(
                    xlsform.FORM_QUESTION,
                    _("This submission was collected with another form."),
                    marker,
                    _("import each form's submissions as a file of their own"),
                )
                data: dict[str, Any] = {}
            else:
                data = self.check_row(report, form, org_id, seen)
            submission = row.submission_id or self._fingerprint(form_id, row)
            if submission in seen_ids:
                report.problem(
                    "",
                    _("the same submission as row %(row)s") % {"row": seen_ids[submission]},
                )
            seen_ids.setdefault(submission, row.number)
            items.append(Item([row.number], submission, data, report.problems))
            if index % 200 == 0:
                progress(_percent(index, source.total), _("checking submissions"))
        self._already(items, org_id)
        progress(100, _("submissions checked"))
        fresh = [i for i in items if not i.data.get("already")]
        used = set(columns.header.values())
        return Checked(
            items=items,
            summary={
                "form_id": form_id,
                "rows": len(items),
                "submissions": len(items),
                "already": len(items) - len(fresh),
                "ready": sum(1 for i in fresh if not i.problems),
                "ignored_columns": [h for h in source.headers if h not in used],
            },
        )

    def _fingerprint(self, form_id: str, row: SourceRow) -> str:
        """A submission without an id (a sheet typed by hand): what it says, so that
        importing it again changes nothing."""
        text = repr((form_id, sorted(row.cells.items())))
        return f"{self.code}:sha:" + hashlib.sha256(text.encode()).hexdigest()[:40]

    def _already(self, items: list[Item], org_id: int) -> None:
        """Submissions imported before (by their fingerprint: the engine leaves out those
        with an id of their own) are left alone."""
        known = set(
            ImportedSubmission.objects.filter(
                organisation_id=org_id, submission_id__in=[i.submission_id for i in items]
            ).values_list("submission_id", flat=True)
        )
        for item in items:
            if item.submission_id in known:
                item.data, item.problems = {"already": True}, []

    def required_columns(self, form: Any) -> list[str]:
        return []

    # -- committing

    def commit(
        self,
        items: list[Item],
        *,
        by: User | None,
        organisation: Organisation,
        batch_pk: int,
        progress: Progress,
    ) -> dict[str, Any]:
        if by is None:
            raise ValidationError(
                _("%(what)s are recorded by a person: say who imports them.")
                % {"what": self.what().capitalize()}
            )
        if by.organisation_id != organisation.pk or not by.can(self.capability):
            raise PermissionDenied
        created: list[int] = []
        events: list[AuditEvent] = []
        for index, item in enumerate(items):
            try:
                record = self.record(item, by, organisation.pk)
            except ValidationError as error:
                raise ValidationError(
                    _("row %(row)s: %(problem)s")
                    % {"row": item.rows[0], "problem": "; ".join(error.messages)}
                ) from error
            created.append(record.pk)
            events.append(
                event_for(
                    Action.IMPORT,
                    record,
                    details={
                        "import_batch": batch_pk,
                        "submission": item.submission_id[:200],
                        **self.import_details(item),
                    },
                )
            )
            if index % 100 == 0:
                progress(_percent(index, len(items)), _("recording submissions"))
        audit_record_many(actor=by, events=events)
        progress(100, _("submissions recorded"))
        return {"created": {self.model_label: created}}

    # -- undoing

    def used_since(self, records: list[Any]) -> list[str]:
        """Why each record cannot be undone, if any (the kind's own reasons)."""
        return []

    def undo(self, records: list[Any]) -> list[AuditEvent]:
        raise NotImplementedError

    def records(self, pks: list[int]) -> list[Any]:
        raise NotImplementedError

    def rollback(self, created: dict[str, list[int]], *, by: User | None) -> None:
        """`by` is None on the command line (an operator's undo: any organisation's)."""
        pks = [int(pk) for pk in created.get(self.model_label, [])]
        if not pks:
            return
        with transaction.atomic():
            records = self.records(pks)
            if by is not None and any(self.owner(r) != by.organisation_id for r in records):
                raise PermissionDenied
            reasons = self.used_since(records)
            changed = set(
                AuditEntry.objects.filter(
                    object_type=self.model_label, object_id__in=[str(pk) for pk in pks]
                )
                .exclude(action__in=_UNTOUCHING)
                .values_list("object_id", flat=True)
            )
            reasons += [self.changed(int(pk)) for pk in sorted(changed, key=int)]
            if reasons:
                raise ValidationError(reasons)
            audit_record_many(actor=by, events=self.undo(records))


def _prepend(first: SourceRow, rest: Iterator[SourceRow]) -> Iterator[SourceRow]:
    yield first
    yield from rest


def _percent(done: int, total: int | None) -> int:
    return min(99, int(100 * done / total)) if total else 0


def _parse_form_id(form_id: str, prefix: str) -> tuple[str, int] | None:
    """`<prefix><code>__v<n>` -> (code, n)."""
    match = re.fullmatch(
        rf"{re.escape(prefix)}(?P<code>[A-Za-z0-9_-]+)__v(?P<n>\d{{1,9}})", form_id
    )
    return (match["code"], int(match["n"])) if match else None


# -- (b) reintegration surveys ----------------------------------------------------------------


@dataclass
class SurveyForm:
    instrument: SurveyInstrument
    parsed: survey_instruments.Instrument


class SurveyKind(SubmissionKind):
    code = "survey"
    prefix = xlsform.SURVEY_PREFIX
    capability = Can.RECORD_FOLLOW_UP
    anchors = (xlsform.HOUSEHOLD_REFERENCE, xlsform.MONTHS, xlsform.CONDUCTED_ON)
    model_label = "reintegration.survey"

    def what(self) -> str:
        return _("reintegration surveys")

    def changed(self, pk: int) -> str:
        return _("Survey #%(pk)s has been changed since it was imported.") % {"pk": pk}

    def form(self, form_id: str) -> tuple[Any, list[str]]:
        parsed_id = _parse_form_id(form_id, self.prefix)
        instrument = (
            SurveyInstrument.objects.filter(code=parsed_id[0], version=parsed_id[1]).first()
            if parsed_id
            else None
        )
        if instrument is None:
            return None, [_("No reintegration survey in Awda has this form id.")]
        newest = (
            SurveyInstrument.objects.filter(code=instrument.code, is_active=True)
            .order_by("-version")
            .first()
        )
        if not instrument.is_active:
            return None, [
                _("This survey version is no longer in use; nothing can be recorded with it.")
            ]
        if newest is not None and newest.pk != instrument.pk:
            return None, [
                _(
                    "Version %(old)s of this survey is replaced by version %(new)s: surveys "
                    "are recorded with the newest version only. Collect with the new form."
                )
                % {"old": instrument.version, "new": newest.version}
            ]
        return SurveyForm(instrument, survey_instruments.parse(instrument.definition)), []

    def questions(self, form: SurveyForm) -> list[str]:
        return [*self.anchors, *(q.name for q in form.parsed.questions)]

    def required_columns(self, form: SurveyForm) -> list[str]:
        return list(self.anchors)

    def check_row(
        self, report: Rows, form: SurveyForm, org_id: int, seen: dict[Any, int]
    ) -> dict[str, Any]:
        reference = report.required(xlsform.HOUSEHOLD_REFERENCE)
        household = None
        if reference:
            household = Household.objects.filter(
                organisation_id=org_id, reference=reference
            ).first()
            if household is None:
                report.problem(
                    xlsform.HOUSEHOLD_REFERENCE,
                    _("no household with this reference in your organisation"),
                    reference,
                )
        months_text = report.required(xlsform.MONTHS)
        months = None
        if months_text:
            options = [Option(str(m), *xlsform.MONTH_LABELS[m]) for m in FollowUp.MONTHS]
            chosen = _option(months_text, options)
            if chosen is None:
                report.problem(xlsform.MONTHS, _("not a follow-up"), months_text, _values(options))
            else:
                months = int(chosen)
        on = report.date(xlsform.CONDUCTED_ON)
        follow_up = None
        if household is not None:
            homecoming = Homecoming.objects.filter(household=household).first()
            if homecoming is None:
                report.problem(
                    xlsform.HOUSEHOLD_REFERENCE,
                    _(
                        "the household's arrival home is not recorded; reintegration "
                        "surveys start after it"
                    ),
                    reference,
                )
            else:
                if on is not None and on < homecoming.arrived_on:
                    report.problem(
                        xlsform.CONDUCTED_ON,
                        _("before the household's arrival home (%(date)s)")
                        % {"date": homecoming.arrived_on.isoformat()},
                        on.isoformat(),
                    )
                if months is not None:
                    follow_up = self._follow_up(report, household, months)
            if months is not None:
                key = (household.pk, months)
                if key in seen:
                    report.problem(
                        xlsform.MONTHS,
                        _("the same household and follow-up as row %(row)s") % {"row": seen[key]},
                        months_text,
                    )
                else:
                    seen[key] = report.row.number
        answers: dict[str, str] = {}
        for question in form.parsed.questions:
            given = report.get(question.name)
            if not given:
                continue
            options = [Option(c.value, c.label_ar, c.label_en) for c in question.choices]
            chosen = _option(given, options)
            if chosen is None:
                report.problem(question.name, _("not one of the choices"), given, _values(options))
            else:
                answers[question.name] = chosen
        if not answers and not any(
            p.column in {report.columns.column(q.name) for q in form.parsed.questions}
            for p in report.problems
        ):
            report.problem("", _("no question of the survey is answered"))
        if report.problems or household is None or on is None:
            return {}
        return {
            "household": household.pk,
            "instrument": form.instrument.pk,
            "follow_up": follow_up.pk if follow_up else None,
            "months": months,
            "conducted_on": on.isoformat(),
            "answers": answers,
        }

    def _follow_up(self, report: Rows, household: Household, months: int) -> FollowUp | None:
        follow_up = (
            FollowUp.objects.filter(household=household, months=months)
            .select_related("survey")
            .first()
        )
        column = xlsform.MONTHS
        if follow_up is None:
            report.problem(
                column,
                _("the household has no %(n)s-month follow-up scheduled") % {"n": months},
                str(months),
            )
            return None
        if follow_up.status == FollowUp.Status.DONE:
            done = getattr(follow_up, "survey", None)
            report.problem(
                column,
                _("the %(n)s-month follow-up of this household is already done") % {"n": months},
                str(months),
                _("its survey is dated %(date)s") % {"date": done.conducted_on.isoformat()}
                if done
                else "",
            )
            return None
        if follow_up.status != FollowUp.Status.DUE:
            report.problem(
                column,
                _("the %(n)s-month follow-up of this household is %(status)s")
                % {"n": months, "status": follow_up.get_status_display().lower()},
                str(months),
            )
            return None
        return follow_up

    def record(self, item: Item, by: User, org_id: int) -> Survey:
        data = item.data
        household = Household.objects.get(pk=data["household"], organisation_id=org_id)
        follow_up = (
            FollowUp.objects.get(pk=data["follow_up"], household=household)
            if data.get("follow_up")
            else None
        )
        return survey_record(
            by=by,
            household=household,
            instrument=SurveyInstrument.objects.get(pk=data["instrument"]),
            answers=data["answers"],
            conducted_on=datetime.date.fromisoformat(data["conducted_on"]),
            follow_up=follow_up,
        )

    def records(self, pks: list[int]) -> list[Survey]:
        return list(
            Survey.objects.select_for_update(of=("self",))
            .filter(pk__in=pks)
            .select_related("follow_up", "household")
        )

    def used_since(self, records: list[Survey]) -> list[str]:
        return [
            _("Survey #%(pk)s: its follow-up has been changed since it was imported.")
            % {"pk": s.pk}
            for s in records
            if s.follow_up is not None and s.follow_up.status != FollowUp.Status.DONE
        ]

    def undo(self, records: list[Survey]) -> list[AuditEvent]:
        events = []
        households = {}
        for survey in records:
            follow_up = survey.follow_up
            events.append(
                event_for(
                    Action.DELETE,
                    survey,
                    details={"household": survey.household_id, "import_undone": True},
                )
            )
            households[survey.household_id] = survey.household
            survey.delete()
            if follow_up is not None:
                follow_up.status = FollowUp.Status.DUE
                follow_up.save(update_fields=["status", "updated_at"])
        for household in households.values():
            stage_refresh(household)
        return events


# -- (c) MHPSS screenings ---------------------------------------------------------------------


class ScreeningKind(SubmissionKind):
    code = "screening"
    prefix = xlsform.SCREENING_PREFIX
    capability = Can.RECORD_MHPSS
    anchors = (xlsform.PERSON_ID, xlsform.HOUSEHOLD_REFERENCE, xlsform.SCREENED_ON)
    model_label = "mhpss.screening"

    def what(self) -> str:
        return _("psychosocial screenings")

    def changed(self, pk: int) -> str:
        return _("Screening #%(pk)s has been changed since it was imported.") % {"pk": pk}

    def form(self, form_id: str) -> tuple[Any, list[str]]:
        code = form_id.removeprefix(self.prefix)
        if code not in INSTRUMENTS:
            return None, [_("No screening instrument in Awda has this form id.")]
        return INSTRUMENTS[code], []

    def questions(self, form: ScreeningInstrument) -> list[str]:
        return [
            *self.anchors,
            *(xlsform.item_name(i) for i in range(1, len(form.items) + 1)),
        ]

    def required_columns(self, form: ScreeningInstrument) -> list[str]:
        return self.questions(form)

    def check_row(
        self, report: Rows, form: ScreeningInstrument, org_id: int, seen: dict[Any, int]
    ) -> dict[str, Any]:
        number = report.required(xlsform.PERSON_ID)
        person = None
        if number:
            digits = number.translate(_ARABIC_DIGITS).removeprefix("#").removesuffix(".0")
            if not digits.isdigit() or len(digits) > 18:
                report.problem(xlsform.PERSON_ID, _("not a person's number"), number)
            else:
                person = (
                    Person.objects.filter(pk=int(digits), organisation_id=org_id)
                    .select_related("household")
                    .first()
                )
                if person is None:
                    report.problem(
                        xlsform.PERSON_ID,
                        _("no person with this number in your organisation"),
                        number,
                    )
                elif person.merged_into_id is not None:
                    report.problem(
                        xlsform.PERSON_ID,
                        _("this registration was merged into another one"),
                        number,
                        _("use the number %(n)s") % {"n": person.merged_into_id},
                    )
                    person = None
        reference = report.required(xlsform.HOUSEHOLD_REFERENCE)
        if (
            person is not None
            and reference
            and (person.household is None or person.household.reference != reference)
        ):
            report.problem(
                xlsform.HOUSEHOLD_REFERENCE,
                _("the person with this number is not a member of this household"),
                reference,
                _("check the person's number and the household's reference"),
            )
            person = None
        on = report.date(xlsform.SCREENED_ON)
        options = [
            Option(str(value), arabic, english)
            for value, (arabic, english) in zip(
                range(form.low, form.high + 1), form.choices, strict=True
            )
        ]
        answers: list[int] = []
        for index in range(1, len(form.items) + 1):
            name = xlsform.item_name(index)
            given = report.required(name)
            if not given:
                continue
            chosen = _option(given.removesuffix(".0"), options)
            if chosen is None:
                report.problem(
                    name,
                    _("not an answer of this item (%(low)s to %(high)s)")
                    % {"low": form.low, "high": form.high},
                    given,
                )
            else:
                answers.append(int(chosen))
        if person is not None and on is not None:
            key = (person.pk, on)
            if key in seen:
                report.problem(
                    xlsform.SCREENED_ON,
                    _("the same person and date as row %(row)s") % {"row": seen[key]},
                    on.isoformat(),
                )
            else:
                seen[key] = report.row.number
            if Screening.objects.filter(
                person=person, instrument=form.code, administered_on=on
            ).exists():
                report.problem(
                    xlsform.SCREENED_ON,
                    _("a %(name)s screening of this person on this date is already recorded")
                    % {"name": form.name},
                    on.isoformat(),
                )
        if report.problems or person is None or on is None:
            return {}
        return {
            "person": person.pk,
            "instrument": form.code,
            "answers": answers,
            "screened_on": on.isoformat(),
        }

    def record(self, item: Item, by: User, org_id: int) -> Screening:
        data = item.data
        person = Person.objects.get(pk=data["person"], organisation_id=org_id)
        return screening_record(
            by=by,
            person=person,
            instrument=data["instrument"],
            answers=data["answers"],
            on=datetime.date.fromisoformat(data["screened_on"]),
        )

    def records(self, pks: list[int]) -> list[Screening]:
        return list(Screening.objects.select_for_update(of=("self",)).filter(pk__in=pks))

    def _alerts(self, records: list[Screening]) -> Any:
        return Alert.objects.filter(
            object_type="mhpss.screening", object_id__in=[str(s.pk) for s in records]
        )

    def used_since(self, records: list[Screening]) -> list[str]:
        handled = self._alerts(records).filter(resolved_at__isnull=False)
        return [
            _("Screening #%(pk)s: the alert it raised has been dealt with since.") % {"pk": pk}
            for pk in sorted({int(a.object_id) for a in handled})
        ]

    def undo(self, records: list[Screening]) -> list[AuditEvent]:
        events = [
            event_for(
                Action.DELETE,
                screening,
                details={"person": screening.person_id, "import_undone": True},
            )
            for screening in records
        ]
        self._alerts(records).delete()
        for screening in records:
            screening.delete()
        return events


# -- (d) case assessments ---------------------------------------------------------------------


class AssessmentKind(SubmissionKind):
    code = "assessment"
    prefix = xlsform.ASSESSMENT_PREFIX
    capability = Can.MANAGE_CASES
    anchors = (xlsform.CASE_REFERENCE, xlsform.ASSESSED_ON)
    model_label = "cases.assessment"

    def what(self) -> str:
        return _("case assessments")

    def changed(self, pk: int) -> str:
        return _("Assessment #%(pk)s has been changed since it was imported.") % {"pk": pk}

    def form(self, form_id: str) -> tuple[Any, list[str]]:
        parsed_id = _parse_form_id(form_id, self.prefix)
        version = (
            FormVersion.objects.filter(form__slug=parsed_id[0], number=parsed_id[1])
            .select_related("form")
            .first()
            if parsed_id
            else None
        )
        if version is None:
            return None, [_("No assessment form version in Awda has this form id.")]
        return version, []

    def questions(self, form: FormVersion) -> list[str]:
        return [*self.anchors, *(str(f["name"]) for f in form.fields if f.get("type") != "note")]

    def required_columns(self, form: FormVersion) -> list[str]:
        return list(self.anchors)

    def check_row(
        self, report: Rows, form: FormVersion, org_id: int, seen: dict[Any, int]
    ) -> dict[str, Any]:
        reference = report.required(xlsform.CASE_REFERENCE)
        case = None
        if reference:
            case = Case.objects.filter(organisation_id=org_id, reference=reference).first()
            if case is None:
                report.problem(
                    xlsform.CASE_REFERENCE,
                    _("no case with this reference in your organisation"),
                    reference,
                )
            elif case.status == Case.Status.CLOSED:
                report.problem(
                    xlsform.CASE_REFERENCE,
                    _("the case is closed"),
                    reference,
                    _("reopen it first to record an assessment"),
                )
                case = None
        on = report.date(xlsform.ASSESSED_ON)
        if case is not None and on is not None:
            if on < case.opened_on:
                report.problem(
                    xlsform.ASSESSED_ON,
                    _("before the case was opened (%(date)s)")
                    % {"date": case.opened_on.isoformat()},
                    on.isoformat(),
                )
            key = (case.pk, on)
            if key in seen:
                report.problem(
                    xlsform.ASSESSED_ON,
                    _("the same case and date as row %(row)s") % {"row": seen[key]},
                    on.isoformat(),
                )
            else:
                seen[key] = report.row.number
        answers = self._answers(report, form)
        if report.problems or case is None or on is None:
            return {}
        return {
            "case": case.pk,
            "version": form.pk,
            "assessed_on": on.isoformat(),
            "answers": answers,
        }

    def _answers(self, report: Rows, form: FormVersion) -> dict[str, Any]:
        """The answers typed as cases/formdefs.clean_answers keeps them, the questions
        the skip logic leaves out dropped (as the service does)."""
        answers: dict[str, Any] = {}
        for field in form.fields:
            rule = field.get("relevant") or ""
            if rule and not relevance.holds(relevance.parse(rule), answers):
                continue
            name, kind = str(field["name"]), field.get("type")
            if kind == "note":
                continue
            given = report.get(name)
            if not given:
                if field.get("required"):
                    report.problem(name, _("required, and empty"))
                continue
            options = [
                Option(
                    str(c["name"]),
                    str((c.get("label") or {}).get("ar") or ""),
                    str((c.get("label") or {}).get("en") or ""),
                )
                for c in field.get("choices") or []
            ]
            if kind == "integer":
                text = given.translate(_ARABIC_DIGITS).removesuffix(".0")
                if re.fullmatch(r"-?\d{1,15}", text):
                    answers[name] = int(text)
                else:
                    report.problem(name, _("not a whole number"), given)
            elif kind == "decimal":
                try:
                    answers[name] = float(given.translate(_ARABIC_DIGITS).replace(",", "."))
                except ValueError:
                    report.problem(name, _("not a number"), given)
            elif kind == "date":
                day, problem, suggestion = _day(given)
                if day is None:
                    report.problem(name, problem, given, suggestion)
                else:
                    answers[name] = day.isoformat()
            elif kind == "select_one":
                chosen = _option(given, options)
                if chosen is None:
                    report.problem(name, _("not one of the choices"), given, _values(options))
                else:
                    answers[name] = chosen
            elif kind == "select_multiple":
                picked = []
                for part in re.split(r"[\s;,]+", given):
                    chosen = _option(part, options) if part else None
                    if part and chosen is None:
                        report.problem(name, _("not one of the choices"), part, _values(options))
                    elif chosen:
                        picked.append(chosen)
                answers[name] = sorted(set(picked))
            elif given.startswith("="):
                # a spreadsheet formula, not an answer (the text is not quoted back)
                report.problem(name, _("a formula, not an answer"))
            elif len(given) > TEXT_LIMIT:
                report.problem(name, _("longer than %(n)s characters") % {"n": f"{TEXT_LIMIT:,}"})
            else:
                answers[name] = given
        return answers

    def record(self, item: Item, by: User, org_id: int) -> Assessment:
        data = item.data
        case = Case.objects.get(pk=data["case"], organisation_id=org_id)
        return assessment_record(
            by=by,
            case=case,
            version=FormVersion.objects.select_related("form").get(pk=data["version"]),
            raw=data["answers"],
        )

    def import_details(self, item: Item) -> dict[str, Any]:
        # An assessment has no date of its own: the day it was made is kept here.
        return {"assessed_on": item.data.get("assessed_on", "")}

    def owner(self, record: Assessment) -> int | None:
        return int(record.case.organisation_id)

    def records(self, pks: list[int]) -> list[Assessment]:
        return list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(pk__in=pks)
            .select_related("case", "form_version__form")
        )

    def used_since(self, records: list[Assessment]) -> list[str]:
        reasons = []
        for assessment in records:
            case = assessment.case
            if case.status == Case.Status.CLOSED:
                reasons.append(
                    _("Assessment #%(pk)s: its case has been closed since.") % {"pk": assessment.pk}
                )
            shared = [
                referral
                for referral in Referral.objects.filter(
                    case=case, created_at__gte=assessment.recorded_at
                ).exclude(status__in=(Referral.Status.PENDING, Referral.Status.DECLINED))
                if assessment.form_version.form.slug in (referral.shared_forms or [])
            ]
            if shared:
                reasons.append(
                    _(
                        "Assessment #%(pk)s has been shared with another organisation "
                        "through a referral since."
                    )
                    % {"pk": assessment.pk}
                )
        return reasons

    def undo(self, records: list[Assessment]) -> list[AuditEvent]:
        events = [
            event_for(
                Action.DELETE,
                assessment,
                details={"case": assessment.case_id, "import_undone": True},
            )
            for assessment in records
        ]
        for assessment in records:
            assessment.delete()
        return events


SURVEYS = register(SurveyKind())
SCREENINGS = register(ScreeningKind())
ASSESSMENTS = register(AssessmentKind())
