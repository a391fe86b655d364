"""Pages of community work: sponsors and their load, a household's sponsorships, the
acceptance of each place and the activities held there. Reading is for the organisation's
staff who see personal data; writing, and a sponsor's contact details, for the roles that
manage community work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.views import acting_user, paginate, requires
from awda.community import selectors, services
from awda.community.forms import (
    ActivityForm,
    ActorForm,
    AssessmentForm,
    SponsorshipRequestForm,
    SponsorshipStepForm,
    SponsorshipWithdrawForm,
    governorates,
    parse_date,
    parse_int,
)
from awda.community.models import AcceptanceActivity, CommunityActor, Sponsorship
from awda.registry.forms import VersionForm, _grouped, subdistricts_of
from awda.registry.models import Household
from awda.registry.services import EditConflict
from awda.returns.pipeline import current_intention

CONFLICT = gettext_lazy(
    "Someone else changed this record while you were working on it. "
    "Reload the page and make your change again."
)


def _errors_onto(error: ValidationError, form: BaseForm) -> None:
    """A service's ValidationError on the form's fields (or the form itself)."""
    for field, problems in error.message_dict.items():
        for message in problems:
            form.add_error(field if field in form.fields else None, message)


# --- Community actors -------------------------------------------------------------------


@requires(Can.VIEW_PERSONAL_DATA)
def actor_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    active = request.GET.get("active", "")
    filters = selectors.ActorFilters(
        governorate=parse_int(request.GET.get("governorate")),
        place=parse_int(request.GET.get("place")),
        kind=request.GET.get("kind", "")[:20],
        active={"1": True, "0": False}.get(active),
    )
    page = paginate(request, selectors.actors_for_user(user, filters))
    audit_record(
        actor=user,
        action=Action.LIST,
        details={
            "object_type": "community.communityactor",
            "ids": [a.pk for a in page.object_list],
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/actor_list.html",
        {
            "page": page,
            "filters": filters,
            "active": active,
            "governorates": governorates(),
            "kinds": CommunityActor.Kind.choices,
            "query": query,
            "can_manage": user.can(Can.MANAGE_COMMUNITY),
        },
    )


def _actor_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> ActorForm:
    """The posted form; or, when the user (without JavaScript) asked only to see the
    chosen governorate's sub-districts, the same values unsaved and unchecked."""
    if request.method != "POST":
        return ActorForm(initial=initial)
    if "refresh" in request.POST:
        return ActorForm(initial={**(initial or {}), **request.POST.dict(), "place": None})
    return ActorForm(request.POST, initial=initial)


@requires(Can.MANAGE_COMMUNITY)
def actor_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = _actor_form(request)
    if form.is_bound and form.is_valid():
        try:
            actor = services.actor_create(by=user, data=form.to_data())
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:actor_detail", pk=actor.pk)
    return render(request, "community/actor_form.html", {"form": form, "creating": True})


@requires(Can.VIEW_PERSONAL_DATA)
def actor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    actor = selectors.actor_get_for_user(user, pk)
    return render(
        request,
        "community/actor_detail.html",
        {
            "actor": actor,
            "sponsorships": selectors.sponsorships_of_actor(user, actor),
            "sees_contact": selectors.sees_contact(user),
            "can_manage": user.can(Can.MANAGE_COMMUNITY),
        },
    )


@requires(Can.MANAGE_COMMUNITY)
def actor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    actor = selectors.actor_get_for_user(user, pk, write=True)
    if request.method == "POST":
        form = _actor_form(request, initial={"place": actor.place_id})
        version = VersionForm(request.POST)
        if form.is_bound and form.is_valid() and version.is_valid():
            try:
                services.actor_update(
                    by=user,
                    actor=actor,
                    expected_version=version.cleaned_data["version"],
                    data=form.to_data(),
                )
            except EditConflict:
                form.add_error(None, CONFLICT)
            except ValidationError as error:
                _errors_onto(error, form)
            else:
                messages.success(request, _("Saved."))
                return redirect("community:actor_detail", pk=actor.pk)
    else:
        form = ActorForm(initial=ActorForm.initial_for(actor))
        version = VersionForm(initial={"version": actor.version})
    return render(
        request,
        "community/actor_form.html",
        {"form": form, "version_form": version, "actor": actor},
    )


# --- Sponsorships -----------------------------------------------------------------------


STEPS = ("agree", "fulfil", "withdraw")


def _step_form(step: str, data: Any = None, initial: dict[str, Any] | None = None) -> BaseForm:
    form_class = SponsorshipWithdrawForm if step == "withdraw" else SponsorshipStepForm
    return form_class(data, initial=initial, prefix=step)


def _sponsorship_post(
    request: HttpRequest,
    household: Household,
    near: list[CommunityActor],
    others: list[CommunityActor],
) -> tuple[bool, BaseForm]:
    """Apply the posted step: (done, the form with its errors)."""
    user = acting_user(request)
    step = request.POST.get("step", "")
    if step == "request":
        form: BaseForm = SponsorshipRequestForm(request.POST, near=near, others=others)
        if form.is_valid():
            try:
                services.sponsorship_request(
                    by=user,
                    household=household,
                    sponsor=form.cleaned_data["sponsor"],
                    requested_on=form.cleaned_data["requested_on"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _errors_onto(error, form)
            else:
                return True, form
        return False, form
    if step not in STEPS:
        form = SponsorshipStepForm()
        form.add_error(None, _("Choose what to record."))
        return False, form
    form = _step_form(step, request.POST)
    if not form.is_valid():
        return False, form
    data = form.cleaned_data
    sponsorship = (
        selectors.sponsorships_of_household(user, household).filter(pk=data["sponsorship"]).first()
    )
    if sponsorship is None:
        form.add_error(None, _("This sponsorship is not one of this household's."))
        return False, form
    try:
        if step == "withdraw":
            services.sponsorship_withdraw(
                by=user,
                sponsorship=sponsorship,
                reason=data["reason"],
                note=data["note"],
                on=data["on"],
                expected_version=data["version"],
            )
        else:
            move = services.sponsorship_agree if step == "agree" else services.sponsorship_fulfil
            move(
                by=user,
                sponsorship=sponsorship,
                on=data["on"],
                expected_version=data["version"],
                note=data["note"],
            )
    except EditConflict:
        form.add_error(None, CONFLICT)
    except ValidationError as error:
        _errors_onto(error, form)
    else:
        return True, form
    return False, form


def _messages_of(form: BaseForm) -> list[str]:
    """Every error of a form, each with the label of its field."""
    found = []
    for field, problems in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for message in problems:
            found.append(
                _("%(field)s: %(message)s") % {"field": label, "message": message}
                if label
                else str(message)
            )
    return found


@requires(Can.VIEW_PERSONAL_DATA)
def household_sponsorship(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's sponsorships, current and past, and for community roles the forms
    to request a sponsor and record each step."""
    user = acting_user(request)
    can_manage = user.can(Can.MANAGE_COMMUNITY)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    household = selectors.household_get_for_sponsorship(user, pk)
    intention = current_intention(household)
    destination = (intention.destination if intention else None) or household.destination
    near: list[CommunityActor] = []
    others: list[CommunityActor] = []
    if can_manage:
        near, others = selectors.sponsor_choices(user, destination)
    failed: BaseForm | None = None
    step = request.POST.get("step", "")
    if request.method == "POST":
        done, failed = _sponsorship_post(request, household, near, others)
        if done:
            messages.success(request, _("Saved."))
            return redirect("community:household_sponsorship", pk=household.pk)
    sponsorships = list(selectors.sponsorships_of_household(user, household))
    open_one = next((s for s in sponsorships if s.status in Sponsorship.OPEN), None)
    request_form = failed if failed is not None and step == "request" else None
    steps: dict[str, BaseForm] = {}
    if can_manage and open_one is None and request_form is None:
        request_form = SponsorshipRequestForm(near=near, others=others)
    if can_manage and open_one is not None:
        initial = {"sponsorship": open_one.pk, "version": open_one.version}
        for name in STEPS:
            if failed is not None and step == name:
                steps[name] = failed
            else:
                steps[name] = _step_form(name, initial=initial)
    return render(
        request,
        "community/household_sponsorship.html",
        {
            "household": household,
            "destination": destination,
            "sponsorships": sponsorships,
            "open_one": open_one,
            "can_manage": can_manage,
            "has_sponsors": bool(near or others),
            "request_form": request_form,
            "steps": steps,
            # a failed form shown in the page carries its own errors; any other is told here
            "errors": _messages_of(failed)
            if failed is not None and failed is not request_form and failed not in steps.values()
            else [],
        },
    )


# --- Places and acceptance ------------------------------------------------------------


@requires(Can.VIEW_PERSONAL_DATA)
def place_list(request: HttpRequest) -> HttpResponse:
    """Acceptance by place, and a way to open any sub-district to assess it."""
    chosen = parse_int(request.GET.get("place"))
    if chosen:
        return redirect("community:place_detail", pk=selectors.place_get(chosen).pk)
    user = acting_user(request)
    governorate = parse_int(request.GET.get("governorate"))
    return render(
        request,
        "community/place_list.html",
        {
            "standings": selectors.acceptance_by_place(user, governorate=governorate),
            "governorate": governorate,
            "governorates": governorates(),
            "subdistricts": _grouped(subdistricts_of(governorate)),
            "can_manage": user.can(Can.MANAGE_COMMUNITY),
        },
    )


@requires(Can.VIEW_PERSONAL_DATA)
def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    can_manage = user.can(Can.MANAGE_COMMUNITY)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    place = selectors.place_get(pk)
    activities = list(selectors.activities_at(user, place))
    activity_form = ActivityForm(prefix="activity")
    assessment_form = AssessmentForm(prefix="assessment", activities=activities)
    if request.method == "POST":
        if request.POST.get("record") == "activity":
            activity_form = ActivityForm(request.POST, prefix="activity")
            if activity_form.is_valid():
                data = activity_form.cleaned_data
                try:
                    services.activity_record(
                        by=user,
                        place=place,
                        kind=data["kind"],
                        held_on=data["held_on"],
                        participant_roles=data["participant_roles"],
                        participants=data["participants"],
                        outcome=data["outcome"],
                    )
                except ValidationError as error:
                    _errors_onto(error, activity_form)
                else:
                    messages.success(request, _("Activity recorded."))
                    return redirect("community:place_detail", pk=place.pk)
        else:
            assessment_form = AssessmentForm(
                request.POST, prefix="assessment", activities=activities
            )
            if assessment_form.is_valid():
                data = assessment_form.cleaned_data
                try:
                    services.acceptance_assess(
                        by=user,
                        place=place,
                        status=data["status"],
                        assessed_on=data["assessed_on"],
                        note=data["note"],
                        activity=data["activity"],
                    )
                except ValidationError as error:
                    _errors_onto(error, assessment_form)
                else:
                    messages.success(request, _("Acceptance recorded."))
                    return redirect("community:place_detail", pk=place.pk)
    history = list(selectors.acceptance_history(user, place))
    deciding = history[0] if history else selectors.acceptance_current(user, place)
    return render(
        request,
        "community/place_detail.html",
        {
            "place": place,
            "history": history,
            "deciding": deciding,
            "activities": activities,
            "participant_labels": dict(AcceptanceActivity.Participant.choices),
            "can_manage": can_manage,
            "activity_form": activity_form,
            "assessment_form": assessment_form,
            "open_form": request.POST.get("record", "assessment")
            if request.method == "POST"
            else "",
        },
    )


@require_GET
@requires(Can.VIEW_PERSONAL_DATA)
def subdistrict_options(request: HttpRequest) -> HttpResponse:
    """The sub-districts of a governorate as <option>s, grouped by district (HTMX)."""
    governorate = parse_int(request.GET.get("governorate"))
    return render(
        request, "registry/_place_options.html", {"groups": _grouped(subdistricts_of(governorate))}
    )


@requires(Can.VIEW_PERSONAL_DATA)
def activity_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filters = selectors.ActivityFilters(
        governorate=parse_int(request.GET.get("governorate")),
        kind=request.GET.get("kind", "")[:20],
        held_from=parse_date(request.GET.get("from")),
        held_to=parse_date(request.GET.get("to")),
    )
    page = paginate(request, selectors.activities_for_user(user, filters))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/activity_list.html",
        {
            "page": page,
            "filters": filters,
            "governorates": governorates(),
            "kinds": AcceptanceActivity.Kind.choices,
            "participant_labels": dict(AcceptanceActivity.Participant.choices),
            "query": query,
        },
    )
