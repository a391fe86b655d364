"""In real Chromium: an edit refused as stale shows the value saved meanwhile beside the
field, the choice fills the field (awda.js, no inline script), and the second save keeps
both people's changes."""

from __future__ import annotations

import pytest

from awda.common.tests.test_browser import _shot, browser_page  # noqa: F401 - the fixture
from awda.conftest import log_in_through_the_pages, make_user, register
from awda.registry.models import Household
from awda.registry.services import HouseholdData, household_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_stale_edit_is_reconciled_field_by_field(live_server, browser_page, org_a):  # noqa: F811
    from playwright.sync_api import expect

    amal = make_user("amal", org_a, "caseworker")
    sami = make_user("sami", org_a, "supervisor")
    household = register(amal, reference="A-0001")
    page = browser_page
    log_in_through_the_pages(page, live_server.url, amal)
    page.goto(f"{live_server.url}/households/{household.pk}/edit/")
    page.select_option("#id_nationality", "SY")

    # Meanwhile, someone else moves the family to another tent.
    household_update(
        by=sami,
        household=household,
        expected_version=household.version,
        data=HouseholdData(
            reference=household.reference,
            camp=household.camp,
            camp_section=household.camp_section,
            camp_block=household.camp_block,
            origin=household.origin,
            nationality=household.nationality,
            tent="99",
        ),
    )
    page.click("form button[type=submit].btn-awda")

    expect(page.locator(".awda-conflict")).to_have_count(2)
    expect(page.locator("#id_tent")).to_have_value("17")
    expect(page.locator("#id_nationality")).to_have_value("SY")
    _shot(page, "registry-stale-edit-reconcile")
    page.check("#resolve-tent-theirs")
    expect(page.locator("#id_tent")).to_have_value("99")
    page.check("#resolve-nationality-theirs")
    expect(page.locator("#id_nationality")).to_have_value("IQ")
    page.check("#resolve-nationality-mine")
    expect(page.locator("#id_nationality")).to_have_value("SY")
    page.click("form button[type=submit].btn-awda")

    page.wait_for_url(f"{live_server.url}/households/{household.pk}/")
    saved = Household.objects.get(pk=household.pk)
    assert (saved.tent, saved.nationality, saved.version) == ("99", "SY", 3)
