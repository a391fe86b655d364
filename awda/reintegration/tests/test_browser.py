"""The reintegration journey in real Chromium: a caseworker answers the default survey
(radio buttons grouped by dimension, in Arabic) and sees the scores drawn over time, with
nothing blocked by the Content-Security-Policy."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from awda.common.tests.test_browser import _shot
from awda.conftest import log_in_through_the_pages, make_user, register
from awda.reintegration.instruments import load_default_instrument
from awda.reintegration.models import Survey, SurveyInstrument
from awda.reintegration.services import follow_ups_schedule
from awda.reintegration.tests.conftest import home

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_records_the_default_survey_and_sees_the_chart(
    live_server, browser_page, org_a
):
    load_default_instrument(SurveyInstrument)  # a data migration's row, flushed by now
    caseworker = make_user("amal", org_a, "caseworker")
    household = register(caseworker, reference="A-88")
    arrived = timezone.localdate() - datetime.timedelta(days=35)
    home(household, arrived, caseworker)
    follow_ups_schedule(by=caseworker, household=household, arrived_on=arrived)
    page = browser_page
    log_in_through_the_pages(page, live_server.url, caseworker)
    page.wait_for_url(f"{live_server.url}/households/")

    page.goto(f"{live_server.url}/reintegration/follow-ups/")
    page.click(f"a[href='/reintegration/households/{household.pk}/']")
    page.wait_for_url(f"{live_server.url}/reintegration/households/{household.pk}/")
    assert page.locator("legend.h6").count() == 3
    for name in page.eval_on_selector_all(
        "input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f"input[name='{name}']").nth(1).check()  # the second choice each time
    _shot(page, "reintegration-01-survey-form")
    page.locator("form button.btn-awda").click()
    page.wait_for_url(f"{live_server.url}/reintegration/households/{household.pk}/")
    page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-series]');"
        " return c && typeof Chart !== 'undefined' && Chart.getChart(c) !== undefined; }"
    )
    survey = Survey.objects.get()
    assert survey.follow_up is not None and survey.follow_up.months == 1
    assert survey.composite is not None and 0 < survey.composite < 1
    _shot(page, "reintegration-02-scores")
