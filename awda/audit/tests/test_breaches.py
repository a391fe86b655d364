"""The breach log: the data protection officer records and edits breaches of their
organisation; nobody else sees them; every write and read is audited."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.utils import timezone, translation

from awda.audit.models import AuditEntry, Breach
from awda.audit.services import BreachData, breach_record, breach_update
from awda.conftest import logged_in, make_user
from awda.registry.services import EditConflict

WHAT = "A laptop with an export of block 3 registrations was left in a taxi."
CONTAINED = "Remote wipe done; the export's passwords were changed."


@pytest.fixture
def dpo(org_a):
    return make_user("dora", org_a, "dpo")


@pytest.fixture
def other_dpo(org_b):
    return make_user("omar", org_b, "dpo")


def data(**overrides):
    values = {
        "discovered_at": timezone.now() - datetime.timedelta(hours=5),
        "description": WHAT,
        "data_categories": ["identity", "location"],
        "people_categories": ["children", "adults"],
        "people_affected": 120,
    }
    values.update(overrides)
    return BreachData(**values)


@pytest.fixture
def breach(dpo) -> Breach:
    return breach_record(by=dpo, data=data())


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form(**overrides):
    values = {
        "discovered_at": (timezone.localtime() - datetime.timedelta(hours=5)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "occurred_on": "",
        "description": WHAT,
        "data_categories": ["identity", "mhpss"],
        "people_categories": ["adults"],
        "people_affected": "40",
        "containment": "",
        "authority_notified_on": "",
        "people_notified_on": "",
        "status": "open",
    }
    values.update(overrides)
    return values


@pytest.mark.django_db
def test_the_data_protection_officer_records_a_breach_and_finds_it_in_the_log(dpo):
    client = english(logged_in(dpo))

    response = client.post("/audit/breaches/new/", form())

    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/audit/breaches/{breach.pk}/"
    assert breach.organisation_id == dpo.organisation_id and breach.recorded_by == dpo
    assert breach.data_categories == ["identity", "mhpss"] and breach.people_affected == 40
    page = client.get("/audit/breaches/").content.decode()
    assert f"#{breach.pk}" in page and "Psychosocial screenings" in page and "Open" in page
    page = client.get(f"/audit/breaches/{breach.pk}/").content.decode()
    assert WHAT in page and "Not notified" in page
    actions = list(
        AuditEntry.objects.filter(object_type="audit.breach").values_list("action", flat=True)
    )
    assert actions == ["create", "view"]
    assert AuditEntry.objects.filter(action="list", details__object_type="audit.breach").exists()
    created = AuditEntry.objects.get(object_type="audit.breach", action="create")
    assert created.changes["description"] == "[changed]" and "laptop" not in str(created.changes)


@pytest.mark.django_db
def test_what_happened_and_what_was_done_are_encrypted_at_rest(dpo):
    breach = breach_record(by=dpo, data=data(containment=CONTAINED, status="contained"))
    raw = Breach.objects.values_list(
        Cast("description", models.TextField()), Cast("containment", models.TextField())
    ).get(pk=breach.pk)
    assert "laptop" not in raw[0] and "wipe" not in raw[1]
    assert raw[0].startswith("gAAAA")  # a Fernet token
    assert Breach.objects.get().containment == CONTAINED


@pytest.mark.django_db
def test_an_edit_raises_the_version_and_records_what_changed(dpo, breach):
    changed = breach_update(
        by=dpo,
        breach=breach,
        expected_version=1,
        data=data(
            status="contained",
            containment=CONTAINED,
            authority_notified_on=timezone.localdate(),
        ),
    )
    assert changed.version == 2 and changed.updated_by == dpo
    entry = AuditEntry.objects.filter(object_type="audit.breach").latest("seq")
    assert entry.action == "update"
    assert entry.changes["status"] == ["open", "contained"]
    assert entry.changes["containment"] == "[changed]"
    assert "authority_notified_on" in entry.changes


@pytest.mark.django_db
def test_an_edit_based_on_a_stale_version_is_refused(dpo, breach):
    breach_update(by=dpo, breach=breach, expected_version=1, data=data(people_affected=150))
    with pytest.raises(EditConflict):
        breach_update(by=dpo, breach=breach, expected_version=1, data=data(people_affected=90))
    assert Breach.objects.get().people_affected == 150


@pytest.mark.django_db
def test_the_page_refuses_a_stale_edit_and_shows_the_record_as_it_is_now(dpo, breach):
    other = make_user("dalia", dpo.organisation, "dpo")
    mine, theirs = english(logged_in(dpo)), english(logged_in(other))
    assert 'value="1"' in mine.get(f"/audit/breaches/{breach.pk}/edit/").content.decode()
    theirs.post(f"/audit/breaches/{breach.pk}/edit/", {**form(people_affected="300"), "version": 1})

    response = mine.post(
        f"/audit/breaches/{breach.pk}/edit/", {**form(people_affected="55"), "version": 1}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this record" in page
    assert "The record as it is now (version 2)" in page and "300" in page
    assert 'name="version" value="2"' in page  # saving again applies on the current one
    assert Breach.objects.get().people_affected == 300


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"discovered_at": timezone.now() + datetime.timedelta(days=1)},
            "discovered_at",
            "in the future",
        ),
        ({"description": "   "}, "description", "Say what happened"),
        ({"data_categories": []}, "data_categories", "Choose at least one"),
        ({"people_categories": ["martians"]}, "people_categories", "listed categories"),
        ({"people_affected": -1}, "people_affected", "0 or more"),
        ({"status": "closed"}, "containment", "how the breach was contained"),
        (
            {"authority_notified_on": datetime.date(2020, 1, 1)},
            "authority_notified_on",
            "before the breach was found",
        ),
        (
            {"occurred_on": timezone.localdate() + datetime.timedelta(days=2)},
            "occurred_on",
            "after it was found",
        ),
    ],
)
def test_a_breach_that_does_not_hold_together_is_refused(dpo, overrides, field, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        breach_record(by=dpo, data=data(**overrides))
    assert message in " ".join(error.value.message_dict[field])
    assert not Breach.objects.exists()


PAGES = [
    "/audit/breaches/",
    "/audit/breaches/new/",
    "/audit/breaches/{b}/",
    "/audit/breaches/{b}/edit/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["caseworker", "supervisor", "mhpss", "admin", "donor"])
def test_no_other_role_gets_the_breach_log(breach, org_a, role):
    client = logged_in(make_user(f"someone-{role}", org_a, role))
    for url in PAGES:
        assert client.get(url.format(b=breach.pk)).status_code == 403, url
    assert client.post(f"/audit/breaches/{breach.pk}/edit/", form()).status_code == 403
    assert client.post("/audit/breaches/new/", form()).status_code == 403
    assert Breach.objects.count() == 1 and Breach.objects.get().version == 1


@pytest.mark.django_db
def test_nobody_logged_out_gets_the_breach_log(breach):
    for url in PAGES:
        response = Client().get(url.format(b=breach.pk))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_another_organisations_officer_finds_no_trace_of_the_breach(breach, other_dpo):
    client = logged_in(other_dpo)
    assert client.get(f"/audit/breaches/{breach.pk}/").status_code == 404
    assert client.get(f"/audit/breaches/{breach.pk}/edit/").status_code == 404
    response = client.post(f"/audit/breaches/{breach.pk}/edit/", {**form(), "version": 1})
    assert response.status_code == 404
    assert f"#{breach.pk}" not in client.get("/audit/breaches/").content.decode()
    with pytest.raises(PermissionDenied):
        breach_update(by=other_dpo, breach=breach, expected_version=1, data=data())
    assert Breach.objects.get().version == 1


@pytest.mark.django_db
def test_only_a_data_protection_officer_can_record_a_breach(caseworker, supervisor):
    for user in (caseworker, supervisor):
        with pytest.raises(PermissionDenied):
            breach_record(by=user, data=data())
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_the_log_takes_the_same_few_queries_however_long(dpo, django_assert_max_num_queries):
    for _ in range(30):
        breach_record(by=dpo, data=data())
    client = logged_in(dpo)
    with django_assert_max_num_queries(15):
        response = client.get("/audit/breaches/")
    assert response.content.decode().count('href="/audit/breaches/') >= 25


@pytest.mark.django_db
def test_an_overdue_notification_is_pointed_out(dpo):
    late = breach_record(
        by=dpo, data=data(discovered_at=timezone.now() - datetime.timedelta(hours=80))
    )
    client = english(logged_in(dpo))
    assert "Overdue" in client.get("/audit/breaches/").content.decode()
    assert "More than 72 hours" in client.get(f"/audit/breaches/{late.pk}/").content.decode()
