"""Writes for data protection rights: subject access exports, correction requests,
anonymisation (on request, or by a retention rule) and the retention rules themselves.

Only the data protection officer of the person's organisation acts here (Can.SEARCH_AUDIT
stands for their role). A service given `by=None` is run by an operator from the command
line (`awda subject_access`, `awda apply_retention`), whose account name goes in
`operator`."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import (
    SENSITIVE,
    audit_record,
    audit_record_many,
    diff,
    event_for,
    object_type_of,
    snapshot,
)
from awda.cases.models import Case, Referral
from awda.cases.services import attachment_folder
from awda.registry.models import Person
from awda.rights import anonymisation
from awda.rights.access import registrations_of, subject_access_data
from awda.rights.models import Anonymisation, CorrectionRequest, RetentionRule
from awda.rights.redaction import wipe
from awda.tracing.models import Candidate, TracingRequest

log = logging.getLogger(__name__)

REASON_LIMIT = 500
REQUEST_LIMIT = 2000
FORMATS = ("json", "pdf")


def _officer_of(by: User | None, organisation_id: int | None) -> None:
    """The data protection officer of that organisation, or an operator (None)."""
    if by is None:
        return
    if not by.can(Can.SEARCH_AUDIT) or by.organisation_id != organisation_id:
        raise PermissionDenied


def _operator_details(operator: str) -> dict[str, str]:
    return {"operator": operator[:64]} if operator else {}


# -- subject access -------------------------------------------------------------------------


def subject_access_export(
    *, by: User | None, person: Person, fmt: str, operator: str = ""
) -> bytes:
    """Everything held on the person, as JSON or as a PDF in Arabic; recorded as an
    export (the person's number and the format: nothing of the content)."""
    from awda.rights.pdf import subject_access_pdf

    _officer_of(by, person.organisation_id)
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("Choose JSON or PDF.")]})
    data = subject_access_data(person)
    if fmt == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    else:
        content = subject_access_pdf(data, organisation=person.organisation.name_ar)
    audit_record(
        actor=by,
        action=Action.EXPORT,
        obj=person,
        details={"subject_access": fmt, **_operator_details(operator)},
    )
    return content


# -- correction -----------------------------------------------------------------------------


def _keep_under(limit: int) -> str:
    return ngettext(
        "Keep it under %(limit)s character.", "Keep it under %(limit)s characters.", limit
    ) % {"limit": limit}


def _request_errors(text: str, field: str) -> dict[str, list[str]]:
    if len(text) > REQUEST_LIMIT:
        return {field: [_keep_under(REQUEST_LIMIT)]}
    return {}


def correction_record(
    *, by: User, person: Person, received_on: datetime.date, request: str
) -> CorrectionRequest:
    """A person asked for a correction: what they asked and when."""
    _officer_of(by, person.organisation_id)
    request = request.strip()
    errors = _request_errors(request, "request")
    if not request:
        errors["request"] = [_("Say what the person asked to correct.")]
    if received_on > timezone.localdate():
        errors["received_on"] = [_("The date is in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        correction = CorrectionRequest.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            received_on=received_on,
            request=request,
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=correction,
            details={"person": person.pk, "received_on": received_on},
        )
    return correction


def correction_decide(
    *,
    by: User,
    correction: CorrectionRequest,
    expected_version: int,
    decision: str,
    note: str,
    decided_on: datetime.date,
) -> CorrectionRequest:
    """The officer's decision on a request: corrected, partly, or refused (saying why)."""
    from awda.registry.services import EditConflict

    _officer_of(by, correction.organisation_id)
    note = note.strip()
    errors = _request_errors(note, "decision_note")
    if decision not in CorrectionRequest.Decision.values:
        errors["decision"] = [_("Choose a decision.")]
    elif decision != CorrectionRequest.Decision.CORRECTED and not note:
        errors["decision_note"] = [_("Say what was not corrected, and why.")]
    if decided_on > timezone.localdate():
        errors["decided_on"] = [_("The date is in the future.")]
    elif decided_on < correction.received_on:
        errors["decided_on"] = [_("The decision cannot come before the request.")]
    if errors:
        raise ValidationError(errors)
    fields = ("decision", "decision_note", "decided_on")
    with transaction.atomic():
        current = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
        if current.version != expected_version:
            raise EditConflict
        before = snapshot(current, fields)
        current.decision, current.decision_note, current.decided_on = decision, note, decided_on
        current.decided_by = by
        changes = diff(before, snapshot(current, fields), sensitive=["decision_note"])
        if changes:
            current.version += 1
            current.save()
            audit_record(actor=by, action=Action.UPDATE, obj=current, changes=changes)
    return current


# -- anonymisation --------------------------------------------------------------------------

NAME_AND_BIRTH = (
    *(f"{part}_{script}" for part in anonymisation.NAME_PARTS for script in ("ar", "lat")),
    "date_of_birth",
    "dob_precision",
)


def _check_reason(basis: str, reason: str) -> str:
    reason = " ".join(reason.split())
    errors: dict[str, list[str]] = {}
    if basis not in Anonymisation.Basis.values:
        errors["basis"] = [_("Choose the basis.")]
    if not reason:
        errors["reason"] = [_("Give the reason.")]
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = [_keep_under(REASON_LIMIT)]
    if errors:
        raise ValidationError(errors)
    return reason


def _delete_files(names: Iterable[str]) -> None:
    folder = attachment_folder()
    for name in names:
        try:
            (folder / Path(name).name).unlink(missing_ok=True)
        except OSError:
            log.warning("An anonymised case's attached file could not be deleted.")


def _already(obj: Any) -> bool:
    return Anonymisation.objects.filter(object_type=object_type_of(obj), object_id=obj.pk).exists()


def _record(
    work: anonymisation.Work,
    *,
    obj: Any,
    organisation_id: int,
    basis: str,
    reason: str,
    by: User | None,
    rule: RetentionRule | None,
    operator: str,
    person: Person | None = None,
) -> Anonymisation:
    record = Anonymisation.objects.create(
        organisation_id=organisation_id,
        object_type=object_type_of(obj),
        object_id=obj.pk,
        person=person,
        basis=basis,
        reason=reason,
        rule=rule,
        by=by,
        operator=operator[:64],
        counts=dict(sorted(work.counts.items())),
    )
    files = list(work.files)
    if files:
        # The rows are gone with this transaction; the files go once it has committed.
        transaction.on_commit(lambda: _delete_files(files))
    return record


def _details(record: Anonymisation, operator: str) -> dict[str, Any]:
    return {
        "anonymisation": record.pk,
        "basis": record.basis,
        "rule": record.rule_id,
        "counts": record.counts,
        **_operator_details(operator),
    }


def anonymise_person(
    *,
    by: User | None,
    person: Person,
    reason: str,
    basis: str = Anonymisation.Basis.ERASURE,
    rule: RetentionRule | None = None,
    operator: str = "",
) -> Anonymisation:
    """Make a person anonymous for good, keeping every countable fact (see
    awda.rights.anonymisation): names and the exact date of birth replaced, their own
    free text replaced, their names taken out of their family's records, their attached
    files deleted, their name keys removed (search and tracing no longer find them),
    their consents revoked. The audit trail is not touched but appended to: an entry for
    the anonymisation (counts only) and one for the person (which fields changed)."""
    _officer_of(by, person.organisation_id)
    reason = _check_reason(basis, reason)
    if person.merged_into_id is not None:
        raise ValidationError(
            {"person": [_("This registration was merged into another: anonymise that one.")]}
        )
    with transaction.atomic():
        current = Person.objects.select_for_update().get(pk=person.pk)
        if _already(current):
            raise ValidationError({"person": [_("This person is already anonymised.")]})
        people = registrations_of(current)
        before = {p.pk: snapshot(p, NAME_AND_BIRTH) for p in people}
        work = anonymisation.Work()
        reason = anonymisation.anonymise_people(work, people, by=by, reason=reason)
        record = _record(
            work,
            obj=current,
            organisation_id=current.organisation_id,
            person=current,
            basis=basis,
            reason=reason,
            by=by,
            rule=rule,
            operator=operator,
        )
        events = [
            event_for(Action.CREATE, record, details=_details(record, operator)),
            *(
                event_for(
                    Action.UPDATE,
                    p,
                    changes=dict.fromkeys(
                        diff(before[p.pk], snapshot(p, NAME_AND_BIRTH)),
                        SENSITIVE,
                    ),
                    details={"anonymisation": record.pk},
                )
                for p in people
            ),
            *(
                event_for(
                    Action.UPDATE,
                    referral,
                    changes={"status": [None, Referral.Status.REVOKED]},
                    details={"anonymisation": record.pk},
                )
                for referral in Referral.objects.filter(pk__in=work.referrals_ended)
            ),
        ]
        audit_record_many(actor=by, events=events)
    return record


def anonymise_case(
    *,
    by: User | None,
    case: Case,
    reason: str,
    basis: str = Anonymisation.Basis.RETENTION,
    rule: RetentionRule | None = None,
    operator: str = "",
) -> Anonymisation:
    """A case's free text replaced and its attached files deleted; its steps, dates,
    statuses and services (what was given, when) stay, and so do the people it is about."""
    _officer_of(by, case.organisation_id)
    reason = _check_reason(basis, reason)
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=case.pk)
        if _already(current):
            raise ValidationError({"case": [_("This case is already anonymised.")]})
        work = anonymisation.Work()
        anonymisation.case_texts(work, [current.pk], wipe, files=True)
        record = _record(
            work,
            obj=current,
            organisation_id=current.organisation_id,
            basis=basis,
            reason=reason,
            by=by,
            rule=rule,
            operator=operator,
        )
        audit_record_many(
            actor=by,
            events=[
                event_for(Action.CREATE, record, details=_details(record, operator)),
                event_for(Action.UPDATE, current, details={"anonymisation": record.pk}),
            ],
        )
    return record


def anonymise_tracing_request(
    *,
    by: User | None,
    request: TracingRequest,
    reason: str,
    basis: str = Anonymisation.Basis.RETENTION,
    rule: RetentionRule | None = None,
    operator: str = "",
) -> Anonymisation:
    """A tracing request that has ended: the sought person's names, the family's account
    and the names in its candidates' evidence go; its outcome, relationship, dates and
    the family link it made stay."""
    _officer_of(by, request.organisation_id)
    reason = _check_reason(basis, reason)
    with transaction.atomic():
        current = TracingRequest.objects.select_for_update().get(pk=request.pk)
        if _already(current):
            raise ValidationError({"request": [_("This request is already anonymised.")]})
        work = anonymisation.Work()
        requests = TracingRequest.objects.filter(pk=current.pk)
        anonymisation.sought_names_removed(work, requests)
        work.rewrite(requests, ["consent_override"], wipe, "tracing_overrides")
        work.rewrite(
            Candidate.objects.filter(other_request=current),
            ["evidence"],
            anonymisation.blank_given,
            "tracing_evidence",
        )
        record = _record(
            work,
            obj=current,
            organisation_id=current.organisation_id,
            basis=basis,
            reason=reason,
            by=by,
            rule=rule,
            operator=operator,
        )
        audit_record_many(
            actor=by,
            events=[
                event_for(Action.CREATE, record, details=_details(record, operator)),
                event_for(Action.UPDATE, current, details={"anonymisation": record.pk}),
            ],
        )
    return record


# -- retention rules ------------------------------------------------------------------------

RULE_FIELDS = ("record_type", "after_months", "is_active")


def retention_rule_save(
    *,
    by: User,
    record_type: str,
    after_months: int,
    is_active: bool,
    rule: RetentionRule | None = None,
    expected_version: int | None = None,
) -> RetentionRule:
    """Create the organisation's rule for a kind of record, or change one read at
    `expected_version` (a save by someone else since is refused: EditConflict)."""
    from awda.registry.services import EditConflict

    organisation_id = by.organisation_id
    if organisation_id is None:
        raise PermissionDenied
    _officer_of(by, rule.organisation_id if rule else organisation_id)
    errors: dict[str, list[str]] = {}
    if record_type not in RetentionRule.RecordType.values:
        errors["record_type"] = [_("Choose the kind of record.")]
    if after_months < RetentionRule.MIN_MONTHS:
        errors["after_months"] = [
            ngettext(
                "Keep records at least %(n)s month.",
                "Keep records at least %(n)s months.",
                RetentionRule.MIN_MONTHS,
            )
            % {"n": RetentionRule.MIN_MONTHS}
        ]
    elif after_months > 1200:
        errors["after_months"] = [_("Give a number of months up to 1200.")]
    others = RetentionRule.objects.filter(organisation_id=organisation_id, record_type=record_type)
    if rule is not None:
        others = others.exclude(pk=rule.pk)
    if others.exists():
        errors["record_type"] = [_("There is already a rule for these records: change it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if rule is None:
            current = RetentionRule(organisation_id=organisation_id, created_by=by)
            before: dict[str, Any] = {}
        else:
            current = RetentionRule.objects.select_for_update().get(pk=rule.pk)
            if current.version != expected_version:
                raise EditConflict
            before = snapshot(current, RULE_FIELDS)
        current.record_type, current.after_months = record_type, after_months
        current.is_active = is_active
        changes = diff(before, snapshot(current, RULE_FIELDS))
        if changes or rule is None:
            if rule is not None:
                current.version += 1
                current.updated_by = by
            current.save()
            audit_record(
                actor=by,
                action=Action.CREATE if rule is None else Action.UPDATE,
                obj=current,
                changes=changes,
            )
    return current
