"""Enrolment on first login in real Chromium, in Arabic: the QR code loads under the
Content-Security-Policy, the key typed by hand gives the right code, the recovery codes are
shown once, and the caseworker lands on the households."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp

from awda.common.tests.test_browser import _shot
from awda.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_sets_up_two_factor_login_on_first_login(live_server, browser_page, org_a):
    make_user("amal", org_a, "caseworker")
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "amal")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/setup/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # the QR code is an image from Awda's own address, and it loads
    assert page.eval_on_selector(
        "img[src$='/two-factor/setup/qr.svg']", "img => img.complete && img.naturalWidth > 0"
    )
    _shot(page, "01c-two-factor-setup")
    # as an app set up by hand would: the code from the key shown on the page
    secret = page.inner_text("#totp-secret").replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_otp", str(totp(key)).zfill(6))
    page.click("form button[type=submit].btn-awda")
    page.wait_for_selector("ol.recovery-codes")
    assert page.locator("ol.recovery-codes code").count() == 10
    _shot(page, "01d-recovery-codes")
    page.click("a.btn-awda")
    page.wait_for_url(f"{live_server.url}/households/")
