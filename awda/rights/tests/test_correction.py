"""Correction: the officer records what the person asked and the decision; the audit
trail says that it happened, never what was asked."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from awda.audit.models import AuditEntry
from awda.conftest import logged_in
from awda.registry.services import EditConflict
from awda.rights.models import CorrectionRequest
from awda.rights.services import correction_decide, correction_record

ASKED = "My date of birth is 1986, not 1985"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_a_request_and_its_decision_are_recorded_and_audited_without_their_text(household, dpo):
    person = household.members.first()
    today = timezone.localdate()
    correction = correction_record(by=dpo, person=person, received_on=today, request=ASKED)
    with pytest.raises(ValidationError) as error:
        correction_decide(
            by=dpo, correction=correction, expected_version=1, decision="refused", note="",
            decided_on=today,
        )  # fmt: skip
    assert error.value.message_dict == {"decision_note": ["Say what was not corrected, and why."]}
    correction = correction_decide(
        by=dpo, correction=correction, expected_version=1, decision="corrected", note="",
        decided_on=today,
    )  # fmt: skip
    assert (correction.decision, correction.version, correction.decided_by) == ("corrected", 2, dpo)
    with pytest.raises(EditConflict):
        correction_decide(
            by=dpo, correction=correction, expected_version=1, decision="refused", note="No",
            decided_on=today,
        )  # fmt: skip
    entries = AuditEntry.objects.filter(object_type="rights.correctionrequest")
    assert [e.action for e in entries] == ["create", "update"]
    assert "1986" not in str([(e.details, e.changes) for e in entries])


@pytest.mark.django_db
def test_only_the_persons_officer_records_a_request(household, caseworker, other_dpo):
    person = household.members.first()
    for user in (caseworker, other_dpo):
        with pytest.raises(PermissionDenied):
            correction_record(
                by=user, person=person, received_on=timezone.localdate(), request=ASKED
            )


@pytest.mark.django_db
def test_the_page_records_a_request_then_the_decision_and_links_to_the_edit(
    household, dpo, settings
):
    person = household.members.first()
    client = logged_in(dpo)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        f"/rights/persons/{person.pk}/corrections/",
        {"received_on": tomorrow.isoformat(), "request": ASKED},
    )
    assert "The date is in the future." in response.content.decode()
    response = client.post(
        f"/rights/persons/{person.pk}/corrections/",
        {"received_on": timezone.localdate().isoformat(), "request": ASKED},
    )
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    page = client.get(f"/rights/persons/{person.pk}/").content.decode()
    assert ASKED in page
    assert f'href="/persons/{person.pk}/edit/"' in page
    response = client.post(
        f"/rights/corrections/{correction.pk}/decide/",
        {
            "decision": "partly",
            "decided_on": timezone.localdate().isoformat(),
            "decision_note": "The year was changed; the month is not known",
            "version": "1",
        },
    )
    assert response.status_code == 302
    assert CorrectionRequest.objects.get().decision == "partly"
    listing = client.get("/rights/").content.decode()
    assert f"#{person.pk}" not in listing  # nothing waits any more
