"""The one door to households and people. Every read takes the acting user and returns
only what that user's organisation may see: its own records, and records another
organisation referred to it and it accepted. A record the user may not see does not exist
for them (404, never 403). Opening a record is recorded in the audit trail here, so no
page or endpoint can forget to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record, object_type_of
from awda.cases.models import Referral
from awda.registry.models import Household, Membership, Person


def _shared_with(user: User, household_ref: str) -> Exists:
    return Exists(
        Referral.objects.filter(
            household=OuterRef(household_ref),
            receiving_organisation_id=user.organisation_id,
            kind=Referral.Kind.REFERRAL,
            status=Referral.Status.ACCEPTED,
        )
    )


def households_visible_to(user: User) -> QuerySet[Household]:
    if not user.sees_personal_data:
        return Household.objects.none()
    return Household.objects.filter(
        Q(organisation_id=user.organisation_id) | _shared_with(user, "pk")
    )


def households_writable_by(user: User) -> QuerySet[Household]:
    if not user.can(Can.EDIT_REGISTRY) or user.organisation_id is None:
        return Household.objects.none()
    return Household.objects.filter(organisation_id=user.organisation_id)


def persons_visible_to(user: User) -> QuerySet[Person]:
    if not user.sees_personal_data:
        return Person.objects.none()
    return Person.objects.filter(
        Q(organisation_id=user.organisation_id) | _shared_with(user, "household_id")
    )


def persons_writable_by(user: User) -> QuerySet[Person]:
    if not user.can(Can.EDIT_REGISTRY) or user.organisation_id is None:
        return Person.objects.none()
    return Person.objects.filter(organisation_id=user.organisation_id)


_HOUSEHOLD_RELATED = (
    "organisation",
    "camp",
    "camp_section",
    "camp_block",
    "origin",
    "origin__governorate",
    "destination",
)


def household_get_for_user(user: User, pk: int | str, *, write: bool = False) -> Household:
    """The household, or 404. A read (write=False) is recorded as a view."""
    queryset = households_writable_by(user) if write else households_visible_to(user)
    try:
        household = queryset.select_related(*_HOUSEHOLD_RELATED).get(pk=pk)
    except (Household.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(actor=user, action=Action.VIEW, obj=household)
    return household


def person_get_for_user(user: User, pk: int | str, *, write: bool = False) -> Person:
    queryset = persons_writable_by(user) if write else persons_visible_to(user)
    try:
        person = (
            queryset.select_related("household", "organisation")
            .prefetch_related("documents", "needs")
            .get(pk=pk)
        )
    except (Person.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(actor=user, action=Action.VIEW, obj=person)
    return person


def household_members(household: Household) -> QuerySet[Person]:
    """Current members, head first (the household itself was checked by the caller)."""
    head_first = Case(When(relationship=Person.Relationship.HEAD, then=Value(0)), default=Value(1))
    return (
        household.members.prefetch_related("documents", "needs")
        .annotate(head_first=head_first)
        .order_by("head_first", "date_of_birth", "id")
    )


def household_memberships(household: Household) -> QuerySet[Membership]:
    return household.memberships.select_related("person").order_by("started_on", "id")


@dataclass(frozen=True)
class HouseholdFilters:
    camp: int | None = None
    camp_block: int | None = None
    governorate: int | None = None
    nationality: str = ""
    status: str = ""
    search: str = ""


def household_list_for_user(user: User, filters: HouseholdFilters) -> QuerySet[Household]:
    queryset = households_visible_to(user)
    if filters.camp:
        queryset = queryset.filter(camp_id=filters.camp)
    if filters.camp_block:
        queryset = queryset.filter(camp_block_id=filters.camp_block)
    if filters.governorate:
        queryset = queryset.filter(origin__governorate_id=filters.governorate)
    if filters.nationality:
        queryset = queryset.filter(nationality=filters.nationality)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    term = filters.search.strip()
    if term:
        from awda.identity.selectors import person_search_for_user

        people = person_search_for_user(user, term)
        position = {pk: index for index, pk in enumerate(people)}
        rows = Person.objects.filter(pk__in=people).values_list("pk", "household_id")
        households = list(
            dict.fromkeys(h for _pk, h in sorted(rows, key=lambda r: position[r[0]]) if h)
        )
        queryset = queryset.filter(Q(reference__iexact=term) | Q(pk__in=households))
        relevance: Any = ranked(households)
    else:
        relevance = Value(0)
    heads = Person.objects.filter(relationship=Person.Relationship.HEAD)
    # The members counted in a subquery rather than by joining every visible household
    # to its members and grouping by the household and its six places: PostgreSQL took
    # twice as long to plan and run that for the 25 rows of a page (2,000 households),
    # and the page count had to group too.
    members = (
        Person.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        queryset.select_related(*_HOUSEHOLD_RELATED)
        .annotate(
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            relevance=relevance,
        )
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
        .order_by("relevance", "-registered_on", "-id")
    )


def ranked(ids: list[int]) -> Case:
    """An ordering expression: the position of each id in `ids`, the rest last."""
    return Case(
        *(When(pk=pk, then=Value(position)) for position, pk in enumerate(ids)),
        default=Value(len(ids)),
    )


def person_list_for_user(
    user: User, *, household: int | None = None, search: str = ""
) -> QuerySet[Person]:
    """People the user may see; with `search`, those whose names sound like it, best first."""
    queryset = persons_visible_to(user).filter(merged_into__isnull=True)
    order: list[Any] = ["id"]
    if household:
        queryset = queryset.filter(household_id=household)
    if search.strip():
        from awda.identity.selectors import person_search_for_user

        found = person_search_for_user(user, search)
        queryset = queryset.filter(pk__in=found)
        order = [ranked(found), "id"]
    related = queryset.select_related("household").prefetch_related("documents", "needs")
    return related.order_by(*order)


def audit_listing(
    user: User, records: Iterable[Household | Person], *, filters: dict[str, object]
) -> None:
    """Record which records a list showed to the user (ids only, and whether a search was
    made, never the search term: it is personal data)."""
    records = list(records)
    audit_record(
        actor=user,
        action=Action.LIST,
        details={
            "object_type": object_type_of(type(records[0])) if records else "",
            "ids": [r.pk for r in records],
            "filters": filters,
        },
    )
