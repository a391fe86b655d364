"""Retention rules: what has been kept long enough is anonymised by a scheduled task,
after a dry run that writes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from awda.audit.models import AuditEntry
from awda.audit.selectors import audit_verify
from awda.cases.models import Case, CaseNote
from awda.cases.services import case_open, note_add
from awda.conftest import head, logged_in, register
from awda.consent.models import Consent
from awda.consent.services import consent_record, consent_revoke
from awda.registry.models import Household, Person
from awda.reintegration.services import add_months
from awda.rights.models import Anonymisation, RetentionRule
from awda.rights.redaction import PLACEHOLDER
from awda.rights.retention import retention_apply, retention_plan
from awda.rights.services import retention_rule_save


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _closed(case: Case, months_ago: int) -> Case:
    closed_on = add_months(timezone.localdate(), -months_ago)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_on=closed_on)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def two_closed_cases(caseworker, household):
    old = case_open(by=caseworker, household=household)
    young = case_open(by=caseworker, household=household)
    note_add(by=caseworker, case=old, text="Closed long ago: the family left for Mosul")
    note_add(by=caseworker, case=young, text="Closed last month")
    return _closed(old, 25), _closed(young, 2)


@pytest.fixture
def rule(dpo):
    return retention_rule_save(by=dpo, record_type="closed_cases", after_months=24, is_active=True)


@pytest.mark.django_db
def test_a_closed_case_older_than_the_rule_is_anonymised_and_a_younger_one_is_not(
    two_closed_cases, rule
):
    old, young = two_closed_cases
    [plan] = retention_plan()
    assert [t.id for t in plan.targets] == [old.pk]
    [result] = retention_apply([plan], operator="cron")
    assert (result.anonymised, result.failed) == (1, [])
    assert CaseNote.objects.get(case=old).text == PLACEHOLDER
    assert CaseNote.objects.get(case=young).text == "Closed last month"
    record = Anonymisation.objects.get()
    assert (record.object_type, record.object_id, record.rule, record.reason) == (
        "cases.case",
        old.pk,
        rule,
        f"retention rule #{rule.pk}",
    )
    assert (record.by, record.operator, record.basis) == (None, "cron", "retention")
    old.refresh_from_db()
    assert (old.status, old.closed_on) == ("closed", add_months(timezone.localdate(), -25))
    assert audit_verify().intact
    run = AuditEntry.objects.filter(details__has_key="apply_retention").get()
    assert run.details["apply_retention"] == [{"rule": rule.pk, "anonymised": 1, "failed": []}]


@pytest.mark.django_db
def test_the_dry_run_lists_numbers_and_writes_nothing(two_closed_cases, rule):
    old, _young = two_closed_cases
    entries, notes = (
        AuditEntry.objects.count(),
        list(CaseNote.objects.values_list("text", flat=True)),
    )
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"rule #{rule.pk} org-a closed_cases after 24 months" in text
    assert f"1 records, 0 people: case#{old.pk}" in text
    assert "Dry run: nothing was written." in text
    assert AuditEntry.objects.count() == entries
    assert not Anonymisation.objects.exists()
    assert list(CaseNote.objects.values_list("text", flat=True)) == notes


@pytest.mark.django_db
def test_the_command_applies_the_rules_and_a_second_run_finds_nothing(two_closed_cases, rule):
    old, _young = two_closed_cases
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 1 records." in out.getvalue()
    assert CaseNote.objects.get(case=old).text == PLACEHOLDER
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 0 records." in out.getvalue()
    assert Anonymisation.objects.count() == 1


@pytest.mark.django_db
def test_a_paused_rule_or_another_organisations_rule_does_nothing_here(
    two_closed_cases, rule, other_dpo
):
    RetentionRule.objects.filter(pk=rule.pk).update(is_active=False)
    retention_rule_save(by=other_dpo, record_type="closed_cases", after_months=12, is_active=True)
    [plan] = retention_plan()
    assert plan.rule.organisation.slug == "org-b"
    assert plan.targets == []


@pytest.mark.django_db
def test_a_returned_household_followed_up_long_ago_has_its_members_anonymised(
    caseworker, dpo, household
):
    Household.objects.filter(pk=household.pk).update(status=Household.Status.FOLLOWED_UP)
    retention_rule_save(by=dpo, record_type="returned_households", after_months=12, is_active=True)
    assert retention_plan()[0].targets == []  # changed today
    later = add_months(timezone.localdate(), 13)
    [plan] = retention_plan(today=later)
    members = tuple(household.members.order_by("pk").values_list("pk", flat=True))
    assert [(t.kind, t.id, t.people) for t in plan.targets] == [
        ("household", household.pk, members)
    ]
    retention_apply([plan])
    assert set(
        Person.objects.filter(household=household).values_list("first_name_ar", flat=True)
    ) == {"شخص"}
    assert Anonymisation.objects.filter(person__isnull=False).count() == len(members)


@pytest.mark.django_db
def test_people_with_an_open_case_are_left_to_the_officer(caseworker, dpo, household):
    Household.objects.filter(pk=household.pk).update(status=Household.Status.CLOSED)
    case_open(by=caseworker, household=household)
    retention_rule_save(by=dpo, record_type="returned_households", after_months=12, is_active=True)
    [plan] = retention_plan(today=add_months(timezone.localdate(), 13))
    assert plan.targets == []


@pytest.mark.django_db
def test_a_person_who_withdrew_consent_to_registration_is_anonymised_after_the_rule(
    caseworker, dpo
):
    household = register(caseworker, reference="A-W", members=[head(first_name_ar="نجلاء")])
    person = household.members.get()
    consent = consent_record(
        by=caseworker, person=person, purpose="registration", legal_basis="consent",
        given_by="person",
    )  # fmt: skip
    consent_revoke(by=caseworker, consent=consent)
    retention_rule_save(by=dpo, record_type="withdrawn_consent", after_months=12, is_active=True)
    assert retention_plan()[0].targets == []
    [plan] = retention_plan(today=add_months(timezone.localdate(), 12) + datetime.timedelta(1))
    assert [(t.kind, t.id) for t in plan.targets] == [("person", person.pk)]
    retention_apply([plan])
    assert Person.objects.get(pk=person.pk).first_name_ar == "شخص"
    assert Consent.objects.filter(person=person).count() == 1


@pytest.mark.django_db
def test_rules_keep_records_at_least_twelve_months_one_rule_per_kind(dpo, caseworker):
    with pytest.raises(ValidationError) as error:
        retention_rule_save(by=dpo, record_type="closed_cases", after_months=6, is_active=True)
    assert error.value.message_dict == {"after_months": ["Keep records at least 12 months."]}
    retention_rule_save(by=dpo, record_type="closed_cases", after_months=12, is_active=True)
    with pytest.raises(ValidationError) as error:
        retention_rule_save(by=dpo, record_type="closed_cases", after_months=36, is_active=True)
    assert "record_type" in error.value.message_dict
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        retention_rule_save(
            by=caseworker, record_type="ended_tracing", after_months=24, is_active=True
        )


@pytest.mark.django_db
def test_the_officer_sets_rules_on_the_page_and_reads_the_dry_run_report(
    two_closed_cases, dpo, other_dpo, caseworker, settings
):
    old, young = two_closed_cases
    client = logged_in(dpo)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/rights/retention/",
        {"record_type": "closed_cases", "after_months": "6", "is_active": "on"},
    )
    assert "Ensure this value is greater than or equal to 12." in response.content.decode()
    response = client.post(
        "/rights/retention/",
        {"record_type": "closed_cases", "after_months": "24", "is_active": "on"},
    )
    assert response.status_code == 302
    rule = RetentionRule.objects.get()
    page = client.get("/rights/retention/report/").content.decode()
    assert f"#{old.pk}" in page and f"#{young.pk}" not in page
    assert CaseNote.objects.get(case=old).text != PLACEHOLDER  # a report, not a run
    response = client.post(
        f"/rights/retention/{rule.pk}/",
        {"record_type": "closed_cases", "after_months": "36", "is_active": "on", "version": "1"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.after_months, rule.version) == (36, 2)
    stale = client.post(
        f"/rights/retention/{rule.pk}/",
        {"record_type": "closed_cases", "after_months": "48", "is_active": "on", "version": "1"},
    )
    assert "Someone else changed this rule meanwhile" in stale.content.decode()
    assert RetentionRule.objects.get().after_months == 36
    assert logged_in(other_dpo).get(f"/rights/retention/{rule.pk}/").status_code == 404
    for url in ("/rights/retention/", "/rights/retention/report/", "/rights/"):
        assert logged_in(caseworker).get(url).status_code == 403
        assert client.get(url).status_code == 200
