from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from awda.accounts.roles import Can
from awda.audit.presentation import readable_changes
from awda.audit.selectors import audit_history_for
from awda.audit.services import object_type_of
from awda.cases.selectors import referrals_for_user
from awda.common.forms import add_service_errors
from awda.common.numbers import whole_number
from awda.common.views import acting_user, paginate, requires
from awda.identity.selectors import merges_of, person_search_for_user
from awda.places.models import Place
from awda.registry import conflicts, selectors, services
from awda.registry.countries import NATIONALITIES
from awda.registry.forms import (
    HouseholdForm,
    LeaveForm,
    MoveForm,
    PersonForm,
    PersonFormSet,
    VersionForm,
    _grouped,
    subdistricts_of,
)
from awda.registry.models import Household, Membership, Person


def _form_errors_from(error: ValidationError, form: BaseForm) -> None:
    add_service_errors(form, error)


SAVED, CONFLICT, REFUSED = "saved", "conflict", "refused"


def _save_edit(form: BaseForm, version: VersionForm, save: Callable[[int], object]) -> str:
    """Run `save(expected_version)` for a valid form: SAVED, CONFLICT when someone else
    saved the record meanwhile, or REFUSED with the errors on the form."""
    if not (form.is_valid() and version.is_valid()):
        return REFUSED
    try:
        save(version.cleaned_data["version"])
    except services.EditConflict:
        return CONFLICT
    except ValidationError as error:
        _form_errors_from(error, form)
        return REFUSED
    return SAVED


def _edit(
    request: HttpRequest,
    *,
    record: Household | Person,
    make_form: Callable[[QueryDict], BaseForm],
    read: Callable[[], Household | Person],
    saved_of: Callable[[Any], dict[str, conflicts.Saved]],
    changed: Callable[[BaseForm, Any], list[str]],
    save: Callable[[BaseForm, int], object],
    conflict_message: str,
) -> tuple[BaseForm | None, VersionForm, list[conflicts.Difference]]:
    """The POST half of an edit page, with reconciliation: (None, ...) once saved; else
    the form to show again, the version form, and the fields to reconcile.

    A save refused as stale keeps the editor's values, marks each field whose saved value
    differs, and carries the current version, so that the next submit, with a choice made
    for every marked field, saves deliberately."""
    saved = saved_of(record)
    resolution = conflicts.resolve(request.POST, saved)
    form = make_form(resolution.data)
    version = VersionForm(resolution.data)
    if resolution.undecided:
        form.is_valid()
        form.add_error(
            None, _("For each value marked below, keep yours or take the one saved meanwhile.")
        )
        outcome = REFUSED
    else:
        outcome = _save_edit(form, version, lambda expected: save(form, expected))
    if outcome == SAVED:
        return None, version, []
    if outcome == CONFLICT:
        record = read()
        saved = saved_of(record)
        keys = changed(form, record)
        found = conflicts.differences(keys, saved, resolution.data)
        version = VersionForm(initial={"version": record.version})
        form.add_error(None, conflict_message)
        if not found:
            form.add_error(
                None, _("What was saved meanwhile does not differ from your values: save again.")
            )
    else:
        found = conflicts.differences(resolution.marked, saved, request.POST, resolution.choices)
    conflicts.mark(form, found)
    return form, version, found


def _int(value: str | None) -> int | None:
    return whole_number(value)


@requires(Can.VIEW_PERSONAL_DATA)
def household_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    filters = selectors.HouseholdFilters(
        camp=_int(request.GET.get("camp")),
        camp_block=_int(request.GET.get("block")),
        governorate=_int(request.GET.get("governorate")),
        nationality=request.GET.get("nationality", "")[:2],
        status=request.GET.get("status", "")[:20],
        search=request.GET.get("q", "")[:100],
    )
    page = paginate(request, selectors.household_list_for_user(user, filters))
    query = request.GET.copy()
    query.pop("page", None)
    selectors.audit_listing(
        user,
        page.object_list,
        filters={
            "camp": filters.camp,
            "block": filters.camp_block,
            "governorate": filters.governorate,
            "nationality": filters.nationality,
            "status": filters.status,
            "searched": bool(filters.search.strip()),
            "page": page.number,
        },
    )
    context = {
        "page": page,
        "filters": filters,
        "camps": Place.objects.filter(kind=Place.Kind.CAMP).order_by("pcode"),
        "blocks": _grouped(Place.objects.filter(kind=Place.Kind.CAMP_BLOCK).order_by("pcode")),
        "governorates": Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by(
            "country", "pcode"
        ),
        "nationalities": NATIONALITIES,
        "statuses": Household.Status.choices,
        "query": query,
    }
    template = (
        "registry/_household_rows.html"
        if request.headers.get("HX-Request")
        else "registry/household_list.html"
    )
    return render(request, template, context)


@requires(Can.VIEW_PERSONAL_DATA)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = selectors.household_get_for_user(user, pk)
    own = household.organisation_id == user.organisation_id
    referrals = referrals_for_user(user).filter(household=household) if own else None
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": selectors.household_members(household),
            "memberships": selectors.household_memberships(household),
            "referrals": referrals,
            "can_edit": own and user.can(Can.EDIT_REGISTRY),
            "can_refer": own and user.can(Can.REFER),
            "can_view_history": user.can(Can.VIEW_HISTORY),
            "shared_with_us": not own,
        },
    )


@requires(Can.REGISTER)
def household_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        form = HouseholdForm(request.POST)
        formset = PersonFormSet(request.POST, prefix="members")
        if form.is_valid() and formset.is_valid():
            members = [f.to_data() for f in formset.forms if f.has_changed()]
            try:
                household = services.household_register(
                    by=user, data=form.to_data(), members=members
                )
            except ValidationError as error:
                _form_errors_from(error, form)
            else:
                messages.success(
                    request, _("Household %(ref)s registered.") % {"ref": household.reference}
                )
                return redirect("registry:household_detail", pk=household.pk)
    else:
        form = HouseholdForm()
        formset = PersonFormSet(
            prefix="members", initial=[{"relationship": Person.Relationship.HEAD}, {}]
        )
    return render(
        request,
        "registry/household_form.html",
        {"form": form, "formset": formset, "creating": True},
    )


@require_GET
@requires(Can.REGISTER)
def member_row(request: HttpRequest) -> HttpResponse:
    """One more empty member row for the registration form (HTMX)."""
    index = _int(request.GET.get("members-TOTAL_FORMS")) or 0
    if index >= 40:
        return HttpResponse(status=204)
    form = PersonFormSet(prefix="members").empty_form
    form.prefix = f"members-{index}"
    return render(
        request, "registry/_member_row.html", {"form": form, "index": index, "total": index + 1}
    )


@requires(Can.EDIT_REGISTRY)
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = selectors.household_get_for_user(user, pk, write=True)
    found: list[conflicts.Difference] = []
    if request.method == "POST":
        posted, version, found = _edit(
            request,
            record=household,
            make_form=HouseholdForm,
            read=lambda: selectors.household_get_for_user(user, pk, write=True),
            saved_of=conflicts.household_saved,
            changed=lambda form, record: conflicts.household_changed(
                cast(HouseholdForm, form).to_data(), record
            ),
            save=lambda form, expected: services.household_update(
                by=user,
                household=household,
                expected_version=expected,
                data=cast(HouseholdForm, form).to_data(),
            ),
            conflict_message=_(
                "Someone else saved this household while you were editing. Your values are "
                "kept; beside each one that differs, the value saved meanwhile is shown: keep "
                "yours or take it, then save again."
            ),
        )
        if posted is None:
            messages.success(request, _("Household saved."))
            return redirect("registry:household_detail", pk=household.pk)
        form = cast(HouseholdForm, posted)
    else:
        form = HouseholdForm(initial=HouseholdForm.initial_for(household))
        version = VersionForm(initial={"version": household.version})
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "version_form": version,
            "household": household,
            "differences": found,
            "marked": ",".join(d.key for d in found),
        },
    )


@requires(Can.EDIT_REGISTRY)
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = selectors.household_get_for_user(user, pk, write=True)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(by=user, household=household, data=form.to_data())
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("Member added."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(
        request, "registry/person_form.html", {"form": form, "household": household, "adding": True}
    )


@requires(Can.VIEW_PERSONAL_DATA)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_get_for_user(user, pk)
    own = person.organisation_id == user.organisation_id
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "memberships": person.memberships.select_related("household").order_by(
                "started_on", "id"
            ),
            "merges": merges_of(person),
            "can_review_duplicates": user.can(Can.REVIEW_DUPLICATES),
            "can_edit": own and user.can(Can.EDIT_REGISTRY),
            "can_view_history": user.can(Can.VIEW_HISTORY),
        },
    )


@requires(Can.EDIT_REGISTRY)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_get_for_user(user, pk, write=True)
    in_household = person.household_id is not None
    found: list[conflicts.Difference] = []
    if request.method == "POST":
        posted, version, found = _edit(
            request,
            record=person,
            make_form=lambda data: PersonForm(data, require_relationship=in_household),
            read=lambda: selectors.person_get_for_user(user, pk, write=True),
            saved_of=conflicts.person_saved,
            changed=lambda form, record: conflicts.person_changed(
                cast(PersonForm, form).to_data(), record
            ),
            save=lambda form, expected: services.person_update(
                by=user,
                person=person,
                expected_version=expected,
                data=cast(PersonForm, form).to_data(),
            ),
            conflict_message=_(
                "Someone else saved this person while you were editing. Your values are "
                "kept; beside each one that differs, the value saved meanwhile is shown: keep "
                "yours or take it, then save again."
            ),
        )
        if posted is None:
            messages.success(request, _("Changes saved."))
            return redirect("registry:person_detail", pk=person.pk)
        form = cast(PersonForm, posted)
    else:
        form = PersonForm(initial=PersonForm.initial_for(person), require_relationship=in_household)
        version = VersionForm(initial={"version": person.version})
    return render(
        request,
        "registry/person_form.html",
        {
            "form": form,
            "version_form": version,
            "person": person,
            "differences": found,
            "marked": ",".join(d.key for d in found),
            "open_details": any(d.key in conflicts.PERSON_FOLDED for d in found),
        },
    )


def _changed_meanwhile(form: BaseForm, person: Person) -> None:
    """A leave or move refused because the person changed since the page was opened: say
    where the person is now; the page carries the new version for a deliberate retry."""
    household = person.household.reference if person.household else _("no household")
    form.add_error(
        None,
        _(
            "Someone else changed this person while you were working: nothing was saved. "
            "The person is now in: %(household)s. Check, then save again if it still applies."
        )
        % {"household": household},
    )


@requires(Can.EDIT_REGISTRY)
def person_leave(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_get_for_user(user, pk, write=True)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        household_id = person.household_id
        try:
            services.member_leave(
                by=user,
                person=person,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
                expected_version=_int(request.POST.get("version")),
            )
        except services.EditConflict:
            person = selectors.person_get_for_user(user, pk, write=True)
            _changed_meanwhile(form, person)
        except ValidationError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("The person has left the household; the history is kept."))
            return (
                redirect("registry:household_detail", pk=household_id)
                if household_id
                else redirect("registry:person_detail", pk=person.pk)
            )
    return render(
        request, "registry/person_move.html", {"form": form, "person": person, "leaving": True}
    )


@requires(Can.EDIT_REGISTRY)
def person_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_get_for_user(user, pk, write=True)
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = (
            selectors.households_writable_by(user)
            .filter(reference=form.cleaned_data["reference"].strip())
            .first()
        )
        if target is None:
            form.add_error(
                "reference", _("No household of your organisation has this reference number.")
            )
        else:
            try:
                services.member_move(
                    by=user,
                    person=person,
                    to=target,
                    relationship=form.cleaned_data["relationship"],
                    on=form.cleaned_data["on"],
                    expected_version=_int(request.POST.get("version")),
                )
            except services.EditConflict:
                person = selectors.person_get_for_user(user, pk, write=True)
                _changed_meanwhile(form, person)
            except ValidationError as error:
                _form_errors_from(error, form)
            else:
                messages.success(
                    request,
                    _("The person has moved to household %(ref)s.") % {"ref": target.reference},
                )
                return redirect("registry:household_detail", pk=target.pk)
    return render(request, "registry/person_move.html", {"form": form, "person": person})


@requires(Can.VIEW_HISTORY)
def record_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Every audit entry about a household (and its present and past members) or a person."""
    user = acting_user(request)
    targets: list[tuple[str, str]]
    record: Any
    if kind == "household":
        record = selectors.household_get_for_user(user, pk)
        person_ids = Membership.objects.filter(household=record).values_list("person_id", flat=True)
        targets = [(object_type_of(Household), str(record.pk))]
        targets += [(object_type_of(Person), str(p)) for p in set(person_ids)]
    elif kind == "person":
        record = selectors.person_get_for_user(user, pk)
        targets = [(object_type_of(Person), str(record.pk))]
    else:
        raise Http404
    page = paginate(request, audit_history_for(targets), per_page=50)
    changes = readable_changes(page.object_list)
    rows = [(entry, changes[entry.pk]) for entry in page.object_list]
    return render(
        request,
        "registry/history.html",
        {"record": record, "kind": kind, "page": page, "rows": rows},
    )


@require_GET
@requires(Can.REGISTER)
def similar_persons(request: HttpRequest) -> HttpResponse:
    """People already registered whose names sound like the member being typed (HTMX),
    so that a caseworker sees a possible duplicate before saving."""
    user = acting_user(request)
    prefix = request.GET.get("prefix", "")[:20]
    parts = [
        request.GET.get(f"{prefix}-{field}", "")[:60]
        for field in (
            "first_name_ar",
            "father_name_ar",
            "family_name_ar",
            "first_name_lat",
            "family_name_lat",
        )
    ]
    query = " ".join(p for p in parts if p.strip())
    people: list[Person] = []
    if len(query.split()) >= 2:
        found = person_search_for_user(user, query, limit=5)
        people = list(
            Person.objects.filter(pk__in=found)
            .select_related("household", "household__camp")
            .order_by(selectors.ranked(found))
        )
        selectors.audit_listing(user, people, filters={"similar_to_new_registration": True})
    return render(request, "registry/_similar.html", {"people": people})


@require_GET
@requires(Can.VIEW_PERSONAL_DATA)
def subdistrict_options(request: HttpRequest) -> HttpResponse:
    """The sub-districts of a governorate as <option>s, grouped by district (HTMX)."""
    governorate = _int(
        request.GET.get("origin_governorate") or request.GET.get("destination_governorate")
    )
    return render(
        request, "registry/_place_options.html", {"groups": _grouped(subdistricts_of(governorate))}
    )
