"""Case notes, comments, service notes, referrals' free text and assessment answers are
encrypted at rest, stay out of the audit trail, and the migration that encrypts them works
both ways on a filled table."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.cases.models import Assessment, CaseEvent, CaseNote, FormDefinition, Referral
from awda.cases.models import ServiceRecord as Service
from awda.cases.services import (
    assessment_record,
    case_decide,
    case_move,
    case_open,
    case_submit,
    note_add,
    referral_create,
    referral_decline,
    service_record,
)

NOTE = "ذكرت الأم أن الطفل يتعرض للتهديد في المخيم"
REASON = "Child at risk of recruitment; needs protection follow-up"
CONSENT = "Mother unreachable; urgent risk to the child"
DECLINE = "Already followed by our GBV team"
COMMENT = "The plan does not address the threats against the child"
SERVICE = "Psychological first aid after disclosure"
SECRETS = [NOTE, REASON, CONSENT, DECLINE, COMMENT, SERVICE, "wants_return", "safety"]


def raw(model: Any, field: str, pk: int) -> Any:
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def fill(
    caseworker: Any, supervisor: Any, household: Any, other_caseworker: Any, org_b: Any
) -> dict[str, Any]:
    """One of every encrypted value of a case, through the services."""
    case = case_open(by=caseworker, household=household)
    case = case_move(by=caseworker, case=case, to="assessment", comment="")
    case = case_submit(by=caseworker, case=case, what="closure")
    case = case_decide(by=supervisor, case=case, approve=False, comment=COMMENT)
    note = note_add(by=caseworker, case=case, text=NOTE)
    referral = referral_create(
        by=supervisor,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="protection",
        consent="override",
        consent_note=CONSENT,
        reason=REASON,
    )
    referral_decline(referral=referral, by=other_caseworker, note=DECLINE)
    service = service_record(
        by=caseworker,
        case=case,
        service="health",
        channel="in_house",
        delivered_on=timezone.localdate(),
        note=SERVICE,
    )
    version = FormDefinition.objects.get(slug="return-intention").latest()
    assert version is not None
    assessment = assessment_record(
        by=caseworker,
        case=case,
        version=version,
        raw={"wants_return": "no", "obstacles": ["safety"]},
    )
    event = CaseEvent.objects.get(case=case, kind="returned")
    return {
        "note": note,
        "referral": referral,
        "service": service,
        "assessment": assessment,
        "event": event,
    }


def clear_values(things: dict[str, Any]) -> dict[tuple[Any, str], tuple[int, str]]:
    return {
        (CaseNote, "text"): (things["note"].pk, NOTE),
        (CaseEvent, "comment"): (things["event"].pk, COMMENT),
        (Service, "note"): (things["service"].pk, SERVICE),
        (Referral, "reason"): (things["referral"].pk, REASON),
        (Referral, "consent_note"): (things["referral"].pk, CONSENT),
        (Referral, "response_note"): (things["referral"].pk, DECLINE),
    }


@pytest.mark.django_db
def test_case_texts_and_answers_are_ciphertext_and_stay_out_of_the_audit(
    caseworker, supervisor, household, other_caseworker, org_b
):
    things = fill(caseworker, supervisor, household, other_caseworker, org_b)
    for (model, field), (pk, text) in clear_values(things).items():
        stored = raw(model, field, pk)
        assert stored.startswith("gAAAAA") and text not in stored, field
        assert getattr(model.objects.get(pk=pk), field) == text, field
    stored = raw(Assessment, "answers", things["assessment"].pk)
    assert stored.startswith("gAAAAA") and "safety" not in stored
    assert Assessment.objects.get().answers == {"wants_return": "no", "obstacles": ["safety"]}
    trail = json.dumps(
        [[e.details, e.changes] for e in AuditEntry.objects.all()], ensure_ascii=False
    )
    for secret in SECRETS:
        assert secret not in trail, secret


def test_the_migration_encrypts_a_filled_table_and_back(
    transactional_db, caseworker, supervisor, household, other_caseworker, org_b
):
    things = fill(caseworker, supervisor, household, other_caseworker, org_b)
    values = clear_values(things)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate([("cases", "0011_encrypted_attachments")])
        for (model, field), (pk, text) in values.items():
            assert raw(model, field, pk) == text, field
        stored = raw(Assessment, "answers", things["assessment"].pk)
        assert json.loads(stored) == {"wants_return": "no", "obstacles": ["safety"]}

        MigrationExecutor(connection).migrate(latest)
        for (model, field), (pk, text) in values.items():
            assert raw(model, field, pk).startswith("gAAAAA"), field
            assert getattr(model.objects.get(pk=pk), field) == text, field
        assert Assessment.objects.get().answers == {"wants_return": "no", "obstacles": ["safety"]}
        assert CaseEvent.objects.filter(comment="").count() >= 1  # empty stays empty
    finally:
        MigrationExecutor(connection).migrate(latest)
