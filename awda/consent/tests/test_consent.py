"""Consent and legal basis: recorded per person and purpose, revocable with history, a
child's assent beside the caregiver's consent; referrals and transfers rest on it."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from awda.audit.models import Action, AuditEntry
from awda.cases.models import Referral
from awda.cases.services import referral_accept, referral_create
from awda.conftest import api_client, child, head, logged_in, register
from awda.consent import services
from awda.consent.models import Consent, Purpose

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def members(household):
    return household.members.get(relationship="head"), household.members.get(relationship="child")


@pytest.mark.django_db
def test_a_caregiver_consents_for_a_child_with_the_childs_assent(caseworker, household, org_b):
    mother, son = members(household)
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            by=caseworker, person=son, purpose="tracing", legal_basis="consent", given_by="person"
        )
    assert "parent or caregiver" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            by=caseworker,
            person=son,
            purpose="tracing",
            legal_basis="consent",
            given_by="caregiver",
        )
    assert "child_assent" in error.value.message_dict

    consent = services.consent_record(
        by=caseworker,
        person=son,
        purpose="tracing",
        legal_basis="consent",
        given_by="caregiver",
        caregiver=mother,
        child_assent="not_asked",
    )

    assert services.consent_in_force(son, Purpose.TRACING) == consent
    refused = services.consent_record(
        by=caseworker,
        person=son,
        purpose="case_management",
        legal_basis="consent",
        given_by="caregiver",
        caregiver=mother,
        child_assent="refused",
    )
    assert not refused.in_force
    assert services.consent_in_force(son, Purpose.CASE_MANAGEMENT) is None


@pytest.mark.django_db
def test_another_legal_basis_needs_its_reason(caseworker, household):
    mother, _son = members(household)
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            by=caseworker, person=mother, purpose="registration", legal_basis="vital_interest"
        )
    assert "note" in error.value.message_dict
    services.consent_record(
        by=caseworker,
        person=mother,
        purpose="registration",
        legal_basis="public_interest",
        note="Registration under the camp administration's mandate.",
    )


@pytest.mark.django_db
def test_the_note_is_encrypted_and_nothing_personal_reaches_the_audit(caseworker, household):
    mother, _son = members(household)
    consent = services.consent_record(
        by=caseworker,
        person=mother,
        purpose="registration",
        legal_basis="vital_interest",
        note="Medical evacuation, unconscious on arrival.",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM consent_consent WHERE id = %s", [consent.pk])
        assert "evacuation" not in cursor.fetchone()[0]
    entry = AuditEntry.objects.get(object_type="consent.consent", action=Action.CREATE)
    assert entry.details["purpose"] == "registration"
    assert "evacuation" not in str(entry.details)


@pytest.mark.django_db
def test_a_referral_records_the_adults_consent_and_refuses_a_childs_without_one(
    caseworker, household, org_b
):
    mother, son = members(household)
    referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="legal_aid",
        consent="given",
        consent_note="The mother agreed in the interview.",
    )
    recorded = services.consent_in_force(mother, Purpose.REFERRAL, org_b)
    assert recorded is not None and recorded.recorded_by == caseworker

    from awda.cases.services import case_open

    case = case_open(by=caseworker, household=household, person=son, risk="low")
    with pytest.raises(ValidationError) as error:
        referral_create(
            by=caseworker,
            household=household,
            receiving_organisation=org_b,
            kind="referral",
            service="education",
            consent="given",
            case=case,
        )
    assert "child's assent" in str(error.value)
    services.consent_record(
        by=caseworker,
        person=son,
        purpose="referral",
        recipient=org_b,
        legal_basis="consent",
        given_by="caregiver",
        caregiver=mother,
        child_assent="given",
    )
    referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="education",
        consent="given",
        case=case,
    )


@pytest.mark.django_db
def test_only_a_supervisor_refers_without_consent_and_it_is_audited(
    caseworker, supervisor, household, org_b
):
    with pytest.raises(ValidationError):
        referral_create(
            by=caseworker,
            household=household,
            receiving_organisation=org_b,
            kind="transfer",
            service="protection",
            consent="override",
            consent_note="urgent",
        )
    referral = referral_create(
        by=supervisor,
        household=household,
        receiving_organisation=org_b,
        kind="transfer",
        service="protection",
        consent="override",
        consent_note="Imminent risk to the children; the mother cannot be reached.",
    )
    assert not Consent.objects.exists()
    entry = AuditEntry.objects.get(action=Action.REFER)
    assert entry.details["consent"] == "override" and entry.details["referral"] == referral.pk


@pytest.mark.django_db
def test_withdrawing_consent_keeps_its_history_and_ends_the_referral(
    caseworker, household, org_b, other_caseworker
):
    referral = referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="legal_aid",
        consent="given",
    )
    referral_accept(referral=referral, by=other_caseworker)
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/").status_code == 200
    consent = Consent.objects.get()

    services.consent_revoke(by=caseworker, consent=consent)

    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == caseworker
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REVOKED
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/").status_code == 404
    with pytest.raises(ValidationError):
        services.consent_revoke(by=caseworker, consent=consent)


@pytest.mark.django_db
def test_another_organisation_records_nothing_and_sees_nothing(
    caseworker, household, other_caseworker
):
    mother, _son = members(household)
    with pytest.raises(PermissionDenied):
        services.consent_record(
            by=other_caseworker,
            person=mother,
            purpose="tracing",
            legal_basis="consent",
            given_by="person",
        )
    services.consent_record(
        by=caseworker, person=mother, purpose="tracing", legal_basis="consent", given_by="person"
    )
    client = logged_in(other_caseworker)
    assert client.get(f"/persons/{mother.pk}/consent/").status_code == 404
    consent = Consent.objects.get()
    assert client.post(f"/consents/{consent.pk}/withdraw/").status_code == 404
    assert api_client(other_caseworker).get("/api/v1/consents/").json()["count"] == 0


@pytest.mark.django_db
def test_the_consent_page_records_and_withdraws(caseworker, household, donor):
    mother, _son = members(household)
    client = logged_in(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/persons/{mother.pk}/consent/")
    assert page.status_code == 200 and page.context["form"] is not None
    bad = client.post(
        f"/persons/{mother.pk}/consent/",
        {"purpose": "tracing", "legal_basis": "consent", "given_on": TODAY.isoformat()},
    )
    assert bad.status_code == 200 and "Say who gave the consent." in bad.content.decode()
    assert not Consent.objects.exists()
    done = client.post(
        f"/persons/{mother.pk}/consent/",
        {
            "purpose": "tracing",
            "legal_basis": "consent",
            "given_by": "person",
            "given_on": TODAY.isoformat(),
        },
    )
    assert done.status_code == 302
    consent = Consent.objects.get()
    client.post(f"/consents/{consent.pk}/withdraw/")
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert logged_in(donor).get(f"/persons/{mother.pk}/consent/").status_code == 403


@pytest.mark.django_db
def test_the_api_records_lists_and_withdraws(caseworker, household, org_b):
    mother, son = members(household)
    api = api_client(caseworker)
    created = api.post(
        "/api/v1/consents/",
        {
            "person": mother.pk,
            "purpose": "referral",
            "recipient": org_b.slug,
            "legal_basis": "consent",
            "given_by": "person",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    child_without_assent = api.post(
        "/api/v1/consents/",
        {"person": son.pk, "purpose": "tracing", "legal_basis": "consent", "given_by": "caregiver"},
        format="json",
    )
    assert child_without_assent.status_code == 400 and "child_assent" in child_without_assent.json()
    listed = api.get("/api/v1/consents/", {"person": mother.pk}).json()
    assert listed["count"] == 1 and listed["results"][0]["in_force"] is True
    withdrawn = api.post(f"/api/v1/consents/{created.json()['id']}/withdraw/")
    assert withdrawn.json()["in_force"] is False


@pytest.mark.django_db
def test_an_adult_is_not_asked_for_assent(caseworker):
    household = register(
        caseworker, members=[head(date_of_birth=datetime.date(1980, 1, 1)), child()]
    )
    mother = household.members.get(relationship="head")
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            by=caseworker,
            person=mother,
            purpose="tracing",
            legal_basis="consent",
            given_by="person",
            child_assent="given",
        )
    assert "children only" in str(error.value)
