"""A family's reasons for its return intention, a supervisor's reason for letting a
household leave with its checklist incomplete, and the notes on ticked readiness items
are encrypted at rest, shown decrypted on the household's page, kept out of the audit
trail, and the migration that encrypts them works both ways on a filled table."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from awda.audit.models import AuditEntry
from awda.common import crypto
from awda.conftest import api_client, logged_in, make_user, place, register
from awda.returns import services
from awda.returns.models import ChecklistItem, ChecklistTick, Intention, ReadinessOverride

REASONS = "الأب يخشى الاعتقال عند العودة إلى القرية"
OVERRIDE = "Urgent medical evacuation: the child needs surgery in Mosul"
TICK = "فحص طبي في عيادة المخيم، الأم حامل"
BEFORE = ("returns", "0003_consent_rule")
TEXTS = [
    (Intention, "reasons", REASONS),
    (ReadinessOverride, "reason", OVERRIDE),
    (ChecklistTick, "note", TICK),
]


def raw(model: Any, field: str, pk: int) -> Any:
    """The column as the database holds it, past the field's decryption."""
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def migrate(target: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(target)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def fill(caseworker: Any, coordinator: Any, supervisor: Any) -> dict[str, Any]:
    """An Iraqi household with an intention (and its reasons), the medical check ticked
    with a note, and a supervisor's override; and a second intention without reasons."""
    household = register(caseworker, reference="E-1")
    services.intention_record(
        by=coordinator,
        household=household,
        pathway="iq_repatriation",
        destination=place("IQG01Q01N01"),
        reasons=REASONS,
    )
    medical = ChecklistItem.objects.get(pathway="iq_repatriation", code="medical")
    tick = services.checklist_tick(
        by=coordinator, household=household, item=medical, done=True, note=TICK
    )
    override = services.readiness_override(by=supervisor, household=household, reason=OVERRIDE)
    quiet = register(caseworker, reference="E-2")
    silent = services.intention_record(by=coordinator, household=quiet, pathway="staying")
    return {
        "household": household,
        "intention": Intention.objects.get(household=household),
        "tick": tick,
        "override": override,
        "silent": silent,
    }


@pytest.fixture
def coordinator(org_a: Any) -> Any:
    return make_user("rita", org_a, "returns")


@pytest.mark.django_db
def test_reasons_overrides_and_tick_notes_are_ciphertext_and_stay_out_of_the_audit(
    caseworker, coordinator, supervisor
):
    things = fill(caseworker, coordinator, supervisor)
    for (model, field, text), record in zip(
        TEXTS, (things["intention"], things["override"], things["tick"]), strict=True
    ):
        stored = raw(model, field, record.pk)
        assert stored.startswith("gAAAAA") and text not in stored, field
        assert crypto.decrypt(stored.encode()).decode() == text
        assert getattr(model.objects.get(pk=record.pk), field) == text
    assert raw(Intention, "reasons", things["silent"].pk) == ""  # empty text says nothing

    household = things["household"]
    page = logged_in(coordinator).get(f"/returns/households/{household.pk}/").content.decode()
    assert REASONS in page and OVERRIDE in page
    listed = api_client(coordinator).get("/api/v1/intentions/", {"household": household.pk})
    assert listed.json()["results"][0]["reasons"] == REASONS
    trail = [
        json.dumps([e.details, e.changes], ensure_ascii=False) for e in AuditEntry.objects.all()
    ]
    assert any("readiness_override" in entry for entry in trail)  # the override was audited
    for entry in trail:
        assert "الاعتقال" not in entry and "surgery" not in entry and "حامل" not in entry


def test_the_migration_encrypts_a_filled_table_and_back(
    transactional_db, org_a, caseworker, supervisor
):
    things = fill(caseworker, make_user("rita", org_a, "returns"), supervisor)
    records = (things["intention"], things["override"], things["tick"])
    try:
        migrate([BEFORE])
        # back in the clear, exactly
        for (model, field, text), record in zip(TEXTS, records, strict=True):
            assert raw(model, field, record.pk) == text, field
        assert raw(Intention, "reasons", things["silent"].pk) == ""

        migrate(latest())
        for (model, field, text), record in zip(TEXTS, records, strict=True):
            assert raw(model, field, record.pk).startswith("gAAAAA"), field
            assert getattr(model.objects.get(pk=record.pk), field) == text, field
        assert raw(Intention, "reasons", things["silent"].pk) == ""
        assert Intention.objects.get(pk=things["silent"].pk).reasons == ""
    finally:
        migrate(latest())
