"""Referrals and transfers of households between organisations.

For now a referral shares a household (read-only) with the receiver once accepted; the
case-management work extends it to cases, forms and consent."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases import formdefs
from awda.cases.models import (
    Assessment,
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    FollowUp,
    FormDefinition,
    FormVersion,
    Goal,
    PlanAction,
    Referral,
    ServiceRecord,
)
from awda.common import crypto
from awda.registry.models import Household, Person
from awda.registry.services import EditConflict


def referral_create(
    *,
    by: User,
    household: Household,
    receiving_organisation: Organisation,
    kind: str,
    service: str,
    consent: str,
    consent_note: str = "",
    reason: str = "",
    case: Case | None = None,
    shared_forms: list[str] | None = None,
) -> Referral:
    """Refer (or transfer) a household, or one of its cases, to another organisation.
    The person's consent is recorded; without it, only a supervisor may decide, and must
    say why."""
    if not by.can(Can.REFER) or household.organisation_id != by.organisation_id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if consent == Referral.Consent.OVERRIDE:
        if not by.can(Can.APPROVE_CASES):
            errors["consent"] = [_("Without the person's consent only a supervisor can refer.")]
        elif not consent_note.strip():
            errors["consent_note"] = [_("Say why the referral is made without consent.")]
    elif consent != Referral.Consent.GIVEN:
        errors["consent"] = [
            _("Record the person's consent, or a supervisor's decision without it.")
        ]
    if case is not None and case.household_id != household.pk:
        errors["case"] = [_("The case is not this household's.")]
    shared = sorted(set(shared_forms or []))
    if shared and case is None:
        errors["shared_forms"] = [_("Assessments are shared with a case; choose the case.")]
    elif set(shared) - set(FormDefinition.objects.values_list("slug", flat=True)):
        errors["shared_forms"] = [_("Choose assessment forms from the list.")]
    if receiving_organisation.pk == by.organisation_id:
        errors["receiving_organisation"] = [_("Choose another organisation than yours.")]
    elif not receiving_organisation.is_active:
        errors["receiving_organisation"] = [_("This organisation is no longer active.")]
    if kind not in Referral.Kind.values:
        errors["kind"] = [_("Choose referral or transfer.")]
    if service not in Referral.Service.values:
        errors["service"] = [_("Choose a service from the list.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if consent == Referral.Consent.GIVEN:
            _consent_for(by, household, case, receiving_organisation, consent_note)
        open_one = Referral.objects.filter(
            household=household,
            receiving_organisation=receiving_organisation,
            status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED],
            kind=kind,
            service=service,
        ).exists()
        if open_one:
            raise ValidationError(
                {
                    "receiving_organisation": [
                        _("An open referral for this service to this organisation already exists.")
                    ]
                }
            )
        referral = Referral.objects.create(
            household=household,
            case=case,
            shared_forms=shared,
            consent=consent,
            consent_note=consent_note,
            kind=kind,
            sending_organisation_id=by.organisation_id,
            receiving_organisation=receiving_organisation,
            service=service,
            reason=reason,
            created_by=by,
        )
        audit_record(
            actor=by,
            action=Action.REFER,
            obj=household,
            details={
                "referral": referral.pk,
                "kind": kind,
                "to": receiving_organisation.slug,
                "service": service,
                "consent": consent,
                "case": case.pk if case else None,
                "shared_forms": shared,
            },
        )
    return referral


def _consent_for(
    by: User, household: Household, case: Case | None, recipient: Organisation, note: str
) -> None:
    """A referral or transfer rests on a recorded consent for that organisation: of the
    person the case is about, or of the head of household for the family."""
    from awda.consent.services import referral_subject, require_consent_for_referral

    head = household.members.filter(relationship=Person.Relationship.HEAD).first()
    subject = referral_subject(head, case.person if case is not None else None)
    if subject is None:
        raise ValidationError({"consent": [_("The household has no head to consent for it.")]})
    require_consent_for_referral(by=by, subject=subject, recipient=recipient, note=note)


def referral_end_on_withdrawn_consent(*, referral: Referral, by: User) -> Referral:
    """The consent a referral rested on was withdrawn: the receiver's access ends."""
    if referral.sending_organisation_id != by.organisation_id:
        raise PermissionDenied
    return _end(
        referral=referral,
        by=by,
        status=Referral.Status.REVOKED,
        allowed_from={Referral.Status.PENDING, Referral.Status.ACCEPTED},
    )


def _respond(*, referral: Referral, by: User, status: str, note: str) -> Referral:
    if (
        not by.can(Can.RESPOND_TO_REFERRAL)
        or referral.receiving_organisation_id != by.organisation_id
    ):
        raise PermissionDenied
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.status != Referral.Status.PENDING:
            raise ValidationError({"status": [_("This referral has already been answered.")]})
        current.status = status
        current.responded_by = by
        current.responded_at = timezone.now()
        current.response_note = note
        current.save()
        if status == Referral.Status.ACCEPTED and current.kind == Referral.Kind.TRANSFER:
            _transfer_ownership(current, by)
        audit_record(
            actor=by,
            action=Action.ACCEPT if status == Referral.Status.ACCEPTED else Action.DECLINE,
            obj=current.household,
            details={"referral": current.pk, "kind": current.kind},
        )
    return current


def _transfer_ownership(referral: Referral, by: User) -> None:
    household = Household.objects.select_for_update().get(pk=referral.household_id)
    if household.organisation_id != referral.sending_organisation_id:
        raise ValidationError(
            {"status": [_("The household has changed hands since the transfer was sent.")]}
        )
    if Household.objects.filter(
        organisation_id=referral.receiving_organisation_id, reference=household.reference
    ).exists():
        raise ValidationError(
            {
                "status": [
                    _(
                        "Your organisation already uses the reference %(ref)s; "
                        "ask the sender to change it."
                    )
                    % {"ref": household.reference}
                ]
            }
        )
    old = household.organisation_id
    household.organisation_id = referral.receiving_organisation_id
    household.version += 1
    household.save()
    Person.objects.filter(household=household).update(
        organisation_id=referral.receiving_organisation_id
    )
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=household,
        changes={"organisation": [old, referral.receiving_organisation_id]},
        details={"referral": referral.pk},
    )


def _end(*, referral: Referral, by: User, status: str, allowed_from: set[str]) -> Referral:
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.status not in allowed_from:
            raise ValidationError({"status": [_("This referral cannot be ended now.")]})
        current.status = status
        current.ended_at, current.ended_by = timezone.now(), by
        current.save()
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current.household,
            changes={"referral_status": [Referral.Status.ACCEPTED, status]},
            details={"referral": current.pk},
        )
    return current


def referral_complete(*, referral: Referral, by: User) -> Referral:
    """The receiver has given the service: its access ends."""
    if (
        not by.can(Can.RESPOND_TO_REFERRAL)
        or referral.receiving_organisation_id != by.organisation_id
    ):
        raise PermissionDenied
    if referral.kind != Referral.Kind.REFERRAL:
        raise ValidationError({"kind": [_("A transfer is not completed; it moves the household.")]})
    return _end(
        referral=referral,
        by=by,
        status=Referral.Status.COMPLETED,
        allowed_from={Referral.Status.ACCEPTED},
    )


def referral_revoke(*, referral: Referral, by: User) -> Referral:
    """The sender withdraws the referral (waiting or accepted): the receiver's access ends."""
    if not by.can(Can.REFER) or referral.sending_organisation_id != by.organisation_id:
        raise PermissionDenied
    if referral.kind == Referral.Kind.TRANSFER and referral.status == Referral.Status.ACCEPTED:
        raise ValidationError({"status": [_("An accepted transfer cannot be revoked.")]})
    return _end(
        referral=referral,
        by=by,
        status=Referral.Status.REVOKED,
        allowed_from={Referral.Status.PENDING, Referral.Status.ACCEPTED},
    )


def referral_accept(*, referral: Referral, by: User, note: str = "") -> Referral:
    return _respond(referral=referral, by=by, status=Referral.Status.ACCEPTED, note=note)


def referral_decline(*, referral: Referral, by: User, note: str = "") -> Referral:
    return _respond(referral=referral, by=by, status=Referral.Status.DECLINED, note=note)


# -- cases ------------------------------------------------------------------------------------

# The steps a caseworker takes; the case plan and the closure need a supervisor instead.
FORWARD = {
    Case.Status.NEW: {Case.Status.ASSESSMENT},
    Case.Status.ASSESSMENT: {Case.Status.CASE_PLAN},
    Case.Status.CASE_PLAN: set(),  # approval of the plan moves it to services
    Case.Status.SERVICES: {Case.Status.MONITORING},
    Case.Status.MONITORING: {Case.Status.SERVICES},
    Case.Status.CLOSED: set(),  # reopening is its own step
}


def _require_case_owner(by: User, case: Case) -> None:
    """Cases are worked on by caseworkers and supervisors of the organisation that owns
    them (a receiving organisation reads a referred case, nothing more)."""
    if not by.can(Can.MANAGE_CASES) or case.organisation_id != by.organisation_id:
        raise PermissionDenied


def _case_locked(case: Case, expected_version: int | None) -> Case:
    """The case as saved now, locked for the step; EditConflict if it is no longer at the
    version the page or client read (the check is the UPDATE itself: see
    awda.registry.services._locked). Without a version, each step's own rule on the
    status it starts from still holds."""
    if expected_version is not None:
        claimed = Case.objects.filter(pk=case.pk, version=expected_version).update(
            version=F("version")
        )
        if not claimed:
            raise EditConflict
    return Case.objects.select_for_update().get(pk=case.pk)


def _event(case: Case, by: User, kind: str, *, before: str = "", comment: str = "") -> None:
    CaseEvent.objects.create(
        case=case, kind=kind, from_status=before, to_status=case.status, comment=comment, by=by
    )
    audit_record(
        actor=by,
        action=Action.CASE_STEP,
        obj=case,
        changes={"status": [before, case.status]} if before and before != case.status else {},
        details={"step": kind, "household": case.household_id},
    )


def case_open(
    *,
    by: User,
    household: Household,
    person: Person | None = None,
    assigned_to: User | None = None,
    risk: str = Case.Risk.MEDIUM,
) -> Case:
    """Open a case for a household of the caseworker's organisation, or for one of its
    members."""
    if not by.can(Can.MANAGE_CASES) or household.organisation_id != by.organisation_id:
        raise PermissionDenied
    if person is not None and person.household_id != household.pk:
        raise ValidationError({"person": [_("Choose a member of this household.")]})
    if assigned_to is not None and (
        assigned_to.organisation_id != by.organisation_id or not assigned_to.can(Can.MANAGE_CASES)
    ):
        raise ValidationError({"assigned_to": [_("Assign a caseworker of your organisation.")]})
    if risk not in Case.Risk.values:
        raise ValidationError({"risk": [_("Choose a risk level from the list.")]})
    today = timezone.localdate()
    with transaction.atomic():
        case = Case.objects.create(
            organisation_id=household.organisation_id,
            household=household,
            person=person,
            reference=f"tmp-{household.pk}-{timezone.now().timestamp()}",
            assigned_to=assigned_to or by,
            risk=risk,
            opened_on=today,
            opened_by=by,
        )
        case.reference = f"C-{household.organisation.slug.upper()}-{today.year}-{case.pk:06d}"
        case.save(update_fields=["reference"])
        _event(case, by, CaseEvent.Kind.OPENED)
    return case


def case_move(
    *, by: User, case: Case, to: str, comment: str = "", expected_version: int | None = None
) -> Case:
    """A caseworker's step forward (or from monitoring back to services)."""
    _require_case_owner(by, case)
    with transaction.atomic():
        current = _case_locked(case, expected_version)
        if current.awaiting:
            raise ValidationError(
                {"status": [_("The case is waiting for a supervisor's decision.")]}
            )
        if to not in FORWARD[Case.Status(current.status)]:
            raise ValidationError(
                {
                    "status": [
                        _("A case cannot go from %(a)s to %(b)s.")
                        % {
                            "a": current.get_status_display(),
                            "b": Case.Status(to).label if to in Case.Status.values else to,
                        }
                    ]
                }
            )
        before = current.status
        current.status = to
        current.version += 1
        current.save()
        _event(current, by, CaseEvent.Kind.MOVED, before=before, comment=comment)
    return current


def case_submit(
    *, by: User, case: Case, what: str, comment: str = "", expected_version: int | None = None
) -> Case:
    """Send the case plan, or the closure, to a supervisor."""
    _require_case_owner(by, case)
    with transaction.atomic():
        current = _case_locked(case, expected_version)
        if current.awaiting:
            raise ValidationError({"status": [_("Something is already waiting for approval.")]})
        if what == Case.Approval.CASE_PLAN and current.status != Case.Status.CASE_PLAN:
            raise ValidationError(
                {"status": [_("Only a case at the case plan step can send its plan.")]}
            )
        if what == Case.Approval.CLOSURE and current.status == Case.Status.CLOSED:
            raise ValidationError({"status": [_("The case is closed already.")]})
        if what not in (Case.Approval.CASE_PLAN, Case.Approval.CLOSURE):
            raise ValidationError({"awaiting": [_("Send the case plan or the closure.")]})
        current.awaiting = what
        current.version += 1
        current.save()
        _event(current, by, CaseEvent.Kind.SUBMITTED, before=current.status, comment=comment)
    return current


def case_decide(
    *,
    by: User,
    case: Case,
    approve: bool,
    comment: str = "",
    expected_version: int | None = None,
) -> Case:
    """A supervisor approves what is waiting, or returns it with comments."""
    if not by.can(Can.APPROVE_CASES) or case.organisation_id != by.organisation_id:
        raise PermissionDenied
    if not approve and not comment.strip():
        raise ValidationError({"comment": [_("Say what needs changing.")]})
    with transaction.atomic():
        current = _case_locked(case, expected_version)
        if not current.awaiting:
            raise ValidationError({"status": [_("Nothing is waiting for approval.")]})
        before = current.status
        if approve:
            if current.awaiting == Case.Approval.CASE_PLAN:
                current.status = Case.Status.SERVICES
            else:
                current.status = Case.Status.CLOSED
                current.closed_on = timezone.localdate()
        current.awaiting = ""
        current.version += 1
        current.save()
        kind = CaseEvent.Kind.APPROVED if approve else CaseEvent.Kind.RETURNED
        _event(current, by, kind, before=before, comment=comment)
    return current


def case_reopen(*, by: User, case: Case, comment: str, expected_version: int | None = None) -> Case:
    _require_case_owner(by, case)
    if not comment.strip():
        raise ValidationError({"comment": [_("Say why the case is reopened.")]})
    with transaction.atomic():
        current = _case_locked(case, expected_version)
        if current.status != Case.Status.CLOSED:
            raise ValidationError({"status": [_("Only a closed case can be reopened.")]})
        current.status = Case.Status.ASSESSMENT
        current.closed_on = None
        current.version += 1
        current.save()
        _event(current, by, CaseEvent.Kind.REOPENED, before=Case.Status.CLOSED, comment=comment)
    return current


def case_assign(*, by: User, case: Case, to: User, expected_version: int | None = None) -> Case:
    _require_case_owner(by, case)
    if to.organisation_id != by.organisation_id or not to.can(Can.MANAGE_CASES):
        raise ValidationError({"assigned_to": [_("Assign a caseworker of your organisation.")]})
    with transaction.atomic():
        current = _case_locked(case, expected_version)
        current.assigned_to = to
        current.version += 1
        current.save()
        _event(current, by, CaseEvent.Kind.ASSIGNED, comment=to.username)
    return current


def _refresh_next_due(case: Case) -> None:
    """The case's next action due is its earliest open follow-up."""
    earliest = FollowUp.objects.filter(case=case, done_on__isnull=True).order_by("due_on").first()
    Case.objects.filter(pk=case.pk).update(next_due_on=earliest.due_on if earliest else None)


def follow_up_add(
    *, by: User, case: Case, title: str, due_on: datetime.date, assigned_to: User | None = None
) -> FollowUp:
    _require_case_owner(by, case)
    assignee = assigned_to or case.assigned_to or by
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Say what is to be done.")]
    if assignee.organisation_id != by.organisation_id:
        errors["assigned_to"] = [_("Assign someone of your organisation.")]
    if case.status == Case.Status.CLOSED:
        errors["case"] = [_("The case is closed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            case=case, title=title.strip(), due_on=due_on, assigned_to=assignee, created_by=by
        )
        _refresh_next_due(case)
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=follow_up,
            details={"case": case.pk, "due_on": due_on},
        )
    return follow_up


def follow_up_done(*, by: User, follow_up: FollowUp) -> FollowUp:
    _require_case_owner(by, follow_up.case)
    with transaction.atomic():
        current = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if current.done_on is None:
            current.done_on = timezone.localdate()
            current.save()
            _refresh_next_due(current.case)
            audit_record(
                actor=by,
                action=Action.UPDATE,
                obj=current,
                changes={"done_on": [None, current.done_on]},
            )
    return current


# -- case plan, services, notes ---------------------------------------------------------------


def _require_case_writer(by: User, case: Case) -> None:
    _require_case_owner(by, case)
    if case.status == Case.Status.CLOSED:
        raise ValidationError({"case": [_("The case is closed.")]})


def goal_add(*, by: User, case: Case, title: str) -> Goal:
    _require_case_writer(by, case)
    if not title.strip():
        raise ValidationError({"title": [_("Say what the goal is.")]})
    with transaction.atomic():
        goal = Goal.objects.create(case=case, title=title.strip()[:200], created_by=by)
        audit_record(actor=by, action=Action.CREATE, obj=goal, details={"case": case.pk})
    return goal


def goal_set_status(*, by: User, goal: Goal, status: str) -> Goal:
    _require_case_writer(by, goal.case)
    if status not in Goal.Status.values:
        raise ValidationError({"status": [_("Choose a status from the list.")]})
    with transaction.atomic():
        before = goal.status
        goal.status = status
        goal.save()
        audit_record(actor=by, action=Action.UPDATE, obj=goal, changes={"status": [before, status]})
    return goal


def action_add(
    *, by: User, goal: Goal, title: str, owner: User, due_on: datetime.date
) -> PlanAction:
    _require_case_writer(by, goal.case)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Say what is to be done.")]
    if owner.organisation_id != by.organisation_id:
        errors["owner"] = [_("Assign someone of your organisation.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        step = PlanAction.objects.create(
            goal=goal, title=title.strip()[:200], owner=owner, due_on=due_on
        )
        audit_record(
            actor=by, action=Action.CREATE, obj=step, details={"goal": goal.pk, "due_on": due_on}
        )
    return step


def action_done(*, by: User, step: PlanAction) -> PlanAction:
    _require_case_writer(by, step.goal.case)
    with transaction.atomic():
        if step.done_on is None:
            step.done_on = timezone.localdate()
            step.save()
            audit_record(
                actor=by, action=Action.UPDATE, obj=step, changes={"done_on": [None, step.done_on]}
            )
    return step


def service_record(
    *,
    by: User,
    case: Case,
    service: str,
    channel: str,
    delivered_on: datetime.date,
    referral: Referral | None = None,
    note: str = "",
) -> ServiceRecord:
    _require_case_writer(by, case)
    errors: dict[str, list[str]] = {}
    if service not in Referral.Service.values:
        errors["service"] = [_("Choose a service from the list.")]
    if channel not in ServiceRecord.Channel.values:
        errors["channel"] = [_("Say whether you gave it or a referral did.")]
    if channel == ServiceRecord.Channel.REFERRAL and (
        referral is None or referral.household_id != case.household_id
    ):
        errors["referral"] = [_("Choose the referral of this household that gave it.")]
    if delivered_on > timezone.localdate():
        errors["delivered_on"] = [_("The date is in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            case=case,
            service=service,
            channel=channel,
            referral=referral if channel == ServiceRecord.Channel.REFERRAL else None,
            delivered_on=delivered_on,
            note=note[:300],
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=record,
            details={"case": case.pk, "service": service},
        )
    return record


def note_add(*, by: User, case: Case, text: str) -> CaseNote:
    _require_case_writer(by, case)
    if not text.strip():
        raise ValidationError({"text": [_("The note is empty.")]})
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, text=text.strip(), written_by=by)
        # the text is personal and often sensitive: the audit says a note was written
        audit_record(actor=by, action=Action.CREATE, obj=note, details={"case": case.pk})
    return note


# -- assessment forms -------------------------------------------------------------------------


def form_version_add(
    *, by: User, form: FormDefinition, fields: list[dict[str, Any]]
) -> FormVersion:
    """A new version of a form (answers given with earlier versions keep theirs)."""
    if not by.can(Can.MANAGE_FORMS):
        raise PermissionDenied
    try:
        checked = formdefs.check_fields(fields)
    except formdefs.FormError as error:
        raise ValidationError({"fields": error.problems}) from error
    with transaction.atomic():
        latest = (
            FormVersion.objects.select_for_update().filter(form=form).order_by("-number").first()
        )
        version = FormVersion.objects.create(
            form=form, number=(latest.number + 1) if latest else 1, fields=checked, created_by=by
        )
        audit_record(actor=by, action=Action.CREATE, obj=version, details={"form": form.slug})
    return version


def form_import_xlsform(*, by: User, content: bytes, slug: str = "") -> FormVersion:
    """A form from an XLSForm workbook: a new version of the form with the same id, or a
    new form."""
    if not by.can(Can.MANAGE_FORMS):
        raise PermissionDenied
    try:
        settings, fields = formdefs.from_xlsform(content)
    except formdefs.FormError as error:
        raise ValidationError({"file": error.problems}) from error
    slug = slugify(slug or settings["id"] or settings["title"])[:60]
    if not slug:
        raise ValidationError({"file": [_("Give the form an id (settings sheet, form_id).")]})
    title = settings["title"] or slug
    form, _created = FormDefinition.objects.get_or_create(
        slug=slug, defaults={"title_ar": title, "title_en": title}
    )
    return form_version_add(by=by, form=form, fields=fields)


def assessment_record(
    *, by: User, case: Case, version: FormVersion, raw: dict[str, Any]
) -> Assessment:
    """Answers to a form for a case, checked against the version given, skipped
    questions dropped."""
    _require_case_writer(by, case)
    try:
        answers = formdefs.clean_answers(version.fields, raw)
    except formdefs.FormError as error:
        raise ValidationError({"answers": error.problems}) from error
    with transaction.atomic():
        assessment = Assessment.objects.create(
            case=case, form_version=version, answers=answers, recorded_by=by
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=assessment,
            details={"case": case.pk, "form": version.form.slug, "version": version.number},
        )
    return assessment


# -- attachments ------------------------------------------------------------------------------

# What a file's first bytes must be for each accepted type: the name and the browser's
# word are not trusted.
_SIGNATURES = {
    Attachment.Kind.PDF: (b"%PDF-",),
    Attachment.Kind.JPEG: (b"\xff\xd8\xff",),
    Attachment.Kind.PNG: (b"\x89PNG\r\n\x1a\n",),
}


def attachment_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "attachments"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def attachment_add(*, by: User, case: Case, title: str, content: bytes) -> Attachment:
    """Store a file for the case, encrypted. Only PDF, JPEG and PNG, by their content,
    up to AWDA_ATTACHMENT_MAX_MB."""
    _require_case_writer(by, case)
    errors: dict[str, list[str]] = {}
    kind = next(
        (k for k, signatures in _SIGNATURES.items() if content.startswith(signatures)), None
    )
    if not title.strip():
        errors["title"] = [_("Give the file a title.")]
    if not content:
        errors["file"] = [_("The file is empty.")]
    elif len(content) > settings.ATTACHMENT_MAX_BYTES:
        errors["file"] = [
            _("The file is larger than %(mb)s MB.")
            % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        ]
    elif kind is None:
        errors["file"] = [_("Only PDF, JPEG and PNG files can be attached.")]
    if errors or kind is None:
        raise ValidationError(errors)
    name = f"{uuid.uuid4().hex}.bin"
    path = attachment_folder() / name
    path.write_bytes(crypto.encrypt(content))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                case=case,
                title=title.strip()[:200],
                content_type=kind,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                stored_as=name,
                uploaded_by=by,
            )
            audit_record(
                actor=by,
                action=Action.CREATE,
                obj=attachment,
                details={"case": case.pk, "size": len(content)},
            )
    except Exception:
        path.unlink(missing_ok=True)  # nothing half-written
        raise
    return attachment


def attachment_read(*, by: User, attachment: Attachment) -> bytes:
    """The clear content, checked against its checksum; the read is audited."""
    content = crypto.decrypt((attachment_folder() / attachment.stored_as).read_bytes())
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise ValidationError(_("The stored file does not match what was uploaded."))
    audit_record(actor=by, action=Action.VIEW, obj=attachment, details={"case": attachment.case_id})
    return content
