"""Writes of the return pipeline: intentions, readiness, clearance decisions, movements
and what happens on them, centre stays, arrivals home and handovers.

Every function checks the acting user's capability and organisation, validates before it
writes, writes in one transaction, records an audit entry and refreshes the household's
stage (awda.returns.pipeline)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Referral
from awda.cases.services import referral_create
from awda.places.models import CAMP_KINDS, Place
from awda.registry.models import Household, Person
from awda.registry.services import EditConflict, PersonData, member_add
from awda.returns import pipeline
from awda.returns.models import (
    Centre,
    CentreStay,
    ChecklistItem,
    ChecklistTick,
    Clearance,
    Homecoming,
    Intention,
    Movement,
    Passenger,
    Pathway,
    ReadinessOverride,
)

ADULT_AGE = 18
# Stages after which the intention is no longer a plan but a journey under way.
ON_THE_WAY = {
    Household.Status.SCHEDULED,
    Household.Status.DEPARTED,
    Household.Status.ARRIVED,
    Household.Status.FOLLOWED_UP,
    Household.Status.CLOSED,
}
PATHWAY_COUNTRY: dict[str, str] = {
    Pathway.SYRIAN_SPONSORSHIP.value: "SY",
    Pathway.IRAQI_REPATRIATION.value: "IQ",
}


def _require(by: User, capability: Can) -> None:
    if not by.can(capability):
        raise PermissionDenied


def _require_owner(by: User, household: Household) -> None:
    """Return records are written by the organisation that holds the household."""
    if household.organisation_id != by.organisation_id:
        raise PermissionDenied


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _not_future(day: datetime.date | None, name: str, errors: dict[str, list[str]]) -> None:
    if day is not None and day > timezone.localdate():
        errors[name] = [_("This date is in the future.")]


# Intentions ------------------------------------------------------------------------------


def _check_destination(
    pathway: str, destination: Place | None, village: str, country: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if pathway not in Pathway.values:
        return {"pathway": [_("Choose a pathway from the list.")]}
    if pathway in (Pathway.STAYING, Pathway.THIRD_COUNTRY) and destination is not None:
        errors["destination"] = [_("This pathway has no destination in Syria or Iraq.")]
    if destination is not None:
        if destination.kind in CAMP_KINDS:
            errors["destination"] = [
                _("A camp is not a destination: choose where the family goes.")
            ]
        elif destination.level < 3:
            errors["destination"] = [
                _("Choose the sub-district (or a community under it), not only the %(kind)s.")
                % {"kind": destination.get_kind_display().lower()}
            ]
        elif PATHWAY_COUNTRY.get(pathway, destination.country) != destination.country:
            errors["destination"] = [
                _("This pathway goes to %(country)s; the place chosen is in %(place)s.")
                % {
                    "country": Place.Country(PATHWAY_COUNTRY[pathway]).label,
                    "place": destination.get_country_display(),
                }
            ]
    if village and destination is None:
        errors["village"] = [_("Choose the sub-district the village lies in.")]
    if country and pathway != Pathway.THIRD_COUNTRY:
        errors["country"] = [_("A country of repatriation is for the third-country pathway.")]
    if country in ("SY", "IQ"):
        errors["country"] = [_("Syria and Iraq have their own pathways.")]
    return errors


def intention_record(
    *,
    by: User,
    household: Household,
    pathway: str,
    destination: Place | None = None,
    village: str = "",
    country: str = "",
    reasons: str = "",
    stated_on: datetime.date | None = None,
) -> Intention:
    """Record what the household intends (a revision adds a row; the older ones stay as
    its history) and keep the household's intended destination in step."""
    _require(by, Can.PLAN_RETURNS)
    _require_owner(by, household)
    village, country, reasons = village.strip(), country.strip().upper(), reasons.strip()
    errors = _check_destination(pathway, destination, village, country)
    _not_future(stated_on, "stated_on", errors)
    if len(village) > 200:
        errors["village"] = [_("Keep the name under 200 characters.")]
    _raise_if(errors)
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        if locked.status in ON_THE_WAY:
            raise ValidationError(
                {"pathway": [_("The household is already on its way; its intention is fixed.")]}
            )
        previous = pipeline.current_intention(locked)
        if (
            locked.status == Household.Status.IN_CENTRE
            and previous is not None
            and previous.pathway != pathway
        ):
            raise ValidationError(
                {"pathway": [_("In the centre only the destination can change, not the pathway.")]}
            )
        intention = Intention.objects.create(
            organisation_id=locked.organisation_id,
            household=locked,
            pathway=pathway,
            destination=destination,
            village=village,
            country=country,
            reasons=reasons,
            stated_on=stated_on or timezone.localdate(),
            recorded_by=by,
        )
        if locked.destination_id != (destination.pk if destination else None):
            Household.objects.filter(pk=locked.pk).update(
                destination=destination, version=F("version") + 1
            )
            household.destination = destination
            household.version = locked.version + 1
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=intention,
            details={
                "household": locked.pk,
                "pathway": pathway,
                "destination": destination.pcode if destination else None,
                "revises": previous.pk if previous else None,
            },
        )
        pipeline.stage_refresh(household)
    return intention


# Readiness -------------------------------------------------------------------------------


def checklist_tick(
    *,
    by: User,
    household: Household,
    item: ChecklistItem,
    done: bool,
    note: str = "",
    on: datetime.date | None = None,
) -> ChecklistTick:
    _require(by, Can.PLAN_RETURNS)
    _require_owner(by, household)
    errors: dict[str, list[str]] = {}
    if item.rule != ChecklistItem.Rule.MANUAL:
        errors["item"] = [_("This item is checked against the records, not ticked by hand.")]
    elif not item.is_active:
        errors["item"] = [_("This item is no longer in use.")]
    _not_future(on, "on", errors)
    _raise_if(errors)
    with transaction.atomic():
        tick = ChecklistTick.objects.create(
            household=household,
            item=item,
            done=done,
            on=on or timezone.localdate(),
            note=note.strip()[:2000],
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=household,
            details={"readiness_item": item.code, "done": done},
        )
        pipeline.stage_refresh(household)
    return tick


def clearance_record(
    *,
    by: User,
    household: Household,
    decision: str,
    decided_on: datetime.date,
    reference: str = "",
) -> Clearance:
    """The authorities' decision as a bare fact: decision, date, reference. Awda never
    holds the reasons."""
    _require(by, Can.MANAGE_MOVEMENTS)
    _require_owner(by, household)
    errors: dict[str, list[str]] = {}
    if decision not in Clearance.Decision.values:
        errors["decision"] = [_("Choose the decision from the list.")]
    _not_future(decided_on, "decided_on", errors)
    if len(reference.strip()) > 100:
        errors["reference"] = [_("A reference is at most 100 characters.")]
    _raise_if(errors)
    with transaction.atomic():
        clearance = Clearance.objects.create(
            household=household,
            decision=decision,
            decided_on=decided_on,
            reference=reference.strip(),
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=clearance,
            details={"household": household.pk, "decision": decision, "on": decided_on},
        )
        pipeline.stage_refresh(household)
    return clearance


def readiness_override(*, by: User, household: Household, reason: str) -> ReadinessOverride:
    """A supervisor lets a household be scheduled although its checklist is not complete."""
    _require(by, Can.OVERRIDE_READINESS)
    _require_owner(by, household)
    reason = reason.strip()
    state = pipeline.readiness(household)
    errors: dict[str, list[str]] = {}
    if len(reason) < 10:
        errors["reason"] = [_("Say why the household may leave without a complete checklist.")]
    if state.intention is None or state.intention.pathway == Pathway.STAYING:
        errors["reason"] = [_("Record the household's return intention first.")]
    elif state.complete:
        errors["reason"] = [_("The checklist is complete: no override is needed.")]
    elif state.override is not None:
        errors["reason"] = [_("An override is already in force.")]
    _raise_if(errors)
    with transaction.atomic():
        override = ReadinessOverride.objects.create(
            household=household, reason=reason, granted_by=by
        )
        audit_record(
            actor=by,
            action=Action.APPROVE,
            obj=household,
            details={
                "readiness_override": override.pk,
                "missing": [c.item.code for c in state.missing],
            },
        )
        pipeline.stage_refresh(household)
    return override


def readiness_override_revoke(*, by: User, override: ReadinessOverride) -> None:
    _require(by, Can.OVERRIDE_READINESS)
    household = override.household
    _require_owner(by, household)
    with transaction.atomic():
        updated = ReadinessOverride.objects.filter(pk=override.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if not updated:
            raise ValidationError({"override": [_("This override was already revoked.")]})
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=household,
            details={"readiness_override_revoked": override.pk},
        )
        pipeline.stage_refresh(household)


def checklist_item_save(
    *,
    by: User,
    pathway: str,
    code: str,
    rule: str,
    label_ar: str,
    label_en: str,
    position: int,
    is_active: bool = True,
    expected_version: int | None = None,
) -> ChecklistItem:
    """Add or change an item of a pathway's checklist (administrators). A page names the
    version it showed (`expected_version`; 0 for an item it adds, which must not exist
    yet): a change made on an item someone else changed since is refused (EditConflict)
    instead of overwriting theirs."""
    _require(by, Can.MANAGE_FORMS)
    errors: dict[str, list[str]] = {}
    if pathway not in Pathway.values or pathway == Pathway.STAYING:
        errors["pathway"] = [_("Choose a pathway that leads somewhere.")]
    if rule not in ChecklistItem.Rule.values:
        errors["rule"] = [_("Choose how the item is checked.")]
    if not code or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
        errors["code"] = [_("Give a short code in Latin letters, digits, - or _.")]
    if not label_ar.strip():
        errors["label_ar"] = [_("Give the label in Arabic.")]
    if not label_en.strip():
        errors["label_en"] = [_("Give the label in English.")]
    _raise_if(errors)
    with transaction.atomic():
        existing = ChecklistItem.objects.filter(pathway=pathway, code=code.lower())
        if expected_version == 0 and existing.exists():
            raise ValidationError(
                {"code": [_("This pathway has an item with this code already: edit that one.")]}
            )
        if expected_version and not existing.filter(version=expected_version).update(
            version=F("version")
        ):
            raise EditConflict
        item = existing.select_for_update().first()
        created = item is None
        if item is None:
            item = ChecklistItem(pathway=pathway, code=code.lower())
        else:
            item.version += 1
        item.rule = rule
        item.label_ar = label_ar.strip()[:200]
        item.label_en = label_en.strip()[:200]
        item.position = max(0, min(position, 32000))
        item.is_active = is_active
        item.save()
        audit_record(
            actor=by,
            action=Action.CREATE if created else Action.UPDATE,
            obj=item,
            details={"pathway": pathway, "code": item.code, "rule": rule, "active": is_active},
        )
        # Households on this pathway that are not yet on their way may change stage.
        latest = Subquery(
            Intention.objects.filter(household=OuterRef("pk"))
            .order_by("-created_at", "-id")
            .values("pathway")[:1]
        )
        waiting = Household.objects.filter(
            status__in=[
                Household.Status.INTENTION,
                Household.Status.PREPARING,
                Household.Status.ELIGIBLE,
            ]
        ).annotate(pathway=latest)
        for household in waiting.filter(pathway=pathway).only("pk", "status", "organisation_id"):
            pipeline.stage_refresh(household)
    return item


# Movements -------------------------------------------------------------------------------


@dataclass
class Warning_:
    code: str
    message: str
    household: int | None = None
    persons: list[int] = field(default_factory=list)


class NeedsConfirmation(Exception):
    """Adding the household is possible but calls for a person's decision first."""

    def __init__(self, warnings: list[Warning_]) -> None:
        super().__init__("; ".join(w.message for w in warnings))
        self.warnings = warnings


def _movement_errors(
    *,
    kind: str,
    pathway: str,
    origin: Place | None,
    destination: Place | None,
    centre: Centre | None,
    country: str,
    capacity: int | None,
    vehicles: int | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in Movement.Kind.values:
        errors["kind"] = [_("Choose a road convoy or a flight.")]
    if pathway not in Pathway.values or pathway == Pathway.STAYING:
        errors["pathway"] = [_("Choose the pathway of the households it carries.")]
    if origin is None or origin.kind != Place.Kind.CAMP:
        errors["origin"] = [_("Choose the camp the movement leaves from.")]
    chosen = [x for x in (destination, centre, country) if x]
    if len(chosen) != 1:
        errors["destination"] = [_("Choose one destination: a place, a centre or a country.")]
    elif pathway == Pathway.THIRD_COUNTRY and not country:
        errors["country"] = [_("A repatriation to a third country goes to that country.")]
    elif pathway == Pathway.IRAQI_REPATRIATION and destination is not None:
        if destination.country != "IQ":
            errors["destination"] = [_("An Iraqi repatriation goes to Iraq.")]
    elif pathway == Pathway.SYRIAN_SPONSORSHIP:
        abroad = destination is not None and destination.country != "SY"
        if centre is not None or country or abroad:
            errors["destination"] = [_("A return in Syria goes to a place in Syria.")]
    if destination is not None and destination.kind in CAMP_KINDS:
        errors["destination"] = [_("A camp is not a destination.")]
    if country in ("SY", "IQ"):
        errors["country"] = [_("Syria and Iraq have their own pathways.")]
    if not capacity or capacity < 1:
        errors["capacity"] = [_("Give the number of people the movement can carry.")]
    elif capacity > 5000:
        errors["capacity"] = [_("A movement carries at most 5,000 people.")]
    if not vehicles or vehicles < 1:
        errors["vehicles"] = [_("Give the number of vehicles (1 for a flight).")]
    elif capacity and vehicles > capacity:
        errors["vehicles"] = [_("More vehicles than seats: check the numbers.")]
    return errors


def _next_reference(organisation_id: int, kind: str, on: datetime.date) -> str:
    prefix = f"{'CV' if kind == Movement.Kind.CONVOY else 'FL'}-{on.year}-"
    taken = Movement.objects.filter(organisation_id=organisation_id, reference__startswith=prefix)
    return f"{prefix}{taken.count() + 1:03d}"


def movement_create(
    *,
    by: User,
    kind: str,
    pathway: str,
    departs_on: datetime.date,
    origin: Place,
    capacity: int,
    vehicles: int,
    destination: Place | None = None,
    centre: Centre | None = None,
    country: str = "",
    notes: str = "",
    reference: str = "",
) -> Movement:
    _require(by, Can.MANAGE_MOVEMENTS)
    if by.organisation_id is None:
        raise PermissionDenied
    errors = _movement_errors(
        kind=kind,
        pathway=pathway,
        origin=origin,
        destination=destination,
        centre=centre,
        country=country,
        capacity=capacity,
        vehicles=vehicles,
    )
    _raise_if(errors)
    with transaction.atomic():
        reference = reference.strip()[:40] or _next_reference(by.organisation_id, kind, departs_on)
        if Movement.objects.filter(
            organisation_id=by.organisation_id, reference=reference
        ).exists():
            raise ValidationError({"reference": [_("This reference is already used.")]})
        movement = Movement.objects.create(
            organisation_id=by.organisation_id,
            reference=reference,
            kind=kind,
            pathway=pathway,
            departs_on=departs_on,
            origin=origin,
            destination=destination,
            centre=centre,
            country=country,
            capacity=capacity,
            vehicles=vehicles,
            notes=notes.strip()[:5000],
            created_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=movement,
            details={
                "reference": reference,
                "pathway": pathway,
                "departs_on": departs_on,
                "capacity": capacity,
                "vehicles": vehicles,
            },
        )
    return movement


def _stay_claimed(pk: int, expected_version: int | None) -> CentreStay:
    """The stay as saved now, held for the change, if it is still at the version the page
    showed (the check is the UPDATE itself: see awda.registry.services._locked)."""
    stays = CentreStay.objects.filter(pk=pk)
    if expected_version is not None and not stays.filter(version=expected_version).update(
        version=F("version")
    ):
        raise EditConflict
    return stays.select_for_update().get()


def _locked_movement(movement: Movement, expected_version: int | None = None) -> Movement:
    current = Movement.objects.select_for_update().get(pk=movement.pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict
    return current


def _require_movement(by: User, movement: Movement, *, planned: bool = True) -> None:
    _require(by, Can.MANAGE_MOVEMENTS)
    if movement.organisation_id != by.organisation_id:
        raise PermissionDenied
    if planned and movement.status != Movement.Status.PLANNED:
        raise ValidationError({"status": [_("The movement has left: its list is closed.")]})


def movement_update(
    *,
    by: User,
    movement: Movement,
    expected_version: int,
    departs_on: datetime.date,
    capacity: int,
    vehicles: int,
    notes: str = "",
) -> Movement:
    """Change the date, capacity or vehicles of a planned movement (not below the people
    already on it)."""
    _require_movement(by, movement)
    with transaction.atomic():
        current = _locked_movement(movement, expected_version)
        errors = _movement_errors(
            kind=current.kind,
            pathway=current.pathway,
            origin=current.origin,
            destination=current.destination,
            centre=current.centre,
            country=current.country,
            capacity=capacity,
            vehicles=vehicles,
        )
        booked = _booked(current).count()
        if not errors and capacity < booked:
            errors["capacity"] = [
                ngettext(
                    "%(n)s person is already on the movement.",
                    "%(n)s people are already on the movement.",
                    booked,
                )
                % {"n": booked}
            ]
        _raise_if(errors)
        before = {
            "departs_on": current.departs_on,
            "capacity": current.capacity,
            "vehicles": current.vehicles,
        }
        current.departs_on, current.capacity, current.vehicles = departs_on, capacity, vehicles
        current.notes = notes.strip()[:5000]
        current.version += 1
        current.save()
        _assign_vehicles(current)
        after = {"departs_on": departs_on, "capacity": capacity, "vehicles": vehicles}
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current,
            changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return current


def movement_cancel(*, by: User, movement: Movement, expected_version: int) -> Movement:
    """Cancel a planned movement: its households are ready again for another one."""
    _require_movement(by, movement)
    with transaction.atomic():
        current = _locked_movement(movement, expected_version)
        households = list(_households_on(current))
        current.status = Movement.Status.CANCELLED
        current.version += 1
        current.save()
        current.passengers.filter(status=Passenger.Status.SCHEDULED).update(
            status=Passenger.Status.REMOVED
        )
        audit_record(actor=by, action=Action.UPDATE, obj=current, details={"cancelled": True})
        for household in households:
            pipeline.stage_refresh(household)
    return current


def _booked(movement: Movement) -> QuerySet[Passenger]:
    return movement.passengers.exclude(status=Passenger.Status.REMOVED)


def _households_on(movement: Movement) -> QuerySet[Household]:
    ids = _booked(movement).values("household_id")
    return Household.objects.filter(pk__in=ids)


def seats_per_vehicle(movement: Movement) -> int:
    return math.ceil(movement.capacity / movement.vehicles)


def _assign_vehicles(movement: Movement) -> None:
    """Seat households vehicle by vehicle, a family together where it fits: first fit,
    largest families first, so that splits are as rare as the seats allow."""
    seats = seats_per_vehicle(movement)
    free = dict.fromkeys(range(1, movement.vehicles + 1), seats)
    families: dict[int, list[Passenger]] = {}
    for passenger in _booked(movement).order_by("household_id", "id"):
        families.setdefault(passenger.household_id, []).append(passenger)
    changed = []
    for people in sorted(families.values(), key=len, reverse=True):
        whole = next((v for v, n in free.items() if n >= len(people)), None)
        for passenger in people:
            vehicle = whole or next((v for v, n in free.items() if n > 0), movement.vehicles)
            free[vehicle] = free.get(vehicle, 0) - 1
            if passenger.vehicle != vehicle:
                passenger.vehicle = vehicle
                changed.append(passenger)
    Passenger.objects.bulk_update(changed, ["vehicle"])


def _age(person: Person, on: datetime.date) -> int | None:
    return person.age_on(on)


def household_warnings(
    movement: Movement,
    household: Household,
    travelling: Sequence[Person],
    escorts: dict[int, int],
) -> list[Warning_]:
    """What a person should look at before this household travels with these people."""
    warnings: list[Warning_] = []
    members = list(household.members.filter(merged_into__isnull=True))
    going = {p.pk for p in travelling}
    staying = [m for m in members if m.pk not in going]
    if staying:
        warnings.append(
            Warning_(
                "family_split",
                ngettext(
                    "Household %(ref)s: %(n)s member would stay behind.",
                    "Household %(ref)s: %(n)s members would stay behind.",
                    len(staying),
                )
                % {"ref": household.reference, "n": len(staying)},
                household.pk,
                [m.pk for m in staying],
            )
        )
    elsewhere = Passenger.objects.filter(
        household=household,
        status__in=[Passenger.Status.SCHEDULED, Passenger.Status.DEPARTED],
    ).exclude(movement=movement)
    if elsewhere.exists():
        warnings.append(
            Warning_(
                "family_on_other_movement",
                _("Household %(ref)s: some members are on another movement.")
                % {"ref": household.reference},
                household.pk,
                list(elsewhere.values_list("person_id", flat=True)),
            )
        )
    adults = [p for p in travelling if (_age(p, movement.departs_on) or 0) >= ADULT_AGE]
    alone = [
        p
        for p in travelling
        if (age := _age(p, movement.departs_on)) is not None
        and age < ADULT_AGE
        and not adults
        and p.pk not in escorts
    ]
    if alone:
        warnings.append(
            Warning_(
                "unaccompanied_child",
                ngettext(
                    "Household %(ref)s: a child travels without an adult of the family "
                    "and no escort is recorded.",
                    "Household %(ref)s: %(n)s children travel without an adult of the family "
                    "and no escort is recorded.",
                    len(alone),
                )
                % {"ref": household.reference, "n": len(alone)},
                household.pk,
                [p.pk for p in alone],
            )
        )
    return warnings


def _check_household_for(movement: Movement, household: Household) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    state = pipeline.readiness(household)
    if state.intention is None or not state.eligible:
        errors["household"] = [
            _("Household %(ref)s is not ready to return: its checklist is not complete.")
            % {"ref": household.reference}
        ]
    elif state.intention.pathway != movement.pathway:
        errors["household"] = [
            _("Household %(ref)s intends another pathway (%(pathway)s).")
            % {"ref": household.reference, "pathway": Pathway(state.intention.pathway).label}
        ]
    if household.camp_id != movement.origin_id:
        errors["household"] = [
            _("Household %(ref)s lives in %(camp)s; the movement leaves from %(origin)s.")
            % {"ref": household.reference, "camp": household.camp, "origin": movement.origin}
        ]
    return errors


def movement_add_household(
    *,
    by: User,
    movement: Movement,
    household: Household,
    persons: Sequence[Person] | None = None,
    escorts: dict[int, int] | None = None,
    confirm: bool = False,
) -> list[Passenger]:
    """Put an eligible household (all its members unless `persons` says otherwise) on a
    planned movement. Capacity is a hard limit; a family left split or a child without an
    adult of the family or a recorded escort needs `confirm=True` (NeedsConfirmation
    otherwise, with nothing written)."""
    _require_movement(by, movement)
    _require_owner(by, household)
    escorts = escorts or {}
    with transaction.atomic():
        current = _locked_movement(movement)
        locked = Household.objects.select_for_update().get(pk=household.pk)
        errors = _check_household_for(current, locked)
        members = {p.pk: p for p in locked.members.filter(merged_into__isnull=True)}
        travelling = list(members.values()) if persons is None else list(persons)
        if not travelling:
            errors["persons"] = [_("Choose at least one person.")]
        strangers = [p for p in travelling if p.pk not in members]
        if strangers:
            errors["persons"] = [_("Only members of the household can travel with it.")]
        going = {p.pk for p in travelling}
        for child, adult in escorts.items():
            if child not in going or adult in going:
                errors["escorts"] = [_("An escort is another adult, for a child on this list.")]
        booked = {p.person_id: p for p in current.passengers.filter(person__in=travelling)}
        already = [pk for pk, p in booked.items() if p.status != Passenger.Status.REMOVED]
        if already:
            errors["persons"] = [_("Some of these people are already on this movement.")]
        elsewhere = Passenger.objects.filter(
            person__in=travelling, status=Passenger.Status.SCHEDULED
        ).exclude(movement=current)
        if elsewhere.exists():
            errors["persons"] = [_("Some of these people are already on another movement.")]
        on_board = _booked(current).count()
        if on_board + len(travelling) > current.capacity:
            free = current.capacity - on_board
            no_room = ngettext(
                "No room for household %(ref)s (%(n)s person).",
                "No room for household %(ref)s (%(n)s people).",
                len(travelling),
            ) % {"n": len(travelling), "ref": locked.reference}
            left = ngettext("%(free)s place left.", "%(free)s places left.", free) % {"free": free}
            errors["capacity"] = [f"{no_room} {left}"]
        _raise_if(errors)
        warnings = household_warnings(current, locked, travelling, escorts)
        if warnings and not confirm:
            raise NeedsConfirmation(warnings)
        added = []
        for person in travelling:
            row = booked.get(person.pk)
            escort: int | None = escorts.get(person.pk)
            if row is not None:
                row.status, row.escort_id, row.added_by = Passenger.Status.SCHEDULED, escort, by
                row.save()
            else:
                row = Passenger.objects.create(
                    movement=current,
                    person=person,
                    household=locked,
                    vehicle=1,
                    escort_id=escort,
                    added_by=by,
                )
            added.append(row)
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        _assign_vehicles(current)
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current,
            details={
                "added_household": locked.pk,
                "persons": [p.pk for p in travelling],
                "warnings": [w.code for w in warnings],
            },
        )
        pipeline.stage_refresh(locked)
    return added


def movement_remove_household(*, by: User, movement: Movement, household: Household) -> None:
    _require_movement(by, movement)
    with transaction.atomic():
        current = _locked_movement(movement)
        removed = current.passengers.filter(
            household=household, status=Passenger.Status.SCHEDULED
        ).update(status=Passenger.Status.REMOVED)
        if not removed:
            raise ValidationError({"household": [_("This household is not on the movement.")]})
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        _assign_vehicles(current)
        audit_record(
            actor=by, action=Action.UPDATE, obj=current, details={"removed_household": household.pk}
        )
        pipeline.stage_refresh(household)


def passenger_set_escort(*, by: User, passenger: Passenger, escort: Person | None) -> Passenger:
    _require_movement(by, passenger.movement)
    if escort is not None:
        on_board = passenger.movement.passengers.filter(
            person=escort, status=Passenger.Status.SCHEDULED
        ).exists()
        age = escort.age_on(passenger.movement.departs_on)
        if not on_board or age is None or age < ADULT_AGE or escort.pk == passenger.person_id:
            raise ValidationError(
                {"escort": [_("The escort must be an adult travelling on the same movement.")]}
            )
    with transaction.atomic():
        passenger.escort = escort
        passenger.save(update_fields=["escort", "updated_at"])
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=passenger.movement,
            details={"passenger": passenger.person_id, "escort": escort.pk if escort else None},
        )
    return passenger


def movement_depart(
    *,
    by: User,
    movement: Movement,
    expected_version: int,
    departed_on: datetime.date,
    no_shows: Iterable[int] = (),
) -> Movement:
    """The movement left: everyone scheduled departed, except the people named as not
    showing up (their households go back to the ready list)."""
    _require_movement(by, movement)
    errors: dict[str, list[str]] = {}
    _not_future(departed_on, "departed_on", errors)
    _raise_if(errors)
    absent = set(no_shows)
    with transaction.atomic():
        current = _locked_movement(movement, expected_version)
        scheduled = current.passengers.filter(status=Passenger.Status.SCHEDULED)
        if absent - set(scheduled.values_list("person_id", flat=True)):
            raise ValidationError({"no_shows": [_("Choose people on the movement's list.")]})
        if not scheduled.exclude(person_id__in=absent).exists():
            raise ValidationError({"no_shows": [_("Nobody would be on board.")]})
        households = list(_households_on(current))
        scheduled.filter(person_id__in=absent).update(status=Passenger.Status.NO_SHOW)
        scheduled.exclude(person_id__in=absent).update(status=Passenger.Status.DEPARTED)
        current.status = Movement.Status.DEPARTED
        current.departed_on = departed_on
        current.version += 1
        current.save()
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current,
            details={"departed_on": departed_on, "no_shows": sorted(absent)},
        )
        for household in households:
            pipeline.stage_refresh(household)
    return current


ARRIVAL_OUTCOMES = (
    Passenger.Status.ARRIVED,
    Passenger.Status.SEPARATED,
    Passenger.Status.DECEASED,
)


def movement_arrive(
    *,
    by: User,
    movement: Movement,
    expected_version: int,
    arrived_on: datetime.date,
    outcomes: dict[int, str] | None = None,
) -> Movement:
    """The movement arrived. Each person who departed arrived unless `outcomes` says
    separated or died on the way. Households arriving at a centre start a stay there;
    households arriving at their destination are home (follow-ups are scheduled)."""
    _require_movement(by, movement, planned=False)
    outcomes = outcomes or {}
    errors: dict[str, list[str]] = {}
    if movement.status != Movement.Status.DEPARTED:
        errors["status"] = [_("Record the departure first.")]
    _not_future(arrived_on, "arrived_on", errors)
    if movement.departed_on and arrived_on < movement.departed_on:
        errors["arrived_on"] = [_("The arrival is before the departure.")]
    if set(outcomes.values()) - set(ARRIVAL_OUTCOMES):
        errors["outcomes"] = [_("Choose arrived, separated or died on the way.")]
    _raise_if(errors)
    with transaction.atomic():
        current = _locked_movement(movement, expected_version)
        departed = current.passengers.filter(status=Passenger.Status.DEPARTED)
        if set(outcomes) - set(departed.values_list("person_id", flat=True)):
            raise ValidationError({"outcomes": [_("Choose people who departed on it.")]})
        for status in ARRIVAL_OUTCOMES:
            chosen = [pk for pk, s in outcomes.items() if s == status]
            if chosen:
                departed.filter(person_id__in=chosen).update(status=status)
        departed.filter(status=Passenger.Status.DEPARTED).update(status=Passenger.Status.ARRIVED)
        current.status = Movement.Status.ARRIVED
        current.arrived_on = arrived_on
        current.version += 1
        current.save()
        arrived = Household.objects.filter(
            pk__in=current.passengers.filter(status=Passenger.Status.ARRIVED).values("household_id")
        )
        for household in arrived:
            if current.centre is not None:
                CentreStay.objects.create(
                    household=household,
                    centre=current.centre,
                    movement=current,
                    entered_on=arrived_on,
                    recorded_by=by,
                )
            else:
                intention = pipeline.current_intention(household)
                _homecoming(
                    by=by,
                    household=household,
                    arrived_on=arrived_on,
                    place=(intention.destination if intention else None) or current.destination,
                    village=intention.village if intention else "",
                    movement=current,
                )
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current,
            details={
                "arrived_on": arrived_on,
                "outcomes": {str(k): v for k, v in sorted(outcomes.items())},
            },
        )
        for household in _households_on(current):
            pipeline.stage_refresh(household)
    return current


def movement_record_birth(
    *, by: User, movement: Movement, household: Household, data: PersonData
) -> Passenger:
    """A child born on the way joins the household and the movement's list."""
    _require_movement(by, movement, planned=False)
    if movement.status != Movement.Status.DEPARTED:
        raise ValidationError({"status": [_("Births on the way are recorded before arrival.")]})
    if not movement.passengers.filter(
        household=household, status=Passenger.Status.DEPARTED
    ).exists():
        raise ValidationError({"household": [_("This household is not on board.")]})
    with transaction.atomic():
        child = member_add(by=by, household=household, data=data)
        vehicle = movement.passengers.filter(household=household).aggregate(v=Max("vehicle"))["v"]
        passenger = Passenger.objects.create(
            movement=movement,
            person=child,
            household=household,
            vehicle=vehicle or 1,
            status=Passenger.Status.DEPARTED,
            born_on_the_way=True,
            added_by=by,
        )
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=movement,
            details={"born_on_the_way": child.pk, "household": household.pk},
        )
    return passenger


# After arrival ---------------------------------------------------------------------------


def _homecoming(
    *,
    by: User,
    household: Household,
    arrived_on: datetime.date,
    place: Place | None,
    village: str = "",
    movement: Movement | None = None,
) -> Homecoming:
    from awda.reintegration.services import follow_ups_schedule

    try:
        with transaction.atomic():
            homecoming = Homecoming.objects.create(
                household=household,
                arrived_on=arrived_on,
                place=place,
                village=village,
                movement=movement,
                recorded_by=by,
            )
    except IntegrityError:
        raise ValidationError(
            {"household": [_("The household's arrival home is already recorded.")]}
        ) from None
    follow_ups_schedule(by=by, household=household, arrived_on=arrived_on)
    audit_record(
        actor=by,
        action=Action.CREATE,
        obj=homecoming,
        details={
            "household": household.pk,
            "arrived_on": arrived_on,
            "place": place.pcode if place else None,
            "movement": movement.pk if movement else None,
        },
    )
    return homecoming


def centre_stay_update(
    *,
    by: User,
    stay: CentreStay,
    programmes: Sequence[str],
    expected_version: int | None = None,
) -> CentreStay:
    """The programmes the household attends in the centre. A page names the version it
    showed (`expected_version`): if someone else changed the programmes since, the change
    is refused (EditConflict) instead of undoing theirs."""
    _require(by, Can.MANAGE_MOVEMENTS)
    _require_owner(by, stay.household)
    unknown = set(programmes) - set(CentreStay.Programme.values)
    if unknown:
        raise ValidationError({"programmes": [_("Choose programmes from the list.")]})
    with transaction.atomic():
        current = _stay_claimed(stay.pk, expected_version)
        before = list(current.programmes)
        current.programmes = sorted(set(programmes))
        if current.programmes != before:
            current.version += 1
            current.save(update_fields=["programmes", "version", "updated_at"])
            audit_record(
                actor=by,
                action=Action.UPDATE,
                obj=current,
                changes={"programmes": [before, current.programmes]},
            )
    stay.programmes, stay.version = current.programmes, current.version
    return stay


def centre_exit(
    *,
    by: User,
    stay: CentreStay,
    exited_on: datetime.date,
    place: Place | None,
    village: str = "",
) -> Homecoming:
    """The household left the centre and went home."""
    _require(by, Can.MANAGE_MOVEMENTS)
    _require_owner(by, stay.household)
    errors: dict[str, list[str]] = {}
    if stay.exited_on is not None:
        errors["exited_on"] = [_("The household already left the centre.")]
    _not_future(exited_on, "exited_on", errors)
    if exited_on < stay.entered_on:
        errors["exited_on"] = [_("The date of leaving is before the date of entry.")]
    if place is None or place.kind in CAMP_KINDS or place.level < 3:
        errors["place"] = [_("Choose the sub-district (or a community under it) it went to.")]
    _raise_if(errors)
    with transaction.atomic():
        updated = CentreStay.objects.filter(pk=stay.pk, exited_on__isnull=True).update(
            exited_on=exited_on
        )
        if not updated:
            raise ValidationError({"exited_on": [_("The household already left the centre.")]})
        stay.exited_on = exited_on
        homecoming = _homecoming(
            by=by, household=stay.household, arrived_on=exited_on, place=place, village=village
        )
        pipeline.stage_refresh(stay.household)
    return homecoming


def handover_summary(household: Household) -> str:
    """What the receiving organisation needs to know to take the family on: who is in it
    and what it needs (specific needs, missing documents, open referrals). Nothing from
    MHPSS records: those are shared through their own referral, with consent."""
    from awda.registry.models import CivilDocument, SpecificNeed

    members = list(
        household.members.filter(merged_into__isnull=True).prefetch_related("documents", "needs")
    )
    today = timezone.localdate()
    children = sum(1 for m in members if (m.age_on(today) or 99) < ADULT_AGE)
    people = ngettext("%(n)s person", "%(n)s people", len(members)) % {"n": len(members)}
    young = ngettext("%(n)s child", "%(n)s children", children) % {"n": children}
    lines = [
        _("Household %(ref)s: %(people)s, of whom %(children)s.")
        % {"ref": household.reference, "people": people, "children": young}
    ]
    comma = "، " if (get_language() or "ar").startswith("ar") else ", "
    needs: dict[str, int] = {}
    missing: dict[str, int] = {}
    for member in members:
        for need in member.needs.all():
            label = str(SpecificNeed.Code(need.code).label)
            needs[label] = needs.get(label, 0) + 1
        for document in member.documents.all():
            if document.status == CivilDocument.Status.MISSING:
                label = str(CivilDocument.Kind(document.kind).label)
                missing[label] = missing.get(label, 0) + 1
    if needs:
        lines.append(
            _("Specific needs: %(v)s.")
            % {"v": comma.join(f"{k} ({n})" for k, n in sorted(needs.items()))}
        )
    if missing:
        lines.append(
            _("Missing documents: %(v)s.")
            % {"v": comma.join(f"{k} ({n})" for k, n in sorted(missing.items()))}
        )
    services = sorted(
        {
            str(Referral.Service(s).label)
            for s in household.referrals.filter(
                status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED]
            ).values_list("service", flat=True)
        }
    )
    if services:
        lines.append(_("Open referrals: %(v)s.") % {"v": comma.join(services)})
    return "\n".join(lines)


def handover(
    *,
    by: User,
    household: Household,
    receiving_organisation: Organisation,
    kind: str,
    summary: str,
    consent: str,
    consent_note: str = "",
) -> Referral:
    """Hand a household that is home over to a receiving-area organisation: a referral
    (the receiver reads the file) or a transfer (the receiver takes it on), for return and
    reintegration support, with the summary of what it needs."""
    _require(by, Can.MANAGE_MOVEMENTS)
    _require_owner(by, household)
    with transaction.atomic():
        homecoming = Homecoming.objects.select_for_update().filter(household=household).first()
        if homecoming is None:
            raise ValidationError({"household": [_("Record the arrival home first.")]})
        if homecoming.handover_id is not None:
            raise ValidationError({"household": [_("The household was already handed over.")]})
        referral = referral_create(
            by=by,
            household=household,
            receiving_organisation=receiving_organisation,
            kind=kind,
            service=Referral.Service.RETURN_SUPPORT,
            consent=consent,
            consent_note=consent_note,
            reason=summary.strip()[:5000],
        )
        homecoming.handover = referral
        homecoming.save(update_fields=["handover"])
    return referral


class ClosureReason(models.TextChoices):
    REINTEGRATED = "reintegrated", gettext_lazy("Reintegration holds")
    LOST_CONTACT = "lost_contact", gettext_lazy("Contact lost")
    MOVED_AGAIN = "moved_again", gettext_lazy("Moved again")
    STAYING = "staying", gettext_lazy("Stays in the camp")
    OTHER = "other", gettext_lazy("Other")


def household_close(*, by: User, household: Household, reason: str) -> Household:
    """Close the household's return file (the stage becomes closed; reopening puts it back
    where its records say it is)."""
    _require(by, Can.OVERRIDE_READINESS)
    _require_owner(by, household)
    if reason not in ClosureReason.values:
        raise ValidationError({"reason": [_("Choose why the file is closed.")]})
    with transaction.atomic():
        Household.objects.filter(pk=household.pk).update(status=Household.Status.CLOSED)
        household.status = Household.Status.CLOSED
        audit_record(actor=by, action=Action.UPDATE, obj=household, details={"closed": reason})
    return household


def household_reopen(*, by: User, household: Household) -> Household:
    _require(by, Can.OVERRIDE_READINESS)
    _require_owner(by, household)
    if household.status != Household.Status.CLOSED:
        raise ValidationError({"status": [_("The file is not closed.")]})
    with transaction.atomic():
        household.status = Household.Status.REGISTERED
        Household.objects.filter(pk=household.pk).update(status=household.status)
        pipeline.stage_refresh(household)
        audit_record(actor=by, action=Action.UPDATE, obj=household, details={"reopened": True})
    return household


# The centres Iraqi families pass through (DOMAIN.md): Jeddah-1, also called al-Amal, in
# al-Qayyarah sub-district, Ninewa.
KNOWN_CENTRES = (("مركز الأمل (الجدعة 1)", "Jeddah-1 (al-Amal) centre", "IQG15Q05N01", 6500),)


def centres_load() -> int:
    created = 0
    for name_ar, name_en, pcode, capacity in KNOWN_CENTRES:
        place = Place.objects.filter(pcode=pcode).first()
        if place is None:
            raise LookupError(f"Place {pcode} is not loaded: run `awda load_places` first.")
        _centre, new = Centre.objects.get_or_create(
            name_en=name_en, defaults={"name_ar": name_ar, "place": place, "capacity": capacity}
        )
        created += int(new)
    return created
