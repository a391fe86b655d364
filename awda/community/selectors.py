"""Reads about the receiving communities. Everything here belongs to the organisation that
recorded it and is seen by that organisation's staff who see personal data; a record of
another organisation does not exist for them (404). A sponsor's contact details and notes
are read only by roles that manage community work: for everyone else they are not even
loaded from the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.community.models import (
    AcceptanceActivity,
    CommunityActor,
    PlaceAcceptance,
    Sponsorship,
)
from awda.places.models import Place
from awda.registry.models import Household
from awda.registry.selectors import households_visible_to
from awda.returns.pipeline import acceptance_for, ancestors

SENSITIVE_ACTOR_COLUMNS = ("contact", "notes")


def sees_contact(user: User) -> bool:
    """Whether the user may read sponsors' contact details and notes."""
    return user.can(Can.MANAGE_COMMUNITY)


def at_or_under(place_id: int, *, prefix: str = "place__") -> Q:
    """Places that are `place_id` or lie under it (the gazetteer is at most six levels
    deep; a place is found from any of its ancestors)."""
    lookups = [f"{prefix}pk" if prefix else "pk"]
    parent = f"{prefix}parent"
    for _level in range(5):
        lookups.append(f"{parent}_id")
        parent = f"{parent}__parent"
    query = Q()
    for lookup in lookups:
        query |= Q(**{lookup: place_id})
    return query


def _organisation(user: User) -> int | None:
    if not user.sees_personal_data:
        return None
    return user.organisation_id


# --- Community actors -------------------------------------------------------------------


def actors_visible_to(user: User) -> QuerySet[CommunityActor]:
    organisation_id = _organisation(user)
    if organisation_id is None:
        return CommunityActor.objects.none()
    queryset = CommunityActor.objects.filter(organisation_id=organisation_id)
    if not sees_contact(user):
        queryset = queryset.defer(*SENSITIVE_ACTOR_COLUMNS)
    return queryset


def with_load(queryset: QuerySet[CommunityActor]) -> QuerySet[CommunityActor]:
    """Each actor's current load (open sponsorships) and history in counts, in the same
    query."""
    Status = Sponsorship.Status
    return queryset.annotate(
        open_count=Count("sponsorships", filter=Q(sponsorships__status__in=Sponsorship.OPEN)),
        fulfilled_count=Count("sponsorships", filter=Q(sponsorships__status=Status.FULFILLED)),
        withdrawn_count=Count("sponsorships", filter=Q(sponsorships__status=Status.WITHDRAWN)),
        pressure_count=Count(
            "sponsorships",
            filter=Q(
                sponsorships__status=Status.WITHDRAWN,
                sponsorships__withdrawal_reason=Sponsorship.WithdrawalReason.COMMUNITY_PRESSURE,
            ),
        ),
    )


@dataclass(frozen=True)
class ActorFilters:
    governorate: int | None = None
    place: int | None = None
    kind: str = ""
    active: bool | None = None


def actors_for_user(user: User, filters: ActorFilters | None = None) -> QuerySet[CommunityActor]:
    filters = filters or ActorFilters()
    queryset = actors_visible_to(user)
    if filters.governorate:
        queryset = queryset.filter(place__governorate_id=filters.governorate)
    if filters.place:
        queryset = queryset.filter(at_or_under(filters.place))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    return with_load(queryset.select_related("place", "place__governorate")).order_by("name", "id")


def actor_get_for_user(user: User, pk: int | str, *, write: bool = False) -> CommunityActor:
    """The actor with its load, or 404. Opening it is recorded (with whether the contact
    details were shown); `write` asks for an actor the user may also edit."""
    if write and not user.can(Can.MANAGE_COMMUNITY):
        raise Http404
    try:
        actor = with_load(
            actors_visible_to(user).select_related("place", "place__governorate")
        ).get(pk=pk)
    except (CommunityActor.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(
            actor=user, action=Action.VIEW, obj=actor, details={"contact": sees_contact(user)}
        )
    return actor


def sponsor_choices(
    user: User, destination: Place | None
) -> tuple[list[CommunityActor], list[CommunityActor]]:
    """The organisation's active actors who may sponsor a household: first those of the
    destination or a place above it, then the others."""
    actors = list(
        actors_visible_to(user)
        .filter(is_active=True)
        .defer(*SENSITIVE_ACTOR_COLUMNS)
        .select_related("place")
        .order_by("name", "id")
    )
    if destination is None:
        return [], actors
    chain = {p.pk for p in ancestors(destination)}
    near = [a for a in actors if a.place_id in chain]
    return near, [a for a in actors if a.place_id not in chain]


# --- Sponsorships -----------------------------------------------------------------------


def sponsorships_visible_to(user: User) -> QuerySet[Sponsorship]:
    organisation_id = _organisation(user)
    if organisation_id is None:
        return Sponsorship.objects.none()
    return (
        Sponsorship.objects.filter(organisation_id=organisation_id)
        .select_related("sponsor", "sponsor__place", "household")
        .defer(*(f"sponsor__{c}" for c in SENSITIVE_ACTOR_COLUMNS))
    )


def sponsorship_get_for_user(user: User, pk: int | str) -> Sponsorship:
    try:
        return sponsorships_visible_to(user).get(pk=pk)
    except (Sponsorship.DoesNotExist, ValueError):
        raise Http404 from None


def household_get_for_sponsorship(user: User, pk: int | str) -> Household:
    """A household of the user's own organisation (sponsorships are its business, not a
    partner's that received a referral), or 404; the read is recorded."""
    if user.organisation_id is None:
        raise Http404
    try:
        household = (
            households_visible_to(user)
            .filter(organisation_id=user.organisation_id)
            .select_related("destination", "camp", "camp_block")
            .get(pk=pk)
        )
    except (Household.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(actor=user, action=Action.VIEW, obj=household, details={"sponsorship": True})
    return household


def sponsorships_of_household(user: User, household: Household) -> QuerySet[Sponsorship]:
    """The household's sponsorships, open ones and history, the latest first (the caller
    got `household` through the door above)."""
    return sponsorships_visible_to(user).filter(household=household)


def sponsorships_of_actor(user: User, actor: CommunityActor) -> QuerySet[Sponsorship]:
    return sponsorships_visible_to(user).filter(sponsor=actor)


# --- Acceptance -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFilters:
    governorate: int | None = None
    place: int | None = None
    kind: str = ""
    held_from: datetime.date | None = None
    held_to: datetime.date | None = None


def activities_for_user(
    user: User, filters: ActivityFilters | None = None
) -> QuerySet[AcceptanceActivity]:
    filters = filters or ActivityFilters()
    organisation_id = _organisation(user)
    if organisation_id is None:
        return AcceptanceActivity.objects.none()
    queryset = AcceptanceActivity.objects.filter(organisation_id=organisation_id)
    if filters.governorate:
        queryset = queryset.filter(place__governorate_id=filters.governorate)
    if filters.place:
        queryset = queryset.filter(at_or_under(filters.place))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.held_from:
        queryset = queryset.filter(held_on__gte=filters.held_from)
    if filters.held_to:
        queryset = queryset.filter(held_on__lte=filters.held_to)
    return queryset.select_related("place", "place__parent", "place__governorate").order_by(
        "-held_on", "-id"
    )


def activities_at(user: User, place: Place) -> QuerySet[AcceptanceActivity]:
    return activities_for_user(user).filter(place=place)


@dataclass(frozen=True)
class PlaceStanding:
    """A place as the organisation knows it: its current acceptance (the latest
    assessment) and the activities held there."""

    place: Place
    status: str
    assessed_on: datetime.date | None
    activity_count: int
    last_activity_on: datetime.date | None

    @property
    def status_label(self) -> str:
        return str(PlaceAcceptance.Status(self.status).label)


def acceptance_by_place(user: User, *, governorate: int | None = None) -> list[PlaceStanding]:
    """Every place the organisation assessed or held activities in, with its current
    status, in one query."""
    organisation_id = _organisation(user)
    if organisation_id is None:
        return []
    assessments = PlaceAcceptance.objects.filter(organisation_id=organisation_id)
    activities = AcceptanceActivity.objects.filter(organisation_id=organisation_id)
    latest = assessments.filter(place=OuterRef("pk")).order_by("-assessed_on", "-id")
    held_here = activities.filter(place=OuterRef("pk"))
    count = held_here.order_by().values("place").annotate(n=Count("id")).values("n")
    places = Place.objects.filter(
        Q(pk__in=assessments.values("place")) | Q(pk__in=activities.values("place"))
    )
    if governorate:
        places = places.filter(governorate_id=governorate)
    rows = (
        places.annotate(
            current_status=Subquery(latest.values("status")[:1]),
            current_assessed_on=Subquery(latest.values("assessed_on")[:1]),
            activity_count=Coalesce(
                Subquery(count, output_field=IntegerField()), Value(0), output_field=IntegerField()
            ),
            last_activity_on=Subquery(held_here.order_by("-held_on").values("held_on")[:1]),
        )
        .select_related("parent", "governorate")
        .order_by("country", "pcode")
    )
    return [
        PlaceStanding(
            place=row,
            status=row.current_status or PlaceAcceptance.Status.NOT_ASSESSED,
            assessed_on=row.current_assessed_on,
            activity_count=row.activity_count,
            last_activity_on=row.last_activity_on,
        )
        for row in rows
    ]


def place_get(pk: int | str) -> Place:
    """A place of the gazetteer (public knowledge: what the organisation recorded about
    it is filtered by the selectors below)."""
    try:
        return Place.objects.select_related("parent", "governorate").get(pk=pk)
    except (Place.DoesNotExist, ValueError):
        raise Http404 from None


def acceptance_history(user: User, place: Place) -> QuerySet[PlaceAcceptance]:
    """The organisation's assessments of the place, the current one first."""
    organisation_id = _organisation(user)
    if organisation_id is None:
        return PlaceAcceptance.objects.none()
    return (
        PlaceAcceptance.objects.filter(organisation_id=organisation_id, place=place)
        .select_related("activity", "recorded_by")
        .order_by("-assessed_on", "-id")
    )


def acceptance_current(user: User, place: Place) -> PlaceAcceptance | None:
    """The assessment that decides for the place: its own latest, or else that of the most
    specific place above it (as the readiness checklist reads it)."""
    organisation_id = _organisation(user)
    if organisation_id is None:
        return None
    return acceptance_for(organisation_id, place)
