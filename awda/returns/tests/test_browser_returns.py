"""A return coordinator builds a convoy in real Chromium, in Arabic: creates it, puts the
ready households on it, downloads the Arabic manifest, records the departure and the
arrival home."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from awda.common.tests.test_browser import _shot
from awda.conftest import log_in_through_the_pages, make_user
from awda.returns.models import Homecoming, Movement
from awda.returns.tests.test_returns import (
    make_ready_syrian,
    syrian_household,
    syrian_subdistrict,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_builds_a_convoy_and_downloads_its_manifest(
    live_server,
    browser_page,
    org_a,
    tmp_path,
):
    from playwright.sync_api import expect

    coordinator = make_user("rita", org_a, "returns")
    households = [
        make_ready_syrian(coordinator, syrian_household(coordinator, f"R-{n}")) for n in range(2)
    ]
    page = browser_page
    log_in_through_the_pages(page, live_server.url, coordinator)
    page.wait_for_url(f"{live_server.url}/households/")

    page.goto(f"{live_server.url}/returns/")
    expect(page.locator("#stage-eligible")).to_be_visible()
    _shot(page, "20-return-board")

    page.goto(f"{live_server.url}/returns/movements/new/")
    page.select_option("#id_kind", value="convoy")
    page.select_option("#id_pathway", value="sy_sponsorship")
    page.fill("#id_departs_on", timezone.localdate().isoformat())
    page.select_option("#id_origin", label="مخيم الهول")
    page.select_option("#id_destination", value=str(syrian_subdistrict().governorate_id))
    page.fill("#id_capacity", "30")
    page.fill("#id_vehicles", "2")
    _shot(page, "21-new-movement")
    page.locator("form button.btn-primary").click()
    page.wait_for_url(f"{live_server.url}/returns/movements/*/")
    movement = Movement.objects.get()

    for household in households:
        page.check(f"#add-{household.pk}")
    page.locator("form[action$='/households/'] button").click()
    page.wait_for_url(f"{live_server.url}/returns/movements/{movement.pk}/")
    expect(page.locator("main")).to_contain_text("فاطمة أحمد محمود الجبوري")
    expect(page.locator("progress")).to_have_attribute("value", "4")
    _shot(page, "22-movement-list")

    with page.expect_download() as download:
        page.locator(f"a[href='/returns/movements/{movement.pk}/manifest.pdf']").click()
    saved = tmp_path / "manifest.pdf"
    download.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    from awda.returns.tests.test_manifest import pdf_text

    text = pdf_text(content)
    assert "الجبوري" in text and "R-0" in text and "R-1" in text

    page.locator(f"a[href='/returns/movements/{movement.pk}/departure/']").click()
    page.locator("form button.btn-primary").click()
    page.wait_for_url(f"{live_server.url}/returns/movements/{movement.pk}/")
    page.locator(f"a[href='/returns/movements/{movement.pk}/arrival/']").click()
    _shot(page, "23-arrival")
    page.locator("form button.btn-primary").first.click()
    page.wait_for_url(f"{live_server.url}/returns/movements/{movement.pk}/")
    assert Homecoming.objects.count() == 2

    page.goto(f"{live_server.url}/returns/households/{households[0].pk}/")
    with translation.override("ar"):
        home = translation.gettext("Arrived home in %(p)s") % {"p": syrian_subdistrict().name}
    expect(page.locator(".journey")).to_contain_text(home)
    _shot(page, "24-household-journey")
