"""The main journey in real Chromium: log in, register a household with Arabic names and
find it in the list. Screenshots go to $AWDA_SCREENSHOTS (default: var/screenshots)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from awda.conftest import PASSWORD, authenticator, current_code, log_in_through_the_pages, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # happen outside it, but Django cannot tell.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/run-tests installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 412, "height": 915}, locale="ar")
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                or "Content-Security-Policy" in message.text
                else None
            ),
        )
        yield page
        assert violations == [], violations  # nothing the pages need is blocked
        context.close()
        browser.close()


def _shot(page: object, name: str) -> None:
    folder = Path(os.environ.get("AWDA_SCREENSHOTS", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright set style attributes, which the
    # page's own Content-Security-Policy then (rightly) reports.
    page.screenshot(  # type: ignore[attr-defined]
        path=str(folder / f"{name}.png"), full_page=True, caret="initial"
    )


def test_a_caseworker_registers_a_family_in_arabic_and_finds_it(live_server, browser_page, org_a):
    from playwright.sync_api import expect

    amal = make_user("amal", org_a, "caseworker")
    device = authenticator(amal)
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_username", "amal")
    page.fill("#id_password", PASSWORD)
    _shot(page, "01-login")
    page.click("button[type=submit]")
    # the second factor: the code of her authenticator app
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/verify/")
    page.fill("#id_otp", current_code(device))
    _shot(page, "01b-second-factor")
    page.click("form button[type=submit].btn-awda")
    page.wait_for_url(f"{live_server.url}/households/")

    page.goto(f"{live_server.url}/households/new/")
    page.select_option("#id_camp", label="مخيم الهول")
    page.select_option("#id_camp_section", label="القطاع الثالث")
    page.select_option("#id_camp_block", label="القطاع 3 - بلوك 4")
    page.fill("#id_tent", "27")
    page.select_option("#id_nationality", value="IQ")
    page.select_option("#id_origin_governorate", label="الانبار")
    # HTMX fills the sub-districts of the chosen governorate
    expect(page.locator("#id_origin option", has_text="العامرية")).to_have_count(1)
    page.select_option("#id_origin", label="العامرية")

    page.fill("#id_members-0-first_name_ar", "نور الهدى")
    page.fill("#id_members-0-father_name_ar", "عبد الكريم")
    page.fill("#id_members-0-family_name_ar", "الدليمي")
    page.select_option("#id_members-0-sex", value="F")
    page.fill("#id_members-0-age", "31")
    page.fill("#id_members-1-first_name_ar", "إبراهيم")
    page.fill("#id_members-1-father_name_ar", "أسامة")
    page.fill("#id_members-1-family_name_ar", "الدليمي")
    page.select_option("#id_members-1-sex", value="M")
    page.select_option("#id_members-1-relationship", value="child")
    page.fill("#id_members-1-birth_year", "2019")
    page.locator("button[hx-get$='/member-row/']").click()
    page.wait_for_selector("#id_members-2-first_name_ar")
    page.fill("#id_members-2-first_name_ar", "سلمى")
    page.fill("#id_members-2-father_name_ar", "أسامة")
    page.select_option("#id_members-2-sex", value="F")
    page.select_option("#id_members-2-relationship", value="child")
    page.fill("#id_members-2-date_of_birth", "2021-05-09")
    _shot(page, "02-register-form")
    page.locator("form button[type=submit].btn-awda").click()

    page.wait_for_url(f"{live_server.url}/households/*/")
    expect(page.locator("table")).to_contain_text("نور الهدى عبد الكريم الدليمي")
    expect(page.locator("table")).to_contain_text("سلمى أسامة")
    _shot(page, "03-household")

    page.goto(f"{live_server.url}/households/")
    page.fill("#f-q", "الدليمي")
    page.press("#f-q", "Enter")
    expect(page.locator("#results table")).to_contain_text("نور الهدى")
    expect(page.locator("#results")).to_contain_text("3")
    _shot(page, "04-list")


def test_a_case_goes_from_opening_to_a_referral_another_organisation_accepts(
    live_server, browser_page, org_a, org_b
):
    from django.utils import translation

    from awda.conftest import register

    caseworker = make_user("amal", org_a, "caseworker")
    users = {"amal": caseworker, "bilal": make_user("bilal", org_b, "caseworker")}
    household = register(caseworker, reference="A-77")
    page = browser_page

    def login(username: str) -> None:
        page.context.clear_cookies()
        log_in_through_the_pages(page, live_server.url, users[username])
        page.wait_for_url(f"{live_server.url}/households/")

    login("amal")
    page.goto(f"{live_server.url}/households/{household.pk}/")
    page.click(f"a[href='/cases/new/{household.pk}/']")
    page.locator("form button.btn-awda").click()
    page.wait_for_url(f"{live_server.url}/cases/*/")
    case_url = page.url
    page.locator("button[name=to][value=assessment]").click()
    page.wait_for_load_state("networkidle")
    with translation.override("ar"):
        assessment = translation.gettext("Assessment")
    assert page.locator(".case-steps .text-bg-success").inner_text() == assessment
    # the return-intention assessment: its skip logic shows "when?" once the family says yes
    page.locator("a[href$='/assessments/return-intention/']").click()
    page.check("input[name=wants_return][value=yes]")
    page.wait_for_selector("input[name=when]")
    assert page.locator("input[name=obstacles]").count() == 0
    page.check("input[name=when][value='3m']")
    _shot(page, "05-assessment")
    page.locator("form button[type=submit].btn-awda").click()
    page.wait_for_url(case_url)
    page.locator("a[href*='?case=']").click()
    page.select_option("#id_receiving_organisation", label="منظمة ب")
    page.check("input[name=shared_forms][value=return-intention]")
    page.select_option("#id_service", value="legal_aid")
    page.check("input[name=consent][value=given]")
    page.fill("#id_consent_note", "ربة الأسرة وافقت")
    _shot(page, "06-refer-case")
    page.locator("form button.btn-awda").click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/")

    login("bilal")
    page.goto(f"{live_server.url}/referrals/")
    page.locator("form[action$='/accept/'] button").click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/")
    page.goto(case_url)
    assert page.locator("h1").inner_text().startswith("الحالة")
    # read only for the receiver: no step buttons
    assert page.locator("button[name=to]").count() == 0
    # the shared assessment is readable there
    page.locator("a[href^='/assessments/']").click()
    page.wait_for_load_state("networkidle")
    assert "خلال ثلاثة أشهر" in page.content()
    _shot(page, "07-case-seen-by-receiver")
