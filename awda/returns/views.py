"""Pages of the return pipeline: the board, a household's return, movements with their
lists, departures, arrivals and manifests, handovers, and the checklists' settings."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.common.forms import add_service_errors
from awda.common.numbers import whole_number
from awda.common.views import acting_user, paginate, requires
from awda.community.models import Sponsorship
from awda.places.models import Place
from awda.registry.models import Household, Person
from awda.registry.selectors import household_get_for_user, household_members
from awda.registry.services import EditConflict, PersonData
from awda.reintegration.models import FollowUp
from awda.returns import pipeline, selectors, services
from awda.returns.forms import (
    CentreExitForm,
    ChecklistItemForm,
    ClearanceForm,
    CloseForm,
    HandoverForm,
    IntentionForm,
    MovementEditForm,
    MovementForm,
    ProgrammesForm,
)
from awda.returns.models import (
    CentreStay,
    ChecklistItem,
    Homecoming,
    Intention,
    Movement,
    Passenger,
    Pathway,
    ReadinessOverride,
)


def _conflict() -> str:
    return _("Someone else changed this movement while you were working; reload and try again.")


def _int(value: str | None) -> int | None:
    return whole_number(value)


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _attempt(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a service; its refusal becomes messages on the page."""
    try:
        action()
    except ValidationError as error:
        _flash_errors(request, error)
        return False
    except EditConflict:
        messages.error(request, _conflict())
        return False
    messages.success(request, done)
    return True


# The board and a household's return ------------------------------------------------------


@requires(Can.VIEW_PERSONAL_DATA)
def board(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filters = selectors.BoardFilters(
        camp=_int(request.GET.get("camp")),
        pathway=request.GET.get("pathway", "")
        if request.GET.get("pathway") in Pathway.values
        else "",
        governorate=_int(request.GET.get("governorate")),
    )
    data = selectors.pipeline_board(user, filters)
    return render(
        request,
        "returns/board.html",
        {
            **data,
            "filters": filters,
            "camps": Place.objects.filter(kind=Place.Kind.CAMP).order_by("pcode"),
            "pathways": Pathway.choices,
            "governorates": Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by(
                "country", "pcode"
            ),
        },
    )


def _owner_can(user: User, household: Household, capability: Can) -> bool:
    return user.can(capability) and household.organisation_id == user.organisation_id


@requires(Can.VIEW_PERSONAL_DATA)
def household_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = household_get_for_user(user, pk)
    state = pipeline.readiness(household)
    intention = state.intention
    initial: dict[str, Any] = {"stated_on": timezone.localdate()}
    if intention is not None:
        initial |= {
            "pathway": intention.pathway,
            "destination_governorate": intention.destination.governorate_id
            if intention.destination
            else None,
            "destination": intention.destination_id,
            "village": intention.village,
            "country": intention.country,
        }
    stays = list(CentreStay.objects.filter(household=household).select_related("centre"))
    for stay in stays:
        known = set(CentreStay.Programme.values)
        stay.labels = [CentreStay.Programme(c).label for c in stay.programmes if c in known]  # type: ignore[attr-defined]
    open_stay = next((s for s in stays if s.exited_on is None), None)
    homecoming = (
        Homecoming.objects.filter(household=household)
        .select_related("place", "handover__receiving_organisation")
        .first()
    )
    trips = (
        Passenger.objects.filter(household=household)
        .exclude(status=Passenger.Status.REMOVED)
        .select_related("movement", "person")
        .order_by("-movement__departs_on", "person_id")
    )
    movements: dict[int, dict[str, Any]] = {}
    for passenger in trips:
        entry = movements.setdefault(
            passenger.movement_id, {"movement": passenger.movement, "people": []}
        )
        entry["people"].append(passenger)
    plan = _owner_can(user, household, Can.PLAN_RETURNS)
    manage = _owner_can(user, household, Can.MANAGE_MOVEMENTS)
    return render(
        request,
        "returns/household.html",
        {
            "household": household,
            "state": state,
            "intentions": Intention.objects.filter(household=household)
            .select_related("destination", "recorded_by")
            .order_by("-created_at", "-id"),
            "intention_form": IntentionForm(initial=initial) if plan else None,
            "clearance": pipeline.current_clearance(household),
            "clearance_form": ClearanceForm(initial={"decided_on": timezone.localdate()})
            if manage
            else None,
            "sponsorships": Sponsorship.objects.filter(household=household).select_related(
                "sponsor"
            ),
            "overrides": ReadinessOverride.objects.filter(household=household).select_related(
                "granted_by", "revoked_by"
            ),
            "movements": list(movements.values()),
            "stays": stays,
            "open_stay": open_stay,
            "programmes_form": ProgrammesForm(
                initial={"programmes": open_stay.programmes, "version": open_stay.version}
            )
            if open_stay and manage
            else None,
            "exit_form": CentreExitForm(initial={"exited_on": timezone.localdate()})
            if open_stay and manage
            else None,
            "homecoming": homecoming,
            "follow_ups": FollowUp.objects.filter(household=household).order_by("due_on"),
            "journey": selectors.journey(household, user=user),
            "close_form": CloseForm()
            if _owner_can(user, household, Can.OVERRIDE_READINESS)
            else None,
            "can_plan": plan,
            "can_manage": manage,
            "can_override": _owner_can(user, household, Can.OVERRIDE_READINESS),
            "members": household_members(household),
        },
    )


@require_POST
@requires(Can.PLAN_RETURNS)
def intention_save(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    form = IntentionForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        _attempt(
            request,
            lambda: services.intention_record(
                by=user,
                household=household,
                pathway=c["pathway"],
                destination=c["destination"],
                village=c.get("village", ""),
                country=c.get("country", ""),
                reasons=c.get("reasons", ""),
                stated_on=c.get("stated_on"),
            ),
            _("Return intention recorded."),
        )
    else:
        for message in form.errors.get_json_data().values():
            for item in message:
                messages.error(request, str(item["message"]))
    return redirect("returns:household", pk=household.pk)


def _household_of_organisation(user: User, pk: int) -> Household:
    """The household if the user's organisation holds it (return planning does not need
    the registry's edit right)."""
    household = household_get_for_user(user, pk)
    if household.organisation_id != user.organisation_id:
        raise Http404
    return household


@require_POST
@requires(Can.PLAN_RETURNS)
def tick(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    found = ChecklistItem.objects.filter(pk=item).first()
    if found is None:
        raise Http404
    done = request.POST.get("done") == "1"
    _attempt(
        request,
        lambda: services.checklist_tick(
            by=user,
            household=household,
            item=found,
            done=done,
            note=request.POST.get("note", "")[:2000],
        ),
        _("Checklist updated."),
    )
    return redirect("returns:household", pk=household.pk)


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def clearance_save(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    form = ClearanceForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        _attempt(
            request,
            lambda: services.clearance_record(
                by=user,
                household=household,
                decision=c["decision"],
                decided_on=c["decided_on"],
                reference=c.get("reference", ""),
            ),
            _("Clearance decision recorded."),
        )
    else:
        messages.error(request, _("Give the decision and its date."))
    return redirect("returns:household", pk=household.pk)


@require_POST
@requires(Can.OVERRIDE_READINESS)
def override(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    _attempt(
        request,
        lambda: services.readiness_override(
            by=user, household=household, reason=request.POST.get("reason", "")[:2000]
        ),
        _("The household may now be scheduled."),
    )
    return redirect("returns:household", pk=household.pk)


@require_POST
@requires(Can.OVERRIDE_READINESS)
def override_revoke(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    found = ReadinessOverride.objects.filter(pk=override_pk, household=household).first()
    if found is None:
        raise Http404
    _attempt(
        request,
        lambda: services.readiness_override_revoke(by=user, override=found),
        _("Override revoked."),
    )
    return redirect("returns:household", pk=household.pk)


def _open_stay(user: User, pk: int) -> CentreStay:
    household = _household_of_organisation(user, pk)
    stay = CentreStay.objects.filter(household=household, exited_on__isnull=True).first()
    if stay is None:
        raise Http404
    return stay


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def stay_programmes(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    stay = _open_stay(user, pk)
    form = ProgrammesForm(request.POST)
    if form.is_valid():
        try:
            services.centre_stay_update(
                by=user,
                stay=stay,
                programmes=form.cleaned_data["programmes"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict:
            messages.error(
                request,
                _(
                    "Someone else changed the programmes meanwhile: yours were not saved. "
                    "They are shown as saved now; tick yours again."
                ),
            )
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Programmes recorded."))
    else:
        messages.error(request, _("Choose programmes from the list."))
    return redirect("returns:household", pk=pk)


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def stay_exit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    stay = _open_stay(user, pk)
    form = CentreExitForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        _attempt(
            request,
            lambda: services.centre_exit(
                by=user,
                stay=stay,
                exited_on=c["exited_on"],
                place=c["destination"],
                village=c.get("village", ""),
            ),
            _("The household's arrival home is recorded; follow-ups are scheduled."),
        )
    else:
        messages.error(request, _("Give the date and the sub-district the family went to."))
    return redirect("returns:household", pk=pk)


@require_POST
@requires(Can.OVERRIDE_READINESS)
def close(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    if request.POST.get("reopen"):
        _attempt(
            request,
            lambda: services.household_reopen(by=user, household=household),
            _("File reopened."),
        )
    else:
        _attempt(
            request,
            lambda: services.household_close(
                by=user, household=household, reason=request.POST.get("reason", "")
            ),
            _("File closed."),
        )
    return redirect("returns:household", pk=household.pk)


@requires(Can.MANAGE_MOVEMENTS)
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = _household_of_organisation(user, pk)
    homecoming = Homecoming.objects.filter(household=household).first()
    if homecoming is None:
        messages.error(request, _("Record the arrival home first."))
        return redirect("returns:household", pk=household.pk)
    form = HandoverForm(
        request.POST or None,
        organisation_id=user.organisation_id,
        initial={"summary": services.handover_summary(household)},
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            services.handover(
                by=user,
                household=household,
                receiving_organisation=c["receiving_organisation"],
                kind=c["kind"],
                summary=c["summary"],
                consent=c["consent"],
                consent_note=c.get("consent_note", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Handover sent; the receiving organisation must accept it.")
            )
            return redirect("returns:household", pk=household.pk)
    return render(
        request,
        "returns/handover.html",
        {"household": household, "homecoming": homecoming, "form": form},
    )


# Movements -------------------------------------------------------------------------------


@requires(Can.VIEW_PERSONAL_DATA)
def movement_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    status = request.GET.get("status", "")
    queryset = selectors.movements_for_user(user)
    if status in Movement.Status.values:
        queryset = queryset.filter(status=status)
    return render(
        request,
        "returns/movement_list.html",
        {
            "page": paginate(request, queryset),
            "status": status,
            "statuses": Movement.Status.choices,
            "can_manage": user.can(Can.MANAGE_MOVEMENTS),
        },
    )


@requires(Can.MANAGE_MOVEMENTS)
def movement_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = MovementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            movement = services.movement_create(
                by=user,
                kind=c["kind"],
                pathway=c["pathway"],
                departs_on=c["departs_on"],
                origin=c["origin"],
                destination=c["destination"],
                centre=c.get("centre"),
                country=c.get("country", ""),
                capacity=c["capacity"],
                vehicles=c["vehicles"],
                notes=c.get("notes", ""),
                reference=c.get("reference", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Movement %(ref)s created.") % {"ref": movement.reference})
            return redirect("returns:movement_detail", pk=movement.pk)
    return render(request, "returns/movement_form.html", {"form": form})


def _movement_context(user: User, movement: Movement) -> dict[str, Any]:
    from awda.returns.manifest import manifest_rows, manifest_totals

    passengers = list(selectors.movement_passengers(movement))
    vehicles: dict[int, list[Passenger]] = {}
    for passenger in passengers:
        passenger.age = passenger.person.age_on(movement.departs_on)  # type: ignore[attr-defined]
        vehicles.setdefault(passenger.vehicle, []).append(passenger)
    live = [p for p in passengers if p.status != Passenger.Status.NO_SHOW]
    manage = user.can(Can.MANAGE_MOVEMENTS)
    return {
        "movement": movement,
        "vehicles": sorted(vehicles.items()),
        "people": len(live),
        "households": len({p.household_id for p in live}),
        "free": movement.capacity - len(live),
        "seats": services.seats_per_vehicle(movement),
        "totals": manifest_totals(manifest_rows(movement, passengers=passengers)),
        "warnings": selectors.movement_warnings(movement),
        "adults": [
            p
            for p in passengers
            if p.status == Passenger.Status.SCHEDULED and (p.age or 0) >= services.ADULT_AGE  # type: ignore[attr-defined]
        ],
        "alone": selectors.children_without_adults(
            [p for p in passengers if p.status == Passenger.Status.SCHEDULED], movement.departs_on
        ),
        "eligible": selectors.eligible_households_for(user, movement)
        if manage and movement.status == Movement.Status.PLANNED
        else [],
        "can_manage": manage,
    }


@requires(Can.VIEW_PERSONAL_DATA)
def movement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk)
    return render(request, "returns/movement_detail.html", _movement_context(user, movement))


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def movement_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the chosen households on the movement. Warnings (a family left split, a child
    without an adult) come back to the page for a decision before anything is written."""
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    chosen = [n for n in map(whole_number, request.POST.getlist("household")) if n is not None]
    confirm = request.POST.get("confirm") == "1"
    if not chosen:
        messages.error(request, _("Choose at least one household."))
        return redirect("returns:movement_detail", pk=movement.pk)
    needing: list[tuple[Household, list[services.Warning_]]] = []
    added = 0
    for household_pk in chosen:
        household = _household_of_organisation(user, household_pk)
        try:
            services.movement_add_household(
                by=user, movement=movement, household=household, confirm=confirm
            )
            added += 1
        except services.NeedsConfirmation as pending:
            needing.append((household, pending.warnings))
        except ValidationError as error:
            _flash_errors(request, error)
        except EditConflict:
            messages.error(request, _conflict())
        movement.refresh_from_db()
    if added:
        messages.success(
            request,
            ngettext("%(n)s household added.", "%(n)s households added.", added) % {"n": added},
        )
    if needing:
        return render(
            request,
            "returns/movement_confirm.html",
            {"movement": movement, "needing": needing},
        )
    return redirect("returns:movement_detail", pk=movement.pk)


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def movement_remove(request: HttpRequest, pk: int, household: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    found = _household_of_organisation(user, household)
    _attempt(
        request,
        lambda: services.movement_remove_household(by=user, movement=movement, household=found),
        _("Household taken off the movement."),
    )
    return redirect("returns:movement_detail", pk=movement.pk)


@require_POST
@requires(Can.MANAGE_MOVEMENTS)
def passenger_escort(request: HttpRequest, pk: int, passenger: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    found = movement.passengers.filter(pk=passenger).select_related("movement").first()
    if found is None:
        raise Http404
    escort_pk = _int(request.POST.get("escort"))
    escort = (
        Person.objects.filter(pk=escort_pk, organisation_id=user.organisation_id or 0).first()
        if escort_pk
        else None
    )
    if escort_pk and escort is None:
        raise Http404
    _attempt(
        request,
        lambda: services.passenger_set_escort(by=user, passenger=found, escort=escort),
        _("Escort recorded."),
    )
    return redirect("returns:movement_detail", pk=movement.pk)


@requires(Can.MANAGE_MOVEMENTS)
def movement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    initial = {
        "departs_on": movement.departs_on,
        "capacity": movement.capacity,
        "vehicles": movement.vehicles,
        "notes": movement.notes,
    }
    form = MovementEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("cancel_movement") == "1":
            if _attempt(
                request,
                lambda: services.movement_cancel(
                    by=user,
                    movement=movement,
                    expected_version=_int(request.POST.get("version")) or 0,
                ),
                _("Movement cancelled."),
            ):
                return redirect("returns:movement_detail", pk=movement.pk)
        elif form.is_valid():
            c = form.cleaned_data
            if _attempt(
                request,
                lambda: services.movement_update(
                    by=user,
                    movement=movement,
                    expected_version=_int(request.POST.get("version")) or 0,
                    departs_on=c["departs_on"],
                    capacity=c["capacity"],
                    vehicles=c["vehicles"],
                    notes=c.get("notes", ""),
                ),
                _("Movement updated."),
            ):
                return redirect("returns:movement_detail", pk=movement.pk)
    return render(request, "returns/movement_edit.html", {"movement": movement, "form": form})


@requires(Can.MANAGE_MOVEMENTS)
def movement_departure(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    if request.method == "POST":
        no_shows = [n for n in map(whole_number, request.POST.getlist("no_show")) if n is not None]
        departed_on = _date(request.POST.get("departed_on"))
        if departed_on is None:
            messages.error(request, _("Give the departure date."))
        elif _attempt(
            request,
            lambda: services.movement_depart(
                by=user,
                movement=movement,
                expected_version=_int(request.POST.get("version")) or 0,
                departed_on=departed_on,
                no_shows=no_shows,
            ),
            _("Departure recorded."),
        ):
            return redirect("returns:movement_detail", pk=movement.pk)
    passengers = selectors.movement_passengers(movement).filter(status=Passenger.Status.SCHEDULED)
    return render(
        request,
        "returns/movement_departure.html",
        {"movement": movement, "passengers": passengers, "today": timezone.localdate()},
    )


@requires(Can.MANAGE_MOVEMENTS)
def movement_arrival(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk, write=True)
    passengers = list(
        selectors.movement_passengers(movement).filter(status=Passenger.Status.DEPARTED)
    )
    if request.method == "POST" and request.POST.get("birth") == "1":
        _record_birth(request, user, movement)
        return redirect("returns:movement_arrival", pk=movement.pk)
    if request.method == "POST":
        outcomes = {
            p.person_id: request.POST.get(f"outcome_{p.person_id}", Passenger.Status.ARRIVED)
            for p in passengers
        }
        arrived_on = _date(request.POST.get("arrived_on"))
        if arrived_on is None:
            messages.error(request, _("Give the arrival date."))
        elif _attempt(
            request,
            lambda: services.movement_arrive(
                by=user,
                movement=movement,
                expected_version=_int(request.POST.get("version")) or 0,
                arrived_on=arrived_on,
                outcomes={k: v for k, v in outcomes.items() if v != Passenger.Status.ARRIVED},
            ),
            _("Arrival recorded."),
        ):
            return redirect("returns:movement_detail", pk=movement.pk)
    households = {p.household_id: p.household for p in passengers}
    return render(
        request,
        "returns/movement_arrival.html",
        {
            "movement": movement,
            "passengers": passengers,
            "outcomes": [(s.value, s.label) for s in services.ARRIVAL_OUTCOMES],
            "households": sorted(households.values(), key=lambda h: h.reference),
            "today": timezone.localdate(),
            "sexes": Person.Sex.choices,
        },
    )


def _record_birth(request: HttpRequest, user: User, movement: Movement) -> None:
    household = _household_of_organisation(user, _int(request.POST.get("household")) or 0)
    born = _date(request.POST.get("born_on")) or timezone.localdate()
    data = PersonData(
        first_name_ar=request.POST.get("first_name_ar", "").strip()[:60],
        father_name_ar=request.POST.get("father_name_ar", "").strip()[:60],
        family_name_ar=request.POST.get("family_name_ar", "").strip()[:60],
        sex=request.POST.get("sex", ""),
        date_of_birth=born,
        dob_precision=Person.DobPrecision.EXACT,
        relationship=request.POST.get("relationship", Person.Relationship.CHILD),
    )
    try:
        services.movement_record_birth(by=user, movement=movement, household=household, data=data)
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, ValidationError):
            _flash_errors(request, error)
        else:
            messages.error(request, _("Only staff who may edit the registry record a birth."))
        return
    messages.success(request, _("Birth recorded."))


@requires(Can.VIEW_PERSONAL_DATA)
def manifest_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from awda.returns.manifest import manifest_pdf as render_pdf

    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk)
    response = HttpResponse(render_pdf(movement), content_type="application/pdf")
    return selectors.manifest_download(user, movement, response, "pdf")


@requires(Can.VIEW_PERSONAL_DATA)
def manifest_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from awda.returns.manifest import manifest_xlsx as render_xlsx

    user = acting_user(request)
    movement = selectors.movement_get_for_user(user, pk)
    response = HttpResponse(
        render_xlsx(movement),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return selectors.manifest_download(user, movement, response, "xlsx")


# Checklists ------------------------------------------------------------------------------


@requires(Can.MANAGE_FORMS)
def checklists(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    chosen = _int(request.GET.get("item"))
    editing = ChecklistItem.objects.filter(pk=chosen).first() if chosen else None
    initial = (
        {
            "pathway": editing.pathway,
            "code": editing.code,
            "rule": editing.rule,
            "label_ar": editing.label_ar,
            "label_en": editing.label_en,
            "position": editing.position,
            "is_active": editing.is_active,
            "version": editing.version,
        }
        if editing
        else {}
    )
    form = ChecklistItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        c = dict(form.cleaned_data)
        version = c.pop("version") or 0
        # A change of code or pathway adds an item: it must not exist yet.
        same = editing is not None and (editing.pathway, editing.code) == (
            c["pathway"],
            c["code"].lower(),
        )
        try:
            services.checklist_item_save(by=user, **c, expected_version=version if same else 0)
        except EditConflict:
            form.add_error(
                None,
                _(
                    "Someone else saved this item meanwhile: yours was not saved. The list "
                    "shows it as it is now; open it from there to make your change on it."
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Checklist saved."))
            return redirect("returns:checklists")
    items = ChecklistItem.objects.order_by("pathway", "position", "id")
    by_pathway = [
        (label, [i for i in items if i.pathway == code])
        for code, label in Pathway.choices
        if code != Pathway.STAYING
    ]
    return render(
        request,
        "returns/checklists.html",
        {"by_pathway": by_pathway, "form": form, "editing": editing},
    )
