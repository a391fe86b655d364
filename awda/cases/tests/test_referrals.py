"""Referrals between organisations: consent or a supervisor's reasoned decision, access
granted on acceptance, limited to what was referred, and ended by completion or
revocation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from awda.audit.models import AuditEntry
from awda.cases.models import Referral
from awda.cases.services import (
    case_open,
    referral_accept,
    referral_complete,
    referral_create,
    referral_revoke,
)
from awda.conftest import api_client, logged_in, make_user, register


def _refer(by, household, to, **extra):
    values = {
        "kind": "referral",
        "service": "legal_aid",
        "consent": "given",
        "consent_note": "the mother agreed",
    }
    values.update(extra)
    return referral_create(by=by, household=household, receiving_organisation=to, **values)


@pytest.mark.django_db
def test_a_referral_needs_consent_or_a_supervisors_reasoned_decision(
    caseworker, supervisor, household, org_b
):
    with pytest.raises(ValidationError) as error:
        _refer(caseworker, household, org_b, consent="override", consent_note="urgent")
    assert "consent" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _refer(supervisor, household, org_b, consent="override", consent_note=" ")
    assert "consent_note" in error.value.message_dict
    with pytest.raises(ValidationError):
        _refer(caseworker, household, org_b, consent="")
    referral = _refer(
        supervisor,
        household,
        org_b,
        consent="override",
        consent_note="child at risk, caregiver unreachable",
    )
    entry = AuditEntry.objects.filter(action="refer").get()
    assert entry.details["consent"] == "override" and referral.consent_note.startswith(
        "child at risk"
    )


@pytest.mark.django_db
def test_accepting_a_case_referral_shares_that_case_and_nothing_more(
    caseworker, household, other_caseworker, org_b
):
    case = case_open(by=caseworker, household=household)
    other_case = case_open(by=caseworker, household=household)
    other_family = register(caseworker, reference="A-0009")
    referral = _refer(caseworker, household, org_b, case=case, service="mhpss")
    client = logged_in(other_caseworker)
    assert client.get(f"/cases/{case.pk}/").status_code == 404  # not before acceptance
    referral_accept(referral=referral, by=other_caseworker)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/cases/{other_case.pk}/").status_code == 404
    assert client.get(f"/households/{other_family.pk}/").status_code == 404
    assert [
        c.pk for c in client.get("/cases/", {"view": "referred"}).context["page"].object_list
    ] == [case.pk]
    # read, not changed, by the receiver
    assert (
        client.post(f"/cases/{case.pk}/step/", {"action": "move", "to": "assessment"}).status_code
        == 404
    )
    referral_complete(referral=referral, by=other_caseworker)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/households/{household.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_sender_revokes_and_the_receivers_access_ends(
    caseworker, household, other_caseworker, org_b
):
    referral = _refer(caseworker, household, org_b)
    referral_accept(referral=referral, by=other_caseworker)
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/").status_code == 200
    response = logged_in(caseworker).post(f"/referrals/{referral.pk}/revoke/")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "revoked" and referral.ended_by == caseworker
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/").status_code == 404
    with pytest.raises(ValidationError):
        referral_revoke(referral=referral, by=caseworker)


@pytest.mark.django_db
def test_only_the_receiver_completes_and_only_the_sender_revokes(
    caseworker, household, other_caseworker, org_b
):
    referral = _refer(caseworker, household, org_b)
    referral_accept(referral=referral, by=other_caseworker)
    assert logged_in(caseworker).post(f"/referrals/{referral.pk}/complete/").status_code == 403
    assert logged_in(other_caseworker).post(f"/referrals/{referral.pk}/revoke/").status_code == 403
    third = make_user("tala", _third_org(), "caseworker")
    assert logged_in(third).post(f"/referrals/{referral.pk}/revoke/").status_code == 404
    referral.refresh_from_db()
    assert referral.status == "accepted"


def _third_org():
    from awda.accounts.models import Organisation

    return Organisation.objects.create(slug="org-c", name_ar="ج", name_en="C", kind="nngo")


@pytest.mark.django_db
def test_the_referrals_api_runs_the_whole_exchange(caseworker, household, other_caseworker, org_b):
    sent = api_client(caseworker).post(
        "/api/v1/referrals/",
        {
            "household": household.pk,
            "receiving_organisation": "org-b",
            "kind": "referral",
            "service": "health",
            "consent": "given",
            "consent_note": "head of household",
        },
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    pk = sent.json()["id"]
    receiver = api_client(other_caseworker)
    assert receiver.get(f"/api/v1/referrals/{pk}/").json()["status"] == "pending"
    assert (
        receiver.post(f"/api/v1/referrals/{pk}/accept/", {}, format="json").json()["status"]
        == "accepted"
    )
    assert (
        receiver.post(f"/api/v1/referrals/{pk}/complete/", {}, format="json").json()["status"]
        == "completed"
    )
    assert (
        api_client(caseworker)
        .post(f"/api/v1/referrals/{pk}/revoke/", {}, format="json")
        .status_code
        == 400
    )
    second = (
        api_client(caseworker)
        .post(
            "/api/v1/referrals/",
            {
                "household": household.pk,
                "receiving_organisation": "org-b",
                "kind": "referral",
                "service": "education",
                "consent": "given",
            },
            format="json",
        )
        .json()["id"]
    )
    assert (
        receiver.post(
            f"/api/v1/referrals/{second}/decline/", {"note": "no school places"}, format="json"
        ).json()["status"]
        == "declined"
    )
    refused = api_client(caseworker).post(
        "/api/v1/referrals/",
        {
            "household": household.pk,
            "receiving_organisation": "org-b",
            "kind": "referral",
            "service": "health",
        },
        format="json",
    )
    assert refused.status_code == 400 and "consent" in refused.json()
    assert Referral.objects.count() == 2
