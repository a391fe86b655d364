"""MHPSS data: screening results and session notes are seen by MHPSS workers and
supervisors of the organisation that owns the person, and of an organisation that
accepted an MHPSS referral of the household; by nobody else, whatever else they may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Alert, Referral
from awda.mhpss.models import Screening, Session
from awda.registry.models import Person


def mhpss_people_visible_to(user: User) -> QuerySet[Person]:
    if not user.can(Can.VIEW_MHPSS) or user.organisation_id is None:
        return Person.objects.none()
    referred = Referral.objects.filter(
        household=OuterRef("household_id"),
        receiving_organisation_id=user.organisation_id,
        kind=Referral.Kind.REFERRAL,
        service=Referral.Service.MHPSS,
        status=Referral.Status.ACCEPTED,
    )
    return Person.objects.filter(Q(organisation_id=user.organisation_id) | Exists(referred))


def mhpss_person_get_for_user(user: User, pk: int | str) -> Person:
    try:
        return mhpss_people_visible_to(user).select_related("household").get(pk=pk)
    except (Person.DoesNotExist, ValueError):
        raise Http404 from None


def screenings_of(user: User, person: Person) -> QuerySet[Screening]:
    """The person's screenings (the caller got `person` through the MHPSS door); the
    read is recorded."""
    audit_record(actor=user, action=Action.VIEW, obj=person, details={"mhpss": True})
    return Screening.objects.filter(person=person).select_related("administered_by")


def sessions_of(person: Person) -> QuerySet[Session]:
    return Session.objects.filter(person=person).select_related("recorded_by")


def screenings_visible_to(user: User) -> QuerySet[Screening]:
    people = mhpss_people_visible_to(user)
    return Screening.objects.filter(person__in=people.values("pk")).select_related("person")


def screening_get_for_user(user: User, pk: int | str) -> Screening:
    try:
        return screenings_visible_to(user).get(pk=pk)
    except (Screening.DoesNotExist, ValueError):
        raise Http404 from None


def alerts_for_user(user: User) -> list[Alert]:
    """Open alerts of the user's organisation addressed to the user's role."""
    if user.organisation_id is None:
        return []
    open_alerts = Alert.objects.filter(
        organisation_id=user.organisation_id, resolved_at__isnull=True
    ).select_related("person")
    return [alert for alert in open_alerts[:500] if user.role in alert.roles]
