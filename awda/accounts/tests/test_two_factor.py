"""Two-factor login through the pages: enrolment on first login, codes, recovery codes,
lockout, the absolute session lifetime, resets and the demo's relaxation."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.models import ApiToken, SecondFactorReset
from awda.accounts.roles import Role
from awda.accounts.second_factor import SESSION_LOGIN_AT, hash_recovery_code
from awda.accounts.services import api_token_issue, second_factor_begin, second_factor_confirm
from awda.audit.models import Action, AuditEntry
from awda.conftest import PASSWORD, authenticator, current_code, logged_in, make_user

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/setup/"
QR = "/accounts/two-factor/setup/qr.svg"
CODES = re.compile(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>")


@pytest.fixture(autouse=True)
def _axes_reset(db):
    reset()
    yield
    reset()


def english() -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def password_step(username: str, client: Client | None = None) -> Client:
    client = client or english()
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def code_now(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(6)


def fresh(device: TOTPDevice) -> str:
    """The current code, usable again (a code is good once; tests log in within 30 s)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return current_code(device)


def enrol(user) -> list[str]:
    """Set up the user's authenticator as the setup page does; the recovery codes."""
    device = second_factor_begin(user=user)
    return second_factor_confirm(user=user, device=device, code=current_code(device))


# Enrolment on first login


@pytest.mark.django_db
def test_a_caseworker_without_a_second_factor_is_sent_to_enrol_on_first_login(caseworker):
    client = english()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response["Location"] == SETUP

    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=caseworker)
    assert not device.confirmed
    # the QR code comes from Awda's own address, and the key is there to type by hand
    assert f'src="{QR}"' in page and "data:" not in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # reloading the page keeps the same key
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=caseworker).count() == 1

    qr = client.get(QR)
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") and b"<svg" in qr.content
    assert b"style=" not in qr.content and b"<script" not in qr.content
    assert "no-store" in qr["Cache-Control"]

    response = client.post(SETUP, {"otp": code_now(device)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = CODES.findall(response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    # only hashes are kept
    stored = set(
        StaticToken.objects.filter(device__user=caseworker).values_list("token", flat=True)
    )
    assert stored == {hash_recovery_code(code) for code in codes}
    assert not stored & {code.replace("-", "") for code in codes}

    assert client.get("/households/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    login = AuditEntry.objects.get(action=Action.LOGIN)
    assert login.actor == caseworker and login.details == {"second_factor": "totp"}
    enrolled = AuditEntry.objects.get(action=Action.UPDATE, actor=caseworker)
    assert enrolled.changes == {"authenticator": [None, device.pk], "recovery_codes": [0, 10]}
    assert not any(code in str(enrolled.content()) for code in codes)


@pytest.mark.django_db
def test_a_wrong_code_at_enrolment_is_refused_and_nothing_is_set_up(caseworker):
    client = password_step("alice")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=caseworker)
    wrong = str((int(code_now(device)) + 1) % 1_000_000).zfill(6)
    response = client.post(SETUP, {"otp": wrong})
    assert response.status_code == 200
    assert "This code does not match" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.exists()
    assert client.get("/households/")["Location"] == SETUP


@pytest.mark.django_db
def test_until_the_second_factor_is_given_every_page_and_the_api_refuse(caseworker, household):
    authenticator(caseworker)
    client = password_step("alice")
    for url in ("/", "/households/", f"/households/{household.pk}/", "/dashboard/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == VERIFY, url
    assert client.get("/accounts/two-factor/").status_code == 302
    for url in ("/api/v1/households/", f"/api/v1/households/{household.pk}/", "/api/v1/docs/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "second factor" in response.json()["detail"]
    assert (
        client.post("/api/v1/households/", {}, content_type="application/json").status_code == 403
    )
    # what stays open: the code page, language, health check, static files, logout
    assert client.get(VERIFY).status_code == 200
    assert client.post("/i18n/setlang/", {"language": "ar", "next": VERIFY}).status_code == 302
    assert client.get("/healthz").status_code == 200
    # (static files are served by WhiteNoise in production; here the request just passes)
    assert client.get("/static/awda/awda.css").status_code != 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/households/")["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_someone_with_only_the_password_cannot_enrol_a_new_authenticator(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    assert client.get(SETUP)["Location"] == VERIFY
    assert client.get(QR).status_code == 404
    assert client.post(SETUP, {"otp": "123456"})["Location"] == VERIFY
    assert list(TOTPDevice.objects.filter(user=caseworker)) == [device]


# The code page


@pytest.mark.django_db
def test_the_code_of_the_authenticator_logs_in_and_goes_where_the_login_was_going(caseworker):
    device = authenticator(caseworker)
    client = english()
    client.get("/households/new/")
    response = client.post(
        f"{LOGIN}?next=/households/new/", {"username": "alice", "password": PASSWORD}
    )
    assert response["Location"] == VERIFY
    response = client.post(VERIFY, {"otp": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/households/new/"
    assert client.get("/households/new/").status_code == 200


@pytest.mark.django_db
def test_a_code_typed_with_arabic_digits_and_spaces_is_understood(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    code = current_code(device)
    arabic = code[:3].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + " " + code[3:]
    assert client.post(VERIFY, {"otp": arabic})["Location"] == "/"


@pytest.mark.django_db
def test_a_code_cannot_be_used_twice(caseworker):
    device = authenticator(caseworker)
    code = current_code(device)
    assert password_step("alice").post(VERIFY, {"otp": code}).status_code == 302
    again = password_step("alice").post(VERIFY, {"otp": code})
    assert again.status_code == 200 and "This code is not right" in again.content.decode()


@pytest.mark.django_db
def test_a_wrong_code_is_refused_recorded_and_counted(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    wrong = str((int(current_code(device)) + 500_000) % 1_000_000).zfill(6)
    response = client.post(VERIFY, {"otp": wrong})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert client.get("/households/")["Location"] == VERIFY
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor == caseworker and entry.organisation == caseworker.organisation
    assert entry.details == {"username": "alice", "step": "second_factor"}
    assert wrong not in str(entry.content())
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 1
    assert not AuditEntry.objects.filter(action=Action.LOGIN).exists()


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_account_out(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    for attempt in range(1, 6):
        response = client.post(VERIFY, {"otp": "000000" if attempt % 2 else "not a code"})
        assert response.status_code == (429 if attempt == 5 else 200), attempt
    assert "locked" in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.LOCKED_OUT).exists()
    # the half-open session is gone, and even the right password and code do not help now
    assert "_auth_user_id" not in client.session
    again = english()
    assert again.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 429
    assert again.post(VERIFY, {"otp": current_code(device)}).status_code == 302  # to login
    assert again.get("/households/")["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_logging_in_again_with_the_password_does_not_reset_the_count_of_wrong_codes(caseworker):
    authenticator(caseworker)
    for _ in range(3):
        password_step("alice").post(VERIFY, {"otp": "000000"})
    client = password_step("alice")
    assert client.post(VERIFY, {"otp": "000000"}).status_code == 200
    assert client.post(VERIFY, {"otp": "000000"}).status_code == 429


@pytest.mark.django_db
def test_a_complete_login_forgets_the_earlier_wrong_codes(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    for _ in range(4):
        client.post(VERIFY, {"otp": "000000"})
    assert client.post(VERIFY, {"otp": fresh(device)}).status_code == 302
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_a_session_locked_out_meanwhile_cannot_give_its_code(caseworker):
    device = authenticator(caseworker)
    client = password_step("alice")
    for _ in range(5):
        english().post(LOGIN, {"username": "alice", "password": "a wrong password 1"})
    response = client.post(VERIFY, {"otp": current_code(device)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# Recovery codes


@pytest.mark.django_db
def test_a_recovery_code_logs_in_once_only(caseworker):
    codes = enrol(caseworker)
    client = password_step("alice")
    response = client.post(VERIFY, {"otp": codes[3].upper()})
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/").content.decode()
    assert "You logged in with a recovery code: 9 are left" in page
    assert "9 recovery codes left" in page
    login = AuditEntry.objects.get(action=Action.LOGIN)
    assert login.details == {"second_factor": "recovery_code"}

    again = password_step("alice")
    assert again.post(VERIFY, {"otp": codes[3]}).status_code == 200
    assert again.post(VERIFY, {"otp": codes[4].replace("-", " ")}).status_code == 302


@pytest.mark.django_db
def test_new_recovery_codes_replace_the_old_ones(caseworker):
    old = enrol(caseworker)
    client = logged_in(caseworker)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/two-factor/").content.decode()
    assert "10 recovery codes left" in page
    assert client.get("/accounts/two-factor/recovery-codes/").status_code == 405
    response = client.post("/accounts/two-factor/recovery-codes/")
    new = CODES.findall(response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert password_step("alice").post(VERIFY, {"otp": old[0]}).status_code == 200
    assert password_step("alice").post(VERIFY, {"otp": new[0]}).status_code == 302
    entry = AuditEntry.objects.filter(action=Action.UPDATE, actor=caseworker).last()
    assert entry.changes == {"recovery_codes": [10, 10]}


@pytest.mark.django_db
def test_moving_to_a_new_phone_replaces_the_authenticator(caseworker):
    enrol(caseworker)
    old = TOTPDevice.objects.get(user=caseworker)
    client = logged_in(caseworker)  # verified with the old one
    assert client.session[DEVICE_ID_SESSION_KEY] == old.persistent_id
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=caseworker, confirmed=False)
    response = client.post(SETUP, {"otp": current_code(new)})
    assert len(CODES.findall(response.content.decode())) == 10
    assert list(TOTPDevice.objects.filter(user=caseworker)) == [new]
    assert client.get("/households/").status_code == 200  # still verified, by the new one


# Who must, who may


@pytest.mark.django_db
def test_a_donor_viewer_is_not_forced_to_use_a_second_factor(donor):
    response = english().post(LOGIN, {"username": "dana", "password": PASSWORD})
    assert response["Location"] == "/"
    assert AuditEntry.objects.get(action=Action.LOGIN).details == {"second_factor": "none"}


@pytest.mark.django_db
def test_a_donor_viewer_who_set_one_up_is_asked_for_it(donor):
    device = authenticator(donor)
    client = password_step("dana")
    assert client.get("/dashboard/")["Location"] == VERIFY
    assert client.post(VERIFY, {"otp": current_code(device)})["Location"] == "/"
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_a_donor_viewer_may_set_one_up(donor):
    client = english()
    client.post(LOGIN, {"username": "dana", "password": PASSWORD})
    assert "Two-factor login is not set up" in client.get("/accounts/two-factor/").content.decode()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=donor)
    assert len(CODES.findall(client.post(SETUP, {"otp": code_now(device)}).content.decode())) == 10


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.DONOR])
def test_every_role_that_sees_personal_data_must_give_a_second_factor(org_a, role):
    make_user(f"user-{role}", org_a, role)
    response = english().post(LOGIN, {"username": f"user-{role}", "password": PASSWORD})
    assert response["Location"] == SETUP


# Session lifetime


@pytest.mark.django_db
def test_a_session_ends_twelve_hours_after_login_however_active(caseworker):
    assert django_settings.SESSION_MAX_HOURS == 12
    client = logged_in(caseworker)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - 11.9 * 3600
    session.save()
    assert client.get("/households/").status_code == 200
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - 12.1 * 3600
    session.save()
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Your session has reached its limit of 12 hours" in page
    entry = AuditEntry.objects.get(action=Action.LOGOUT)
    assert entry.actor == caseworker and entry.details == {"reason": "session_lifetime"}


@pytest.mark.django_db
def test_the_api_through_an_expired_session_answers_401(caseworker):
    client = logged_in(caseworker)
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - 13 * 3600
    session.save()
    assert client.get("/api/v1/households/").status_code == 401


@pytest.mark.django_db
def test_the_login_time_is_stamped_on_the_session_at_login(caseworker):
    before = time.time()
    client = password_step("alice")
    assert before <= client.session[SESSION_LOGIN_AT] <= time.time()


@pytest.mark.django_db
def test_the_lifetime_is_set_from_the_environment():
    result = _settings_of({"AWDA_SESSION_MAX_HOURS": "3"}, "SESSION_MAX_HOURS")
    assert result.stdout.strip() == "3"


# Resets


@pytest.mark.django_db
def test_the_reset_command_removes_the_second_factor_and_is_audited(caseworker):
    enrol(caseworker)
    client = logged_in(caseworker)
    api_token_issue(user=caseworker)
    out = io.StringIO()
    call_command("reset_2fa", "alice", "--reason", "phone lost at the checkpoint", stdout=out)
    assert "alice" in out.getvalue()

    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    assert not StaticDevice.objects.filter(user=caseworker).exists()
    assert not ApiToken.objects.filter(user=caseworker).exists()
    assert client.get("/households/")["Location"].startswith(LOGIN)  # sessions ended
    reset_row = SecondFactorReset.objects.get()
    assert reset_row.reason == "phone lost at the checkpoint" and reset_row.by is None
    assert reset_row.via == "command"
    entry = AuditEntry.objects.filter(action=Action.UPDATE).last()
    assert entry.actor is None and entry.channel == "cli"
    assert entry.object_id == str(caseworker.pk) and entry.object_type == "accounts.user"
    assert entry.changes["recovery_codes"] == [10, 0]
    assert entry.details["reset"] == reset_row.pk and entry.details["via"] == "command"
    assert entry.details["operator"]
    assert "phone" not in str(entry.content())
    # next login: enrol again
    assert english().post(LOGIN, {"username": "alice", "password": PASSWORD})["Location"] == SETUP


@pytest.mark.django_db
def test_the_reset_command_needs_a_reason_and_a_known_user(caseworker):
    with pytest.raises(CommandError):
        call_command("reset_2fa", "alice", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Say why"):
        call_command("reset_2fa", "alice", "--reason", "   ", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("reset_2fa", "nobody", "--reason", "lost", stdout=io.StringIO())
    assert not SecondFactorReset.objects.exists()


@pytest.mark.django_db
def test_django_otps_clear_text_recovery_code_command_is_refused(caseworker):
    with pytest.raises(CommandError, match="reset_2fa"):
        call_command("addstatictoken", "alice", stdout=io.StringIO())
    assert not StaticToken.objects.exists()


@pytest.mark.django_db
def test_an_administrator_resets_a_colleagues_second_factor_on_the_users_page(org_a, caseworker):
    enrol(caseworker)
    admin = make_user("adam", org_a, Role.ADMIN)
    client = logged_in(admin)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/users/").content.decode()
    assert "alice" in page and f"/accounts/users/{caseworker.pk}/reset-two-factor/" in page
    url = f"/accounts/users/{caseworker.pk}/reset-two-factor/"
    assert client.post(url, {"reason": ""}).status_code == 200
    response = client.post(url, {"reason": "new phone"})
    assert response["Location"] == "/accounts/users/"
    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    entry = AuditEntry.objects.filter(action=Action.UPDATE).last()
    assert entry.actor == admin and entry.details["via"] == "page"
    assert "new phone" not in str(entry.content())
    assert SecondFactorReset.objects.get().by == admin


@pytest.mark.django_db
def test_only_administrators_of_the_same_organisation_reset_and_never_their_own(
    org_a, org_b, caseworker, supervisor
):
    enrol(caseworker)
    url = f"/accounts/users/{caseworker.pk}/reset-two-factor/"
    stranger = make_user("olga", org_b, Role.ADMIN)
    assert logged_in(stranger).post(url, {"reason": "x"}).status_code == 404
    assert logged_in(supervisor).post(url, {"reason": "x"}).status_code == 403
    assert logged_in(supervisor).get("/accounts/users/").status_code == 403
    assert Client().get(url)["Location"].startswith(LOGIN)
    assert "alice" not in logged_in(stranger).get("/accounts/users/").content.decode()
    admin = make_user("adam", org_a, Role.ADMIN)
    own = logged_in(admin).post(f"/accounts/users/{admin.pk}/reset-two-factor/", {"reason": "x"})
    assert own.status_code == 200
    assert TOTPDevice.objects.filter(user=caseworker).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert not SecondFactorReset.objects.exists()


# The demo


@pytest.mark.django_db
def test_the_demo_may_relax_two_factor_login_and_says_so_on_every_page(settings, caseworker):
    settings.DEMO = True
    settings.TWO_FACTOR_REQUIRED = False
    client = english()
    login_page = client.get(LOGIN).content.decode()
    assert "Two-factor login is switched off in this demo." in login_page
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/"
    page = client.get("/households/").content.decode()
    assert "Two-factor login is switched off in this demo." in page


@pytest.mark.django_db
def test_a_demo_that_requires_two_factor_login_does_not_say_it_is_off(settings, caseworker):
    settings.DEMO = True
    client = english()
    page = client.get(LOGIN).content.decode()
    assert "synthetic data" in page and "switched off" not in page
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD})["Location"] == SETUP


def _settings_of(env: dict[str, str], name: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='awda.settings'; "
        f"django.setup(); from django.conf import settings; print(settings.{name})"
    )
    base = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "awda.example.org", "PATH": "/usr/bin:/bin"}
    base["AWDA_ENCRYPTION_KEYS"] = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_two_factor_login_can_only_be_switched_off_in_the_demo():
    assert _settings_of({}, "TWO_FACTOR_REQUIRED").stdout.strip() == "True"
    refused = _settings_of({"AWDA_REQUIRE_2FA": "0"}, "TWO_FACTOR_REQUIRED")
    assert refused.returncode != 0 and "AWDA_REQUIRE_2FA" in refused.stderr
    demo = {"AWDA_DEMO": "1"}
    assert _settings_of(demo, "TWO_FACTOR_REQUIRED").stdout.strip() == "False"
    required = {**demo, "AWDA_REQUIRE_2FA": "1"}
    assert _settings_of(required, "TWO_FACTOR_REQUIRED").stdout.strip() == "True"


@pytest.mark.django_db
def test_the_two_factor_pages_are_closed_to_anonymous_visitors(caseworker):
    for url in (
        "/accounts/two-factor/",
        VERIFY,
        SETUP,
        QR,
        "/accounts/users/",
        f"/accounts/users/{caseworker.pk}/reset-two-factor/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    response = Client().post("/accounts/two-factor/recovery-codes/")
    assert response["Location"].startswith(LOGIN)
    assert not TOTPDevice.objects.exists()
