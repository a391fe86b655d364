"""Recording screenings and sessions."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import User
from awda.accounts.roles import Can, Role
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Alert
from awda.mhpss.instruments import INSTRUMENTS, AnswerError
from awda.mhpss.models import Screening, Session
from awda.registry.models import Person

ALERT_ROLES = [Role.MHPSS.value, Role.SUPERVISOR.value]


def _organisation(user: User) -> int:
    if user.organisation_id is None:
        raise PermissionDenied
    return user.organisation_id


def screening_record(
    *,
    by: User,
    person: Person,
    instrument: str,
    answers: object,
    on: datetime.date | None = None,
) -> Screening:
    """Score and store a screening; a risk flag raises an alert to the organisation's
    MHPSS workers and supervisors. The audit entry says that a screening was recorded,
    never its answers or score."""
    if not by.can(Can.RECORD_MHPSS):
        raise PermissionDenied
    if instrument not in INSTRUMENTS:
        raise ValidationError(
            {"instrument": [_("Choose one of: %(codes)s.") % {"codes": ", ".join(INSTRUMENTS)}]}
        )
    try:
        values = INSTRUMENTS[instrument].check(answers)
    except AnswerError as error:
        raise ValidationError({"answers": error.problems}) from error
    when = on or timezone.localdate()
    if when > timezone.localdate():
        raise ValidationError({"administered_on": [_("The date is in the future.")]})
    result = INSTRUMENTS[instrument].score(values)
    with transaction.atomic():
        screening = Screening.objects.create(
            person=person,
            organisation_id=_organisation(by),
            instrument=instrument,
            answers=values,
            raw_score=result.raw_score,
            score=result.score,
            band=result.band,
            flags=result.flags,
            administered_on=when,
            administered_by=by,
        )
        if result.flags:
            Alert.objects.create(
                organisation_id=_organisation(by),
                roles=ALERT_ROLES,
                kind=Alert.Kind.MHPSS_RISK,
                person=person,
                object_type="mhpss.screening",
                object_id=str(screening.pk),
            )
        audit_record(
            actor=by,
            action=Action.SCREEN,
            obj=person,
            details={"screening": screening.pk, "instrument": instrument},
        )
    return screening


def session_record(
    *, by: User, person: Person, kind: str, held_on: datetime.date, minutes: int, notes: str
) -> Session:
    if not by.can(Can.RECORD_MHPSS):
        raise PermissionDenied
    if kind not in Session.Kind.values:
        raise ValidationError({"kind": [_("Choose individual, family or group.")]})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": [_("The date is in the future.")]})
    with transaction.atomic():
        session = Session.objects.create(
            person=person,
            organisation_id=_organisation(by),
            kind=kind,
            held_on=held_on,
            minutes=minutes,
            notes=notes,
            recorded_by=by,
        )
        # the notes are sensitive: the audit says only that a session was recorded
        audit_record(actor=by, action=Action.CREATE, obj=session, details={"person": person.pk})
    return session


def alert_resolve(*, alert: Alert, by: User) -> Alert:
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.resolved_at is None:
            current.resolved_at, current.resolved_by = timezone.now(), by
            current.save()
            audit_record(
                actor=by, action=Action.UPDATE, obj=current, changes={"resolved": [False, True]}
            )
    return current
