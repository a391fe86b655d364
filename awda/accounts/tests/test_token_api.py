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
from rest_framework.test import APIClient

from awda.accounts.models import ApiToken
from awda.audit.models import Action, AuditEntry
from awda.conftest import PASSWORD

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


def _post_token(username, password, client=None):
    client = client or APIClient()
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def _token_for(username, password=PASSWORD):
    response = _post_token(username, password)
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
    response = _post_token("alice", PASSWORD)

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

    assert _post_token("alice", PASSWORD).status_code == 429
    assert _post_token("bob", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_failure_count(caseworker):
    for _ in range(4):
        assert _post_token("alice", WRONG_PASSWORD).status_code == 401
    _token_for("alice")
    for _ in range(4):
        assert _post_token("alice", WRONG_PASSWORD).status_code == 401

    assert _post_token("alice", PASSWORD).status_code == 200


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
