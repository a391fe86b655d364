"""The dashboard in real Chromium, in Arabic: a donor viewer logs in, the charts are drawn
right to left from the page's JSON (nothing blocked by the Content-Security-Policy),
and the map is there; without JavaScript the tables say the same."""

from __future__ import annotations

import pytest

from awda.common.tests.test_browser import CHROMIUM, FLAGS, _shot
from awda.conftest import (
    PASSWORD,
    authenticator,
    current_code,
    log_in_through_the_pages,
    make_user,
)
from awda.reports.tests.conftest import ROJ, household_in
from awda.reports.tests.test_dashboard import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_donor_sees_the_charts_drawn_right_to_left(live_server, browser_page, org_a):
    registrar = make_user("rami", org_a, "registrar")
    for n in range(6):
        household_in(registrar, f"BR-{n}", registered_on=ago(2))
    for n in range(3):
        household_in(registrar, f"BR-R{n}", camp=ROJ, registered_on=ago(1))
    donor = make_user("dina", org_a, "donor")
    page = browser_page
    log_in_through_the_pages(page, live_server.url, donor)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && [...document.querySelectorAll("
        "'canvas[data-dashboard-chart]')].every(c => Chart.getChart(c) !== undefined)"
    )
    charts = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-dashboard-chart]')].map(c => {"
        " const chart = Chart.getChart(c); return [c.dataset.dashboardChart,"
        " chart.options.plugins.legend.rtl, chart.data.datasets.length]; })"
    )
    # No survey yet: no chart of scores.
    assert {name for name, _rtl, _n in charts} == {"months", "camps", "coverage"}
    assert all(rtl is True for _name, rtl, _n in charts)
    # Roj's 3 reached the chart as a gap, not a value.
    roj = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector("
        "'canvas[data-dashboard-chart=camps]'));"
        " const i = c.data.labels.indexOf('مخيم روج'); return c.data.datasets[0].data[i]; }"
    )
    assert roj is None
    assert page.locator("svg.dashboard-map path").count() == 2
    _shot(page, "dashboard-01-donor-arabic")


def test_without_javascript_the_tables_are_there(live_server, org_a):
    from playwright.sync_api import sync_playwright

    registrar = make_user("rima", org_a, "registrar")
    for n in range(6):
        household_in(registrar, f"NJ-{n}", registered_on=ago(2))
    donor = make_user("dima", org_a, "donor")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(
            viewport={"width": 412, "height": 915}, locale="ar", java_script_enabled=False
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", donor.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        if "/two-factor/" in page.url:
            page.fill("#id_otp", current_code(authenticator(donor)))
            page.click("form button[type=submit].btn-awda")
        page.goto(f"{live_server.url}/dashboard/")
        assert page.locator("table").count() >= 9
        assert "6" in page.locator("tfoot").first.inner_text()  # six registered
        assert page.locator("svg.dashboard-map").count() == 1
        _shot(page, "dashboard-02-without-javascript")
        context.close()
        browser.close()
