"""Reads of the return pipeline, through the acting user: movements belong to the
organisation that runs them; a household's return records are seen by whoever may see the
household (awda.registry.selectors)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.community.models import Sponsorship
from awda.registry.models import Household
from awda.registry.selectors import households_visible_to
from awda.reintegration.models import FollowUp
from awda.returns import pipeline
from awda.returns.models import (
    CentreStay,
    ChecklistTick,
    Clearance,
    Homecoming,
    Intention,
    Movement,
    Passenger,
    ReadinessOverride,
)
from awda.returns.services import ADULT_AGE, Warning_, household_warnings

STAGES = list(Household.Status.choices)


def movements_for_user(user: User) -> QuerySet[Movement]:
    if not user.sees_personal_data or user.organisation_id is None:
        return Movement.objects.none()
    live = ~Q(passengers__status__in=[Passenger.Status.REMOVED, Passenger.Status.NO_SHOW])
    return (
        Movement.objects.filter(organisation_id=user.organisation_id)
        .select_related("origin", "destination", "centre")
        .annotate(
            people=Count("passengers", filter=live, distinct=True),
            households=Count("passengers__household", filter=live, distinct=True),
        )
        .order_by("-departs_on", "-id")
    )


def movement_get_for_user(user: User, pk: int | str, *, write: bool = False) -> Movement:
    if write and not user.can(Can.MANAGE_MOVEMENTS):
        raise Http404
    try:
        movement = movements_for_user(user).get(pk=pk)
    except (Movement.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(actor=user, action=Action.VIEW, obj=movement)
    return movement


def manifest_download(
    user: User, movement: Movement, response: HttpResponse, extension: str
) -> HttpResponse:
    """A manifest leaves Awda with every name on the movement: it is recorded as an
    export, and sent as a download named after the movement."""
    audit_record(actor=user, action=Action.EXPORT, obj=movement, details={"format": extension})
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"manifest-{movement.reference}.{extension}"
    )
    return response


def movement_passengers(movement: Movement) -> QuerySet[Passenger]:
    return (
        movement.passengers.exclude(status=Passenger.Status.REMOVED)
        .select_related("person", "household", "escort")
        .prefetch_related("person__documents")
        .order_by("vehicle", "household__reference", "person__date_of_birth", "id")
    )


def movement_warnings(movement: Movement) -> list[Warning_]:
    """What the list of a planned movement should not leave unseen: split families,
    children without an adult of the family or an escort, households no longer ready."""
    if movement.status != Movement.Status.PLANNED:
        return []
    passengers = list(movement_passengers(movement).filter(status=Passenger.Status.SCHEDULED))
    families: dict[int, list[Passenger]] = {}
    for passenger in passengers:
        families.setdefault(passenger.household_id, []).append(passenger)
    warnings: list[Warning_] = []
    for people in families.values():
        household = people[0].household
        escorts = {p.person_id: p.escort_id for p in people if p.escort_id is not None}
        warnings += household_warnings(movement, household, [p.person for p in people], escorts)
        if not pipeline.readiness(household).eligible:
            warnings.append(
                Warning_(
                    "not_ready",
                    _("Household %(ref)s is no longer ready: check its checklist.")
                    % {"ref": household.reference},
                    household.pk,
                )
            )
    return warnings


def eligible_households_for(user: User, movement: Movement) -> list[Household]:
    """Households of the user's organisation that are ready, live in the movement's camp
    and intend its pathway, and are not already on it."""
    if not user.can(Can.MANAGE_MOVEMENTS):
        return []
    candidates = (
        households_visible_to(user)
        .filter(
            organisation_id=user.organisation_id or 0,
            status=Household.Status.ELIGIBLE,
            camp_id=movement.origin_id,
        )
        .select_related("destination", "camp_block")
        .annotate(
            pathway=Subquery(
                Intention.objects.filter(household=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("pathway")[:1]
            ),
            people=Count("members", filter=Q(members__merged_into__isnull=True)),
        )
        .filter(pathway=movement.pathway)
        .order_by("reference")
    )
    return list(candidates[:500])


@dataclass(frozen=True)
class BoardFilters:
    camp: int | None = None
    pathway: str = ""
    governorate: int | None = None


def _latest_pathway() -> Subquery:
    return Subquery(
        Intention.objects.filter(household=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("pathway")[:1]
    )


def pipeline_board(user: User, filters: BoardFilters, *, per_stage: int = 12) -> dict[str, Any]:
    """Households by stage with counts, under the filters: the first `per_stage` of each
    stage (most recently registered first) and how many there are."""
    queryset = households_visible_to(user).annotate(pathway=_latest_pathway())
    if filters.camp:
        queryset = queryset.filter(camp_id=filters.camp)
    if filters.pathway:
        queryset = queryset.filter(pathway=filters.pathway)
    if filters.governorate:
        queryset = queryset.filter(destination__governorate_id=filters.governorate)
    counts = dict(queryset.values_list("status").annotate(n=Count("pk")).order_by())
    columns = []
    for code, label in STAGES:
        rows = (
            list(
                queryset.filter(status=code)
                .select_related("destination", "camp")
                .order_by("-updated_at", "-id")[:per_stage]
            )
            if counts.get(code)
            else []
        )
        columns.append({"code": code, "label": label, "count": counts.get(code, 0), "rows": rows})
    return {"columns": columns, "total": sum(counts.values())}


@dataclass(frozen=True)
class Step:
    on: datetime.date
    stage: str
    text: str
    url: str = ""


def journey(household: Household, *, user: User) -> list[Step]:
    """The household's way home as dated steps, oldest first, from its records."""
    steps = [Step(household.registered_on, "registered", _("Registered in the camp"))]
    for intention in (
        Intention.objects.filter(household=household)
        .select_related("destination")
        .order_by("created_at", "id")
    ):
        where = (
            intention.destination.name
            if intention.destination
            else intention.get_country_display()
            if intention.country
            else ""
        )
        pathway = intention.get_pathway_display()
        text = (
            _("Intention: %(pathway)s — %(where)s") % {"pathway": pathway, "where": where}
            if where
            else _("Intention: %(pathway)s") % {"pathway": pathway}
        )
        steps.append(Step(intention.stated_on, "intention", text))
    for sponsorship in Sponsorship.objects.filter(household=household).select_related("sponsor"):
        steps.append(
            Step(
                sponsorship.requested_on,
                "preparing",
                _("Sponsorship requested from %(s)s") % {"s": sponsorship.sponsor.name},
            )
        )
        if sponsorship.agreed_on:
            steps.append(Step(sponsorship.agreed_on, "preparing", _("Sponsor agreed")))
        if sponsorship.withdrawn_on:
            steps.append(
                Step(
                    sponsorship.withdrawn_on,
                    "preparing",
                    _("Sponsorship withdrawn: %(r)s")
                    % {"r": sponsorship.get_withdrawal_reason_display()},
                )
            )
        if sponsorship.fulfilled_on:
            steps.append(Step(sponsorship.fulfilled_on, "arrived", _("Sponsorship fulfilled")))
    for clearance in Clearance.objects.filter(household=household):
        steps.append(
            Step(
                clearance.decided_on,
                "preparing",
                _("Clearance decision: %(d)s") % {"d": clearance.get_decision_display()},
            )
        )
    for tick in ChecklistTick.objects.filter(household=household).select_related("item"):
        text = _("%(item)s: done") if tick.done else _("%(item)s: marked not done")
        steps.append(Step(tick.on, "preparing", text % {"item": tick.item.label}))
    for override in ReadinessOverride.objects.filter(household=household):
        steps.append(
            Step(
                timezone.localdate(override.granted_at),
                "eligible",
                _("A supervisor allowed the return before the checklist was complete"),
            )
        )
    trips = (
        Passenger.objects.filter(household=household)
        .exclude(status=Passenger.Status.REMOVED)
        .values("movement_id")
        .distinct()
    )
    for movement in Movement.objects.filter(pk__in=trips).select_related("destination", "centre"):
        url = (
            reverse("returns:movement_detail", args=[movement.pk])
            if (movement.organisation_id == user.organisation_id)
            else ""
        )
        steps.append(
            Step(
                movement.departs_on,
                "scheduled",
                _("On movement %(ref)s (%(status)s)")
                % {"ref": movement.reference, "status": movement.get_status_display()},
                url,
            )
        )
        if movement.departed_on:
            steps.append(Step(movement.departed_on, "departed", _("Departed from the camp")))
    for stay in CentreStay.objects.filter(household=household).select_related("centre"):
        steps.append(
            Step(stay.entered_on, "in_centre", _("Entered %(c)s") % {"c": stay.centre.name})
        )
        if stay.exited_on:
            steps.append(
                Step(stay.exited_on, "in_centre", _("Left %(c)s") % {"c": stay.centre.name})
            )
    homecoming = Homecoming.objects.filter(household=household).select_related("place").first()
    if homecoming is not None:
        text = (
            _("Arrived home in %(p)s") % {"p": homecoming.place.name}
            if homecoming.place
            else _("Arrived home")
        )
        steps.append(Step(homecoming.arrived_on, "arrived", text))
    for follow_up in FollowUp.objects.filter(household=household).order_by("due_on"):
        if follow_up.status == FollowUp.Status.DONE:
            steps.append(
                Step(
                    follow_up.due_on,
                    "followed_up",
                    ngettext(
                        "Follow-up %(m)s month after arrival done",
                        "Follow-up %(m)s months after arrival done",
                        follow_up.months,
                    )
                    % {"m": follow_up.months},
                )
            )
    if household.status == Household.Status.CLOSED:
        steps.append(Step(timezone.localdate(household.updated_at), "closed", _("File closed")))
    return sorted(steps, key=lambda s: s.on)


def children_without_adults(passengers: list[Passenger], on: datetime.date) -> set[int]:
    """Passengers under 18 whose household has no adult on board and who have no escort."""
    adults = Counter(p.household_id for p in passengers if (p.person.age_on(on) or 0) >= ADULT_AGE)
    return {
        p.person_id
        for p in passengers
        if (age := p.person.age_on(on)) is not None
        and age < ADULT_AGE
        and not adults[p.household_id]
        and not p.escort_id
    }
