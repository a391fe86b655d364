"""A supervisor's reason for tracing without the requester's consent is encrypted at
rest, kept out of the audit trail, and the database can still tell which requests rest
on such a reason (the one question ever asked of the column: is it empty?)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from awda.audit.models import AuditEntry
from awda.common import crypto
from awda.conftest import register
from awda.tracing import services
from awda.tracing.models import TracingRequest

OVERRIDE = "الأم في المستشفى فاقدة الوعي والطفل وحده في المخيم"


def raw_override(pk: int) -> str:
    """The column as the database holds it, past the field's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT consent_override FROM tracing_tracingrequest WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_override_reason_is_ciphertext_and_stays_out_of_the_audit(caseworker, supervisor):
    household = register(caseworker, reference="T-1")
    requester = household.members.get(relationship="head")
    request = services.request_create(
        by=supervisor,
        requester=requester,
        relationship="child",
        sought=services.Sought(sex="M", first_name="عمر"),
        consent_override=OVERRIDE,
        search=False,
    )
    stored = raw_override(request.pk)
    assert stored.startswith("gAAAAA") and OVERRIDE not in stored
    assert crypto.decrypt(stored.encode()).decode() == OVERRIDE
    assert TracingRequest.objects.get(pk=request.pk).consent_override == OVERRIDE
    # whether a request rests on an override is still asked of the database
    assert list(TracingRequest.objects.exclude(consent_override="")) == [request]

    trail = [
        json.dumps([e.details, e.changes], ensure_ascii=False) for e in AuditEntry.objects.all()
    ]
    assert any('"override"' in entry for entry in trail)  # the override was audited
    assert not any("المستشفى" in entry for entry in trail)
