"""Where a household stands on its way home, computed from the records.

`readiness(household)` evaluates its pathway's checklist; `stage_of(household)` reads the
stage (registered → intention → sponsorship and acceptance → ready → scheduled →
departed → in centre → home → followed up → closed) from what was recorded, and
`stage_refresh(household)` stores it in `Household.status`, so that lists, filters and the
pipeline board can count by stage with one indexed column. Every service that records
something on the way calls `stage_refresh`; nobody types a stage in."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.community.models import PlaceAcceptance, Sponsorship
from awda.places.models import Place
from awda.registry.models import CivilDocument, Household, Person
from awda.reintegration.models import Survey
from awda.returns.models import (
    CentreStay,
    ChecklistItem,
    ChecklistTick,
    Clearance,
    Homecoming,
    Intention,
    Passenger,
    Pathway,
    ReadinessOverride,
)

IDENTITY_DOCUMENTS = (
    CivilDocument.Kind.BIRTH_CERTIFICATE,
    CivilDocument.Kind.NATIONAL_ID,
    CivilDocument.Kind.FAMILY_BOOKLET,
    CivilDocument.Kind.PASSPORT,
    CivilDocument.Kind.NATIONALITY_CERTIFICATE,
)


@dataclass(frozen=True)
class Check:
    item: ChecklistItem
    met: bool
    detail: str = ""


@dataclass(frozen=True)
class Readiness:
    intention: Intention | None
    checks: list[Check]
    override: ReadinessOverride | None

    @property
    def complete(self) -> bool:
        return bool(self.checks) and all(c.met for c in self.checks)

    @property
    def eligible(self) -> bool:
        """Complete, or a supervisor decided so; a family staying is never eligible."""
        if self.intention is None or self.intention.pathway == Pathway.STAYING:
            return False
        return self.complete or self.override is not None

    @property
    def missing(self) -> list[Check]:
        return [c for c in self.checks if not c.met]


def current_intention(household: Household) -> Intention | None:
    return (
        Intention.objects.filter(household=household)
        .select_related("destination")
        .order_by("-created_at", "-id")
        .first()
    )


def current_clearance(household: Household) -> Clearance | None:
    return Clearance.objects.filter(household=household).order_by("-created_at", "-id").first()


def current_override(household: Household) -> ReadinessOverride | None:
    return (
        ReadinessOverride.objects.filter(household=household, revoked_at__isnull=True)
        .order_by("-granted_at", "-id")
        .first()
    )


def ancestors(place: Place) -> list[Place]:
    """The place and the places above it, the most specific first."""
    chain = [place]
    while chain[-1].parent_id is not None and len(chain) < 8:
        parent = Place.objects.filter(pk=chain[-1].parent_id).first()
        if parent is None:
            break
        chain.append(parent)
    return chain


def acceptance_for(organisation_id: int, place: Place) -> PlaceAcceptance | None:
    """The organisation's latest assessment of the most specific place assessed among the
    place and those above it (a village's own assessment outweighs its sub-district's)."""
    chain = ancestors(place)
    latest: dict[int, PlaceAcceptance] = {}
    rows = PlaceAcceptance.objects.filter(
        organisation_id=organisation_id, place__in=chain
    ).order_by("assessed_on", "id")
    for row in rows:
        latest[row.place_id] = row
    return next((latest[p.pk] for p in chain if p.pk in latest), None)


def members_without_identity_document(household: Household) -> QuerySet[Person]:
    held = CivilDocument.objects.filter(
        kind__in=IDENTITY_DOCUMENTS, status=CivilDocument.Status.HELD
    ).values("person_id")
    return household.members.filter(merged_into__isnull=True).exclude(pk__in=held)


def _check(household: Household, item: ChecklistItem, intention: Intention) -> Check:
    rule = item.rule
    if rule == ChecklistItem.Rule.DESTINATION:
        if intention.pathway == Pathway.THIRD_COUNTRY:
            return Check(item, bool(intention.country))
        return Check(item, intention.destination_id is not None)
    if rule == ChecklistItem.Rule.SPONSOR:
        agreed = Sponsorship.objects.filter(
            household=household,
            status__in=[Sponsorship.Status.AGREED, Sponsorship.Status.FULFILLED],
        ).exists()
        return Check(item, agreed)
    if rule == ChecklistItem.Rule.ACCEPTANCE:
        if intention.destination is None:
            return Check(item, False, _("No destination chosen."))
        found = acceptance_for(household.organisation_id, intention.destination)
        if found is None:
            return Check(item, False, _("Not assessed."))
        return Check(
            item, found.status == PlaceAcceptance.Status.ACCEPTING, found.get_status_display()
        )
    if rule == ChecklistItem.Rule.DOCUMENTS:
        lacking = members_without_identity_document(household).count()
        detail = (
            ngettext(
                "%(n)s member has no identity document.",
                "%(n)s members have no identity document.",
                lacking,
            )
            % {"n": lacking}
            if lacking
            else ""
        )
        return Check(item, lacking == 0, detail)
    if rule == ChecklistItem.Rule.CLEARANCE:
        clearance = current_clearance(household)
        if clearance is None:
            return Check(item, False, _("No decision recorded."))
        return Check(
            item, clearance.decision == Clearance.Decision.CLEARED, clearance.get_decision_display()
        )
    if rule == ChecklistItem.Rule.CONSENT:
        from awda.consent.models import Purpose
        from awda.consent.services import consent_in_force

        head = household.members.filter(relationship=Person.Relationship.HEAD).first()
        consent = consent_in_force(head, Purpose.RETURN) if head is not None else None
        return Check(item, consent is not None, "" if consent else _("Not recorded."))
    tick = (
        ChecklistTick.objects.filter(household=household, item=item)
        .order_by("-created_at", "-id")
        .first()
    )
    return Check(item, bool(tick and tick.done))


def readiness(household: Household) -> Readiness:
    intention = current_intention(household)
    if intention is None or intention.pathway == Pathway.STAYING:
        return Readiness(intention, [], None)
    items = ChecklistItem.objects.filter(pathway=intention.pathway, is_active=True)
    checks = [_check(household, item, intention) for item in items]
    return Readiness(intention, checks, current_override(household))


def stage_of(household: Household) -> str:
    Stage = Household.Status
    if household.status == Stage.CLOSED:
        return Stage.CLOSED
    if Homecoming.objects.filter(household=household).exists():
        done = Survey.objects.filter(household=household).exists()
        return Stage.FOLLOWED_UP if done else Stage.ARRIVED
    if CentreStay.objects.filter(household=household, exited_on__isnull=True).exists():
        return Stage.IN_CENTRE
    on_board = Passenger.objects.filter(household=household).exclude(movement__status="cancelled")
    if on_board.filter(status__in=[Passenger.Status.DEPARTED, Passenger.Status.ARRIVED]).exists():
        return Stage.DEPARTED
    if on_board.filter(status=Passenger.Status.SCHEDULED).exists():
        return Stage.SCHEDULED
    state = readiness(household)
    if state.intention is None:
        return Stage.REGISTERED
    if state.intention.pathway == Pathway.STAYING:
        return Stage.INTENTION
    if state.eligible:
        return Stage.ELIGIBLE
    started = (
        Sponsorship.objects.filter(household=household).exists()
        or ChecklistTick.objects.filter(household=household).exists()
        or Clearance.objects.filter(household=household).exists()
        or any(c.met for c in state.checks if c.item.rule != ChecklistItem.Rule.DESTINATION)
    )
    return Stage.PREPARING if started else Stage.INTENTION


def stage_refresh(household: Household) -> str:
    """Store the household's stage (without touching its version: the stage is not an
    edit anyone could conflict with)."""
    stored = Household.objects.filter(pk=household.pk).values_list("status", flat=True).first()
    if stored == Household.Status.CLOSED:
        household.status = Household.Status.CLOSED  # closing is a decision, not a record
    stage = stage_of(household)
    if stage != stored:
        Household.objects.filter(pk=household.pk).update(status=stage)
    household.status = stage
    return stage
