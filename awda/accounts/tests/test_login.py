from __future__ import annotations

import os
import subprocess
import sys

import pytest
from axes.utils import reset
from django.conf import settings
from django.test import Client

from awda.accounts.models import ApiToken
from awda.accounts.services import api_token_issue
from awda.audit.models import AuditEntry
from awda.conftest import PASSWORD, authenticator, current_code, logged_in


@pytest.fixture
def _axes_reset(db):
    reset()
    yield
    reset()


@pytest.mark.django_db
@pytest.mark.usefixtures("_axes_reset")
def test_a_caseworker_logs_in_in_arabic_and_lands_on_the_households(caseworker):
    device = authenticator(caseworker)
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="ar" dir="rtl"' in page and "bootstrap.rtl.min.css" in page
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/verify/"
    assert not AuditEntry.objects.filter(action="login").exists()  # not logged in yet
    response = client.post("/accounts/two-factor/verify/", {"otp": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").headers["Location"] == "/households/"
    entry = AuditEntry.objects.get(action="login")
    assert entry.actor == caseworker and entry.details == {"second_factor": "totp"}


@pytest.mark.django_db
@pytest.mark.usefixtures("_axes_reset")
def test_five_wrong_passwords_lock_the_account_and_are_recorded(caseworker):
    client = Client()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            "/accounts/login/", {"username": "alice", "password": "wrong password"}
        )
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 200)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # every attempt is recorded, the one made while locked out too
    assert (
        AuditEntry.objects.filter(action="login_failed").count() == settings.AXES_FAILURE_LIMIT + 1
    )
    assert AuditEntry.objects.filter(action="locked_out").exists()
    assert "wrong password" not in str(list(AuditEntry.objects.values_list("details", flat=True)))


@pytest.mark.django_db
def test_logging_out_everywhere_ends_other_sessions_and_tokens(caseworker):
    phone, laptop = logged_in(caseworker), logged_in(caseworker)
    api_token_issue(user=caseworker)
    assert phone.get("/households/").status_code == 200
    laptop.post("/accounts/logout-everywhere/")
    assert phone.get("/households/").status_code == 302
    assert not ApiToken.objects.filter(user=caseworker).exists()
    assert AuditEntry.objects.filter(action="logout_everywhere").exists()


@pytest.mark.django_db
def test_logout_needs_a_post(caseworker):
    client = logged_in(caseworker)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/households/").status_code == 302


def test_sessions_expire_after_thirty_idle_minutes_by_default():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_passwords_are_hashed_with_argon2_in_the_real_settings():
    from awda import settings as real

    assert real.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert any("MinimumLengthValidator" in v["NAME"] for v in real.AUTH_PASSWORD_VALIDATORS)


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='awda.settings'; django.setup()"
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "AWDA_DEMO", "ALLOWED_HOSTS", "AWDA_ENCRYPTION_KEYS")
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_app_refuses_to_start_without_a_secret_key():
    result = _start({})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_the_app_refuses_to_start_in_production_without_allowed_hosts():
    result = _start({"SECRET_KEY": "s" * 50})
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr
    key = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
    production = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "awda.example.org"}
    assert _start({**production, "AWDA_ENCRYPTION_KEYS": key}).returncode == 0


def test_the_app_refuses_to_start_in_production_without_encryption_keys():
    result = _start({"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "awda.example.org"})
    assert result.returncode != 0 and "AWDA_ENCRYPTION_KEYS" in result.stderr


@pytest.mark.django_db
def test_a_session_left_idle_for_thirty_minutes_ends(caseworker):
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = logged_in(caseworker)
    assert client.get("/households/").status_code == 200
    session = Session.objects.get()
    remaining = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
