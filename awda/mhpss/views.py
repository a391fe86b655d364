from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.cases.selectors import caseload_for_user, follow_ups_due
from awda.common.numbers import whole_number
from awda.common.views import acting_user, requires
from awda.mhpss import selectors, services
from awda.mhpss.instruments import BAND_TEXT, FLAG_TEXT, INSTRUMENTS
from awda.mhpss.models import Session


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _minutes(value: str | None) -> int:
    minutes = whole_number(value)
    if minutes is None or not 1 <= minutes <= 600:
        raise ValidationError(_("Give the length of the session in minutes (1 to 600)."))
    return minutes


@requires(Can.VIEW_MHPSS)
def person_mhpss(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's screenings (with their scores over time) and sessions; the forms to
    record new ones for MHPSS workers."""
    user = acting_user(request)
    person = selectors.mhpss_person_get_for_user(user, pk)
    errors: list[str] = []
    if request.method == "POST":
        if not user.can(Can.RECORD_MHPSS):
            raise Http404
        try:
            if request.POST.get("record") == "session":
                services.session_record(
                    by=user,
                    person=person,
                    kind=request.POST.get("kind", ""),
                    held_on=_date(request.POST.get("held_on")) or timezone.localdate(),
                    minutes=_minutes(request.POST.get("minutes")),
                    notes=request.POST.get("notes", "")[:5000],
                )
                messages.success(request, _("Session recorded."))
            else:
                code = request.POST.get("instrument", "")
                count = len(INSTRUMENTS[code].items) if code in INSTRUMENTS else 0
                screening = services.screening_record(
                    by=user,
                    person=person,
                    instrument=code,
                    answers=[request.POST.get(f"item_{i}") for i in range(1, count + 1)],
                    on=_date(request.POST.get("administered_on")),
                )
                messages.success(
                    request,
                    _("%(name)s recorded: score %(score)s.")
                    % {"name": INSTRUMENTS[code].name, "score": screening.score},
                )
            return redirect("mhpss:person", pk=person.pk)
        except ValidationError as error:
            errors = error.messages
    screenings = list(selectors.screenings_of(user, person))
    arabic = (get_language() or "ar").startswith("ar")
    instruments = [
        {
            "code": i.code,
            "name": i.name,
            "items": [(n, ar if arabic else en) for n, (ar, en) in enumerate(i.items, start=1)],
            "choices": [(i.low + n, ar if arabic else en) for n, (ar, en) in enumerate(i.choices)],
        }
        for i in INSTRUMENTS.values()
    ]
    series = {
        code: [
            {"date": s.administered_on.isoformat(), "score": s.score}
            for s in reversed(screenings)
            if s.instrument == code
        ]
        for code in INSTRUMENTS
    }
    return render(
        request,
        "mhpss/person.html",
        {
            "person": person,
            "screenings": [
                (s, BAND_TEXT.get(s.band, s.band), [FLAG_TEXT.get(f, f) for f in s.flags])
                for s in screenings
            ],
            "sessions": selectors.sessions_of(person),
            "session_kinds": Session.Kind.choices,
            "instruments": instruments,
            "series": series,
            "can_record": user.can(Can.RECORD_MHPSS),
            "errors": errors,
        },
    )


@requires(Can.VIEW_PERSONAL_DATA)
def alert_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    approvals = caseload_for_user(user, "approvals").count() if user.can(Can.APPROVE_CASES) else 0
    return render(
        request,
        "mhpss/alerts.html",
        {
            "alerts": selectors.alerts_for_user(user),
            "overdue": len(follow_ups_due(user)["overdue"]),
            "approvals": approvals,
        },
    )


@require_POST
@requires(Can.VIEW_PERSONAL_DATA)
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    alert = next((a for a in selectors.alerts_for_user(user) if a.pk == pk), None)
    if alert is None:
        raise Http404
    services.alert_resolve(alert=alert, by=user)
    messages.success(request, _("Marked as done."))
    return redirect("mhpss:alerts")
