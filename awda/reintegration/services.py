"""Reintegration writes: scheduling a household's follow-ups when it arrives home,
recording a survey (scored here) or a missed follow-up, and loading survey instruments.

Only the organisation that owns the household schedules and records its follow-ups (the
callers fetch the household through the selectors first, so another organisation never
gets this far: it sees a 404)."""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.registry.models import Household
from awda.reintegration import instruments
from awda.reintegration.models import FollowUp, Survey, SurveyInstrument
from awda.returns.models import Homecoming
from awda.returns.pipeline import stage_refresh

# A survey without a named follow-up answers the earliest follow-up still due whose due
# date is at most this many days before or after the survey's date.
MATCH_WINDOW_DAYS = 45


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months later, or the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_owner(by: User, household: Household) -> None:
    if by.organisation_id is None or household.organisation_id != by.organisation_id:
        raise PermissionDenied


def follow_ups_schedule(
    *, by: User, household: Household, arrived_on: datetime.date
) -> list[FollowUp]:
    """Follow-ups 1, 3, 6 and 12 months after `arrived_on`. Idempotent: run again (with
    a corrected arrival date) it moves the follow-ups still due and leaves those done,
    missed or cancelled alone. Called by the returns app when an arrival home is
    recorded, so recording arrivals (MANAGE_MOVEMENTS) is enough to schedule them."""
    if not (by.can(Can.RECORD_FOLLOW_UP) or by.can(Can.MANAGE_MOVEMENTS)):
        raise PermissionDenied
    _check_owner(by, household)
    if arrived_on > timezone.localdate():
        raise ValidationError({"arrived_on": [_("The arrival date is in the future.")]})
    with transaction.atomic():
        existing = {
            f.months: f for f in FollowUp.objects.select_for_update().filter(household=household)
        }
        created: list[int] = []
        moved: list[int] = []
        schedule: list[FollowUp] = []
        for months in FollowUp.MONTHS:
            due_on = add_months(arrived_on, months)
            follow_up = existing.get(months)
            if follow_up is None:
                follow_up = FollowUp.objects.create(
                    organisation_id=household.organisation_id,
                    household=household,
                    months=months,
                    due_on=due_on,
                )
                created.append(follow_up.pk)
            elif follow_up.status == FollowUp.Status.DUE and follow_up.due_on != due_on:
                follow_up.due_on = due_on
                follow_up.save(update_fields=["due_on", "updated_at"])
                moved.append(follow_up.pk)
            schedule.append(follow_up)
        if created or moved:
            audit_record(
                actor=by,
                # The household's file gains follow-ups: a change to it, not its creation.
                action=Action.UPDATE,
                obj=household,
                details={
                    "reintegration_follow_ups": {"created": created, "rescheduled": moved},
                    "arrived_on": arrived_on.isoformat(),
                },
            )
    return schedule


def follow_up_mark_missed(*, by: User, follow_up: FollowUp, note: str) -> FollowUp:
    """A follow-up that could not be done (the family could not be reached, moved away…),
    with a note saying why. The note stays out of the audit trail."""
    if not by.can(Can.RECORD_FOLLOW_UP):
        raise PermissionDenied
    if by.organisation_id is None or follow_up.organisation_id != by.organisation_id:
        raise PermissionDenied
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Say why the follow-up could not be done.")]})
    with transaction.atomic():
        current = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if current.status != FollowUp.Status.DUE:
            raise ValidationError(
                {
                    "status": [
                        _("This follow-up is already %(status)s.")
                        % {"status": current.get_status_display().lower()}
                    ]
                }
            )
        if current.due_on > timezone.localdate():
            raise ValidationError(
                {"status": [_("A follow-up cannot be marked missed before its due date.")]}
            )
        current.status = FollowUp.Status.MISSED
        current.note = note[:2000]
        current.save(update_fields=["status", "note", "updated_at"])
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current.household,
            details={"reintegration_follow_up": current.pk, "status": "missed"},
        )
    return current


def _matching_follow_up(household: Household, on: datetime.date) -> FollowUp | None:
    window = datetime.timedelta(days=MATCH_WINDOW_DAYS)
    return (
        FollowUp.objects.select_for_update()
        .filter(
            household=household,
            status=FollowUp.Status.DUE,
            due_on__gte=on - window,
            due_on__lte=on + window,
        )
        .order_by("due_on", "id")
        .first()
    )


def survey_record(
    *,
    by: User,
    household: Household,
    instrument: SurveyInstrument,
    answers: object,
    conducted_on: datetime.date,
    follow_up: FollowUp | None = None,
) -> Survey:
    """Check, score and store a reintegration survey of a household that arrived home,
    and mark its follow-up done: the one given, or else the earliest follow-up still due
    whose due date is within 45 days of the survey's date (none: the survey stands on
    its own). The household's stage becomes "followed up". The audit entry names the
    survey and the instrument, never answers or scores."""
    if not by.can(Can.RECORD_FOLLOW_UP):
        raise PermissionDenied
    _check_owner(by, household)
    if not instrument.is_active:
        raise ValidationError({"instrument": [_("This survey instrument is not in use.")]})
    newest = (
        SurveyInstrument.objects.filter(code=instrument.code, is_active=True)
        .order_by("-version")
        .first()
    )
    if newest is not None and newest.pk != instrument.pk:
        raise ValidationError(
            {
                "instrument": [
                    _("Version %(old)s of %(code)s is replaced by version %(new)s; use that.")
                    % {"old": instrument.version, "code": instrument.code, "new": newest.version}
                ]
            }
        )
    homecoming = Homecoming.objects.filter(household=household).first()
    if homecoming is None:
        raise ValidationError(
            {
                "household": [
                    _(
                        "The household's arrival home is not recorded; reintegration "
                        "surveys start after it."
                    )
                ]
            }
        )
    if conducted_on > timezone.localdate():
        raise ValidationError({"conducted_on": [_("The survey date is in the future.")]})
    if conducted_on < homecoming.arrived_on:
        raise ValidationError(
            {
                "conducted_on": [
                    _("The survey date is before the arrival home (%(date)s).")
                    % {"date": homecoming.arrived_on.isoformat()}
                ]
            }
        )
    definition = instruments.parse(instrument.definition)
    try:
        clean = definition.check(answers)
    except instruments.AnswerError as error:
        raise ValidationError({"answers": error.messages}) from error
    scores = definition.score(clean)
    with transaction.atomic():
        if follow_up is not None:
            follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up.pk).first()
            if follow_up is None or follow_up.household_id != household.pk:
                raise ValidationError(
                    {"follow_up": [_("This follow-up is not one of the household's.")]}
                )
            if follow_up.status != FollowUp.Status.DUE:
                raise ValidationError(
                    {
                        "follow_up": [
                            _("This follow-up is already %(status)s.")
                            % {"status": follow_up.get_status_display().lower()}
                        ]
                    }
                )
        else:
            follow_up = _matching_follow_up(household, conducted_on)
        try:
            with transaction.atomic():
                survey = Survey.objects.create(
                    organisation_id=household.organisation_id,
                    household=household,
                    follow_up=follow_up,
                    instrument=instrument,
                    answers=clean,
                    conducted_on=conducted_on,
                    conducted_by=by,
                    **scores.as_dict(),
                )
        except IntegrityError:  # the follow-up was answered at the same moment
            raise ValidationError(
                {"follow_up": [_("This follow-up was just recorded by someone else.")]}
            ) from None
        if follow_up is not None:
            follow_up.status = FollowUp.Status.DONE
            follow_up.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=survey,
            details={
                "household": household.pk,
                "reintegration_survey": survey.pk,
                "instrument": instrument.code,
                "version": instrument.version,
                "follow_up": follow_up.pk if follow_up else None,
            },
        )
        stage_refresh(household)
    return survey


def instrument_load(
    *, by: User | None, definition: object, activate: bool = False
) -> SurveyInstrument:
    """Load a survey instrument (a new code, or a new version of one) from its
    definition, checked first: any problem and nothing is loaded, every problem named.
    A loaded code and version is never overwritten. `by` is None for the command line.
    Loaded inactive unless `activate`; the newest active version of a code is the one
    new surveys use."""
    if by is not None and not by.can(Can.MANAGE_FORMS):
        raise PermissionDenied
    if not isinstance(definition, dict):
        raise ValidationError({"definition": [_("The definition must be a JSON object.")]})
    try:
        parsed = instruments.parse(definition)
    except instruments.DefinitionError as error:
        raise ValidationError({"definition": error.problems}) from error
    taken = ValidationError(
        {
            "definition": [
                _(
                    "code and version: %(code)s version %(version)s is already loaded; "
                    "give the new definition a higher version."
                )
                % {"code": parsed.code, "version": parsed.version}
            ]
        }
    )
    if SurveyInstrument.objects.filter(code=parsed.code, version=parsed.version).exists():
        raise taken
    try:
        with transaction.atomic():
            instrument = SurveyInstrument.objects.create(
                code=parsed.code,
                version=parsed.version,
                name_ar=parsed.name_ar,
                name_en=parsed.name_en,
                is_default=parsed.default,
                is_active=activate,
                definition=definition,
                loaded_by=by,
            )
            audit_record(
                actor=by,
                action=Action.IMPORT,
                obj=instrument,
                details={"code": parsed.code, "version": parsed.version, "active": activate},
            )
    except IntegrityError:
        raise taken from None
    return instrument


def instrument_set_active(
    *, by: User, instrument: SurveyInstrument, active: bool
) -> SurveyInstrument:
    """Put an instrument in use, or out of use (surveys recorded with it keep it)."""
    if not by.can(Can.MANAGE_FORMS):
        raise PermissionDenied
    with transaction.atomic():
        SurveyInstrument.objects.filter(pk=instrument.pk).update(is_active=active)
        instrument.is_active = active
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=instrument,
            details={"code": instrument.code, "version": instrument.version, "active": active},
        )
    return instrument
