"""Sponsorship notes, the outcomes of acceptance activities and the notes on a place's
acceptance are encrypted at rest, read back as written, and kept out of the audit
trail."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection

from awda.audit.models import AuditEntry
from awda.common import crypto
from awda.community import services
from awda.community.models import AcceptanceActivity, PlaceAcceptance, Sponsorship
from awda.community.tests.conftest import KISREH
from awda.conftest import place

D = datetime.date
ASKED = "طلب الشيخ لقاء الأسرة قبل الموافقة"
WITHDRAWN = "Threatened by his cousins for guaranteeing the family"
OUTCOME = "رفض اثنان من الوجهاء عودة زوجات المقاتلين"
ASSESSED = "Conditional: the family must not live near the market"


def raw(model: Any, field: str, pk: int) -> Any:
    """The column as the database holds it, past the field's decryption."""
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_sponsorship_and_acceptance_texts_are_ciphertext_and_stay_out_of_the_audit(
    liaison, household, sheikh
):
    sponsorship = services.sponsorship_request(
        by=liaison, household=household, sponsor=sheikh, requested_on=D(2025, 2, 1), note=ASKED
    )
    sponsorship = services.sponsorship_withdraw(
        by=liaison,
        sponsorship=sponsorship,
        reason="community_pressure",
        note=WITHDRAWN,
        on=D(2025, 2, 9),
    )
    activity = services.activity_record(
        by=liaison,
        place=place(KISREH),
        kind="dialogue",
        held_on=D(2025, 2, 10),
        participant_roles=["tribal_leaders"],
        participants=12,
        outcome=OUTCOME,
    )
    quiet = services.activity_record(
        by=liaison,
        place=place(KISREH),
        kind="visit",
        held_on=D(2025, 2, 11),
        participant_roles=["returnees"],
    )
    acceptance = services.acceptance_assess(
        by=liaison,
        place=place(KISREH),
        status="conditional",
        assessed_on=D(2025, 2, 12),
        note=ASSESSED,
        activity=activity,
    )

    expected = [
        (Sponsorship, "note", sponsorship.pk, f"{ASKED}\n{WITHDRAWN}"),
        (AcceptanceActivity, "outcome", activity.pk, OUTCOME),
        (PlaceAcceptance, "note", acceptance.pk, ASSESSED),
    ]
    for model, field, pk, text in expected:
        stored = raw(model, field, pk)
        assert stored.startswith("gAAAAA") and ASKED not in stored, field
        assert crypto.decrypt(stored.encode()).decode() == text, field
        assert getattr(model.objects.get(pk=pk), field) == text, field
    assert raw(AcceptanceActivity, "outcome", quiet.pk) == ""  # empty text says nothing

    trail = [
        json.dumps([e.details, e.changes], ensure_ascii=False) for e in AuditEntry.objects.all()
    ]
    assert any('"community_pressure"' in entry for entry in trail)  # the withdrawal, audited
    for entry in trail:
        assert "الشيخ لقاء" not in entry and "cousins" not in entry
        assert "الوجهاء" not in entry and "market" not in entry
