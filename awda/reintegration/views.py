from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.common.numbers import whole_number
from awda.common.views import View, acting_user, requires
from awda.reintegration import instruments, selectors, services
from awda.reintegration.models import Dimension, FollowUp, SurveyInstrument
from awda.returns.models import Homecoming

MAX_UPLOAD = 1024 * 1024
SERIES = (
    ("economic", Dimension.ECONOMIC.label),
    ("social", Dimension.SOCIAL.label),
    ("psychosocial", Dimension.PSYCHOSOCIAL.label),
)


def _requires_any(*capabilities: Can) -> Callable[[View], View]:
    """Like `requires`, for a page open to any of several capabilities."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = acting_user(request)
            if not any(user.can(c) for c in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _series(points: list[Any], labels: list[str]) -> dict[str, Any]:
    """Chart data for awda.js: labels and one dataset per dimension plus the composite."""
    return {
        "labels": labels,
        "datasets": [
            {"label": str(label), "data": [getattr(p, key) for p in points]}
            for key, label in (*SERIES, ("composite", _("Composite")))
        ],
    }


@requires(Can.VIEW_REINTEGRATION)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "reintegration/follow_ups.html",
        {
            "due": selectors.follow_ups_due_for_user(user),
            "upcoming_days": selectors.UPCOMING_DAYS,
        },
    )


def _form(
    instrument: SurveyInstrument | None, posted: dict[str, str]
) -> list[tuple[str, float, list[tuple[instruments.Question, list[tuple[Any, bool]]]]]]:
    """The survey's questions grouped by dimension, each choice with whether it was
    ticked in the form sent back."""
    if instrument is None:
        return []
    return [
        (
            str(Dimension(dimension).label),
            weight,
            [(q, [(c, posted.get(q.name) == c.value) for c in q.choices]) for q in questions],
        )
        for dimension, weight, questions in selectors.parsed(instrument).by_dimension()
    ]


@requires(Can.VIEW_REINTEGRATION)
def household_reintegration(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's follow-up schedule, its scores over time, and the form to record the
    survey for a follow-up."""
    user = acting_user(request)
    household = selectors.reintegration_household_get_for_user(user, pk)
    offered = selectors.instruments_in_use()
    wanted = request.GET.get("instrument", "")
    instrument = next((i for i in offered if i.code == wanted), offered[0] if offered else None)
    errors: list[str] = []
    posted: dict[str, str] = {}
    if request.method == "POST":
        if not user.can(Can.RECORD_FOLLOW_UP):
            raise PermissionDenied
        # The version the form was built from: if it went out of use meanwhile, the
        # service says so rather than scoring the answers with another version.
        instrument_id = whole_number(request.POST.get("instrument_id"))
        instrument = (
            SurveyInstrument.objects.filter(pk=instrument_id).first()
            if instrument_id is not None
            else None
        )
        if instrument is None:
            raise Http404
        questions = selectors.parsed(instrument).questions
        posted = {q.name: request.POST.get(f"q_{q.name}", "") for q in questions}
        follow_up = None
        if request.POST.get("follow_up", "").isdigit():
            follow_up = selectors.follow_up_get_for_user(user, request.POST["follow_up"])
        try:
            conducted_on = _date(request.POST.get("conducted_on"))
            if conducted_on is None:
                raise ValidationError({"conducted_on": [_("Give the survey's date.")]})
            survey = services.survey_record(
                by=user,
                household=household,
                instrument=instrument,
                answers={k: v for k, v in posted.items() if v},
                conducted_on=conducted_on,
                follow_up=follow_up,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("Survey recorded: composite score %(score)s.")
                % {"score": "—" if survey.composite is None else f"{survey.composite:.2f}"},
            )
            return redirect("reintegration:household", pk=household.pk)
    schedule = selectors.follow_ups_of(user, household)
    points = selectors.household_outcome(user, household)
    homecoming = Homecoming.objects.filter(household=household).select_related("place").first()
    return render(
        request,
        "reintegration/household.html",
        {
            "household": household,
            "homecoming": homecoming,
            "schedule": schedule,
            "points": points,
            "chart": _series(points, [p.survey.conducted_on.isoformat() for p in points]),
            "offered": offered,
            "instrument": instrument,
            "dimensions": _form(instrument, posted),
            "still_due": [f for f in schedule if f.status == FollowUp.Status.DUE],
            "chosen_follow_up": request.POST.get("follow_up", ""),
            "conducted_on": request.POST.get("conducted_on") or timezone.localdate().isoformat(),
            "today": timezone.localdate(),
            "window": services.MATCH_WINDOW_DAYS,
            "can_record": user.can(Can.RECORD_FOLLOW_UP) and homecoming is not None,
            "errors": errors,
        },
    )


@require_POST
@requires(Can.RECORD_FOLLOW_UP)
def follow_up_missed(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    follow_up = selectors.follow_up_get_for_user(user, pk)
    try:
        services.follow_up_mark_missed(
            by=user, follow_up=follow_up, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Follow-up marked as missed."))
    return redirect("reintegration:household", pk=follow_up.household_id)


@requires(Can.VIEW_REINTEGRATION)
def place_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    outcomes = selectors.place_outcomes(user)
    rows = [r for r in outcomes.governorates if r.surveyed]
    return render(
        request,
        "reintegration/places.html",
        {
            "outcomes": outcomes,
            "chart": _series(rows, [r.place.name if r.place else _("Not known") for r in rows]),
        },
    )


@_requires_any(Can.VIEW_REINTEGRATION, Can.MANAGE_FORMS)
def instrument_list(request: HttpRequest) -> HttpResponse:
    """The survey instruments, their questions and weights; administrators load a new
    one (or a new version) from a JSON definition, and put instruments in or out of use."""
    user = acting_user(request)
    can_manage = user.can(Can.MANAGE_FORMS)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError(_("Choose a JSON definition file."))
            if upload.size is not None and upload.size > MAX_UPLOAD:
                raise ValidationError(_("The file is larger than 1 MB."))
            instrument = services.instrument_load(
                by=user,
                definition=instruments.read(upload.read()),
                activate=request.POST.get("activate") == "on",
            )
        except instruments.DefinitionError as error:
            for problem in error.problems:
                messages.error(request, problem)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(code)s version %(version)s loaded.")
                % {"code": instrument.code, "version": instrument.version},
            )
        return redirect("reintegration:instruments")
    in_use = {i.pk for i in selectors.instruments_in_use()}
    listed = []
    for instrument in SurveyInstrument.objects.all()[:200]:
        parsed = selectors.parsed(instrument)
        dimensions = [
            (Dimension(d).label, weight, len(questions))
            for d, weight, questions in parsed.by_dimension()
        ]
        listed.append((instrument, parsed, instrument.pk in in_use, dimensions))
    return render(
        request,
        "reintegration/instruments.html",
        {"listed": listed, "can_manage": can_manage},
    )


@require_POST
@requires(Can.MANAGE_FORMS)
def instrument_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    instrument = SurveyInstrument.objects.filter(pk=pk).first()
    if instrument is None:
        raise Http404
    active = request.POST.get("active") == "1"
    services.instrument_set_active(by=user, instrument=instrument, active=active)
    messages.success(
        request,
        (
            _("%(code)s version %(version)s is in use.")
            if active
            else _("%(code)s version %(version)s is no longer in use.")
        )
        % {"code": instrument.code, "version": instrument.version},
    )
    return redirect("reintegration:instruments")
