from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from awda.accounts.roles import Can
from awda.common.views import acting_user, requires
from awda.reports import selectors
from awda.reports.forms import DashboardFilters


@requires(Can.VIEW_AGGREGATES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Programme-wide aggregates for every role with VIEW_AGGREGATES, donors included.
    The filters come in the query string: place codes, an organisation's short name and
    months, never personal data."""
    user = acting_user(request)
    today = timezone.localdate()
    choices = selectors.filter_choices()
    default = selectors.Filters.default(today)
    form = DashboardFilters(
        request.GET or None,
        choices=choices,
        initial={"start": f"{default.start:%Y-%m}", "end": f"{default.end:%Y-%m}"},
    )
    filters = form.filters(today)
    board = selectors.dashboard(user, filters, choices, today=today)
    shown = QueryDict(mutable=True)
    shown.update(
        {
            "organisation": filters.organisation.slug if filters.organisation else "",
            "camp": filters.camp.pcode if filters.camp else "",
            "start": f"{filters.start:%Y-%m}",
            "end": f"{filters.end:%Y-%m}",
        }
    )
    map_links = []
    for key, label in selectors.MAP_MEASURES.items():
        shown["map"] = key
        map_links.append((key, label, shown.urlencode()))
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "board": board,
            "map_links": map_links,
            # The tables of the programme now, as they were before the dashboard grew.
            "tables": board.snapshot.tables,
            "people": board.snapshot.people,
            "small_cell": selectors.SMALL_CELL,
        },
    )
