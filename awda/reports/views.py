from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from awda.accounts.roles import Can
from awda.common.views import requires
from awda.reports import selectors


@requires(Can.VIEW_AGGREGATES)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/dashboard.html",
        {
            "tables": selectors.programme_totals(),
            "people": selectors.people_by_sex_and_age(),
            "small_cell": selectors.SMALL_CELL,
        },
    )
