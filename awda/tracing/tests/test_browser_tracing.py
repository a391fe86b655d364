"""A mother's tracing request in real Chromium, in Arabic: organisation A finds that
organisation B may hold her son, asks B to check, B confirms with the son's consent, and
A records that contact is restored."""

from __future__ import annotations

import pytest
from django.utils import translation

from awda.accounts.models import User
from awda.common.tests.test_browser import _shot
from awda.conftest import log_in_through_the_pages, make_user
from awda.tracing.models import TracingRequest
from awda.tracing.tests.test_tracing import SON, _consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_goes_through_mediated_contact_to_contact_restored(
    live_server, browser_page, org_a, org_b
):
    import datetime

    from playwright.sync_api import expect

    from awda.conftest import head, register

    amal = make_user("amal", org_a, "caseworker")
    bilal = make_user("bilal", org_b, "caseworker")
    mother = register(
        amal,
        reference="A-1",
        members=[head(first_name_ar="مريم", family_name_ar="العلي", sex="F")],
    ).members.get()
    son = register(
        bilal,
        reference="B-1",
        members=[head(**SON, sex="M", date_of_birth=datetime.date(2003, 2, 10))],
    ).members.get()
    _consent(mother, amal)
    _consent(son, bilal)
    page = browser_page

    def login(user: User) -> None:
        page.context.clear_cookies()
        log_in_through_the_pages(page, live_server.url, user)
        page.wait_for_url(f"{live_server.url}/households/")

    login(amal)
    page.goto(f"{live_server.url}/persons/{mother.pk}/family/")
    page.click(f"a[href='/tracing/new/{mother.pk}/']")
    page.select_option("#id_relationship", value="child")
    page.select_option("#id_sought_sex", value="M")
    page.fill("#id_sought_first_name", "يوسف")
    page.fill("#id_sought_father_name", "خالد")
    page.fill("#id_sought_family_name", "الحمدان")
    page.fill("#id_sought_birth_year", "2003")
    page.select_option("#id_separation", value="in_another_camp")
    _shot(page, "30-tracing-request")
    page.locator("form button.btn-primary").click()
    page.wait_for_url(f"{live_server.url}/tracing/*/")
    with translation.override("ar"):
        held = translation.gettext("A possible match held by %(org)s") % {"org": org_b.name}
    expect(page.locator(".candidate").first).to_contain_text(held)
    assert "B-1" not in page.content() and "عبد الله" not in page.content()
    _shot(page, "31-possible-match")
    page.locator("form[action$='/contact/'] button").click()
    request_url = page.url

    login(bilal)
    page.goto(f"{live_server.url}/tracing/contacts/")
    page.locator("table a").first.click()
    expect(page.locator("main")).to_contain_text("مريم")
    page.check("input[name=answer][value=confirmed]")
    page.fill("#note", "وافق على التواصل مع والدته")
    _shot(page, "32-contact-request")
    page.locator("form button.btn-primary").click()

    login(amal)
    page.goto(request_url)
    expect(page.locator(".candidate").first).to_contain_text("يوسف خالد عبد الله الحمدان")
    page.select_option("#outcome", value="contact_restored")
    page.locator("form[action$='/outcome/'] button").click()
    page.wait_for_load_state("networkidle")
    _shot(page, "33-contact-restored")
    assert TracingRequest.objects.get().status == "contact_restored"
