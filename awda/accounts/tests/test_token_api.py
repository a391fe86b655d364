"""The token endpoint and bearer authentication, as an API client meets them."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from axes.utils import reset
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from awda.accounts.models import ApiToken, User
from awda.audit.models import Action, AuditEntry
from awda.conftest import PASSWORD, authenticator, current_code

TOKEN_URL = "/api/v1/auth/token/"
HOUSEHOLDS_URL = "/api/v1/households/"
PERSONS_URL = "/api/v1/persons/"
WRONG_PASSWORD = "not the password 9731"


@pytest.fixture(autouse=True)
def _clean_slate(settings):
    """Axes' failure counts and DRF's token throttle (in the cache) start at zero."""
    settings.AXES_FAILURE_LIMIT = 5
    reset()
    cache.clear()
    yield
    reset()
    cache.clear()


def _post_token(username, password, client=None, otp=None):
    client = client or APIClient()
    data = {"username": username, "password": password}
    if otp is not None:
        data["otp"] = otp
    return client.post(TOKEN_URL, data, format="json")


def _code_of(username):
    """The current code of the user's authenticator app (set up on first use)."""
    device = authenticator(User.objects.get(username=username))
    # A code is good once; these tests ask for several tokens within 30 seconds.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return current_code(device)


def _token_for(username, password=PASSWORD):
    user = User.objects.get(username=username)
    otp = _code_of(username) if user.sees_personal_data else None
    response = _post_token(username, password, otp=otp)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _audit_text(entry):
    return json.dumps(entry.content(), ensure_ascii=False)


@pytest.mark.django_db
def test_it_issues_a_token_valid_for_an_hour(caseworker):
    before = timezone.now()
    response = _post_token("alice", PASSWORD, otp=_code_of("alice"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"token", "expires_at", "expires_in"}
    assert body["expires_in"] == 3600
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 32
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None
    expected = before + datetime.timedelta(hours=1)
    assert expected - datetime.timedelta(seconds=5) <= expires_at
    assert expires_at <= expected + datetime.timedelta(seconds=30)


@pytest.mark.django_db
def test_issuing_a_token_is_recorded_in_the_audit_trail(caseworker):
    _token_for("alice")

    entry = AuditEntry.objects.get(action=Action.TOKEN)
    assert entry.actor == caseworker
    assert entry.channel == "api"
    assert PASSWORD not in _audit_text(entry)


@pytest.mark.django_db
def test_the_token_works_as_a_bearer_token(caseworker, household):
    token = _token_for("alice")

    response = _bearer(token).get(HOUSEHOLDS_URL)

    assert response.status_code == 200
    assert [h["id"] for h in response.json()["results"]] == [household.pk]


@pytest.mark.django_db
def test_the_bearer_keyword_is_case_insensitive(caseworker):
    token = _token_for("alice")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {token}")

    assert client.get(HOUSEHOLDS_URL).status_code == 200


@pytest.mark.django_db
def test_a_wrong_password_gives_401_and_is_audited_without_the_password(caseworker):
    response = _post_token("alice", WRONG_PASSWORD)

    assert response.status_code == 401
    assert "token" not in response.json()
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor is None
    assert entry.details == {"username": "alice", "channel": "api"}
    text = _audit_text(entry)
    assert WRONG_PASSWORD not in text
    assert PASSWORD not in text
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_unknown_username_gives_the_same_401_as_a_wrong_password(caseworker):
    unknown = _post_token("nobody", PASSWORD)
    wrong = _post_token("alice", WRONG_PASSWORD)

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


@pytest.mark.django_db
def test_a_request_without_credentials_gives_400(caseworker):
    response = APIClient().post(TOKEN_URL, {"username": "alice"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.django_db
def test_an_expired_token_gives_401(caseworker):
    token = _token_for("alice")
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = _bearer(token).get(HOUSEHOLDS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_an_unknown_token_gives_401(caseworker):
    _token_for("alice")

    assert _bearer("not-a-token-we-issued").get(HOUSEHOLDS_URL).status_code == 401


@pytest.mark.django_db
def test_the_token_of_a_disabled_account_gives_401(caseworker):
    token = _token_for("alice")
    caseworker.is_active = False
    caseworker.save()

    assert _bearer(token).get(HOUSEHOLDS_URL).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer two parts", "Basic YWxpY2U6cGFzc3dvcmQ=", "Token abc"],
)
def test_a_malformed_or_foreign_authorization_header_gives_401(caseworker, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(HOUSEHOLDS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_a_valid_token_with_trailing_garbage_gives_401(caseworker):
    token = _token_for("alice")

    assert _bearer(f"{token} extra").get(HOUSEHOLDS_URL).status_code == 401


@pytest.mark.django_db
def test_no_authorization_header_gives_401(caseworker):
    assert APIClient().get(HOUSEHOLDS_URL).status_code == 401


@pytest.mark.django_db
def test_after_five_failures_the_account_is_locked_even_with_the_right_password(caseworker):
    statuses = [_post_token("alice", WRONG_PASSWORD).status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 401, 429]
    response = _post_token("alice", PASSWORD)
    assert response.status_code == 429
    assert "token" not in response.json()
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=Action.LOCKED_OUT).exists()


@pytest.mark.django_db
def test_a_lockout_keeps_other_users_out_of_it(caseworker, other_caseworker):
    for _ in range(5):
        _post_token("alice", WRONG_PASSWORD)

    assert _post_token("alice", PASSWORD, otp=_code_of("alice")).status_code == 429
    assert _post_token("bob", PASSWORD, otp=_code_of("bob")).status_code == 200


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_failure_count(caseworker):
    for _ in range(4):
        assert _post_token("alice", WRONG_PASSWORD).status_code == 401
    _token_for("alice")
    for _ in range(4):
        assert _post_token("alice", WRONG_PASSWORD).status_code == 401

    assert _post_token("alice", PASSWORD, otp=_code_of("alice")).status_code == 200


@pytest.mark.django_db
def test_only_the_sha256_of_the_token_is_stored(caseworker):
    token = _token_for("alice")

    row = ApiToken.objects.get()
    assert row.user == caseworker
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = list(ApiToken.objects.values_list())
    assert token not in repr(stored)
    assert all(token not in _audit_text(entry) for entry in AuditEntry.objects.all())


@pytest.mark.django_db
def test_each_request_gets_a_new_token(caseworker):
    first = _token_for("alice")
    second = _token_for("alice")

    assert first != second
    assert ApiToken.objects.filter(user=caseworker).count() == 2
    assert _bearer(first).get(HOUSEHOLDS_URL).status_code == 200
    assert _bearer(second).get(HOUSEHOLDS_URL).status_code == 200


@pytest.mark.django_db
def test_a_donor_gets_a_token_but_no_personal_data(donor, household):
    token = _token_for("dana")
    client = _bearer(token)

    assert client.get(HOUSEHOLDS_URL).status_code == 403
    assert client.get(PERSONS_URL).status_code == 403
    assert client.get(f"{HOUSEHOLDS_URL}{household.pk}/").status_code == 403
    person = household.members.first()
    assert client.get(f"{PERSONS_URL}{person.pk}/").status_code == 403


# The second factor


@pytest.mark.django_db
def test_without_the_one_time_code_a_caseworker_gets_400_naming_the_otp_field(caseworker):
    authenticator(caseworker)
    response = APIClient().post(
        TOKEN_URL, {"username": "alice", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "six-digit code" in response.json()["otp"][0]
    assert "`otp`" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_caseworker_who_has_not_enrolled_is_told_to_enrol_on_the_pages(caseworker):
    response = APIClient().post(
        TOKEN_URL,
        {"username": "alice", "password": PASSWORD, "otp": "123456"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "log in once on the web pages" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_wrong_one_time_code_gives_401_and_counts_toward_the_lockout(caseworker):
    code = _code_of("alice")
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)

    response = _post_token("alice", PASSWORD, otp=wrong)

    assert response.status_code == 401 and "token" not in response.json()
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor == caseworker and entry.channel == "api"
    assert entry.details == {"username": "alice", "step": "second_factor"}
    statuses = [_post_token("alice", PASSWORD, otp=wrong).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert _post_token("alice", PASSWORD, otp=_code_of("alice")).status_code == 429
    assert not ApiToken.objects.exists()
    assert AuditEntry.objects.filter(action=Action.LOCKED_OUT).exists()


@pytest.mark.django_db
def test_the_token_records_the_second_factor_used(caseworker):
    _token_for("alice")

    assert AuditEntry.objects.get(action=Action.TOKEN).details == {"second_factor": "totp"}


@pytest.mark.django_db
def test_a_recovery_code_gets_a_token_once(caseworker):
    from awda.accounts.services import second_factor_begin, second_factor_confirm

    device = second_factor_begin(user=caseworker)
    codes = second_factor_confirm(user=caseworker, device=device, code=current_code(device))

    assert _post_token("alice", PASSWORD, otp=codes[0]).status_code == 200
    assert _post_token("alice", PASSWORD, otp=codes[0]).status_code == 401
    assert AuditEntry.objects.get(action=Action.TOKEN).details == {"second_factor": "recovery_code"}


@pytest.mark.django_db
def test_a_donor_without_a_second_factor_needs_no_code(donor):
    assert _post_token("dana", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_the_schema_shows_the_otp_field(caseworker):
    from awda.conftest import logged_in

    schema = logged_in(caseworker).get("/api/v1/schema/?format=json").json()
    request = schema["components"]["schemas"]["TokenRequestRequest"]
    assert "otp" in request["properties"] and "otp" not in request.get("required", [])
    assert "authenticator" in request["properties"]["otp"]["description"]


@pytest.mark.django_db
def test_a_session_that_has_not_given_its_second_factor_gets_no_api(caseworker, household):
    authenticator(caseworker)
    client = APIClient()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert client.get(HOUSEHOLDS_URL).status_code == 403
