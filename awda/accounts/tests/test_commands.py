from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from awda.accounts.models import User
from awda.audit.models import AuditEntry


@pytest.mark.django_db
def test_an_administrator_adds_an_organisation_and_a_user(monkeypatch):
    call_command(
        "add_organisation",
        "org-x",
        "--name-ar",
        "منظمة س",
        "--name-en",
        "Org X",
        "--kind",
        "nngo",
        stdout=io.StringIO(),
    )
    monkeypatch.setenv("AWDA_NEW_PASSWORD", "a long enough pass phrase 7")
    call_command(
        "add_user",
        "mariam.x",
        "--organisation",
        "org-x",
        "--role",
        "caseworker",
        stdout=io.StringIO(),
    )
    user = User.objects.get(username="mariam.x")
    assert user.organisation.slug == "org-x" and user.role == "caseworker"
    assert user.check_password("a long enough pass phrase 7")
    assert AuditEntry.objects.filter(object_type="accounts.user", action="create").exists()


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_reason(org_a, monkeypatch):
    monkeypatch.setenv("AWDA_NEW_PASSWORD", "12345678")
    with pytest.raises(CommandError, match=r"too short|too common|entirely numeric"):
        call_command(
            "add_user",
            "weak",
            "--organisation",
            "org-a",
            "--role",
            "caseworker",
            stdout=io.StringIO(),
        )
    assert not User.objects.filter(username="weak").exists()
