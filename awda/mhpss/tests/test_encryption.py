"""Screenings and session notes are encrypted at rest, never reach the audit trail, and
the migration that encrypts them works both ways on a filled table."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.common import crypto
from awda.conftest import api_client, logged_in, make_user
from awda.mhpss.models import Screening, Session
from awda.mhpss.services import screening_record, session_record

NOTES = "تحدثت عن كوابيس متكررة منذ مغادرة المخيم"
BEFORE = ("mhpss", "0001_screenings_and_sessions")
RESULT_COLUMNS = ("answers", "raw_score", "score", "band", "flags")


def raw_row(table: str, columns: tuple[str, ...], pk: int) -> tuple[Any, ...]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} "  # noqa: S608
            "WHERE id = %s",
            [pk],
        )
        return tuple(cursor.fetchone())


def migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(target)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def mhpss_worker(org_a: Any) -> Any:
    return make_user("mona", org_a, "mhpss")


@pytest.mark.django_db
def test_answers_and_notes_are_ciphertext_in_the_database_and_absent_from_the_audit(
    mhpss_worker, household
):
    person = household.members.get(relationship="head")
    response = api_client(mhpss_worker).post(
        "/api/v1/screenings/",
        {"person": person.pk, "instrument": "k10", "answers": [4, 5, 4, 3, 4, 5, 4, 3, 4, 5]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["score"] == 41 and response.json()["band"] == "very_high"
    page = logged_in(mhpss_worker).post(
        f"/persons/{person.pk}/mhpss/",
        {"record": "session", "kind": "individual", "minutes": "50", "notes": NOTES},
    )
    assert page.status_code == 302
    screening, session = Screening.objects.get(), Session.objects.get()
    assert session.notes == NOTES and screening.answers[:3] == [4, 5, 4]

    stored = raw_row("mhpss_screening", RESULT_COLUMNS, screening.pk)
    for column, value in zip(RESULT_COLUMNS, stored, strict=True):
        assert value.startswith("gAAAAA"), column
        # a token is base64: "41" may occur in it by chance, so the clear forms are checked
        assert "very_high" not in value and "4, 5" not in value and value != "41", column
    assert json.loads(crypto.decrypt(stored[0].encode())) == screening.answers
    (stored_notes,) = raw_row("mhpss_session", ("notes",), session.pk)
    assert NOTES not in stored_notes and "كوابيس" not in stored_notes
    assert crypto.decrypt(stored_notes.encode()).decode() == NOTES

    # reading them back (page and API) leaves no trace of them in the audit trail either
    logged_in(mhpss_worker).get(f"/persons/{person.pk}/mhpss/")
    api_client(mhpss_worker).get(f"/api/v1/screenings/{screening.pk}/")
    trail = [
        json.dumps([e.details, e.changes], ensure_ascii=False) for e in AuditEntry.objects.all()
    ]
    assert any('"screening"' in entry for entry in trail)  # the screening was audited
    for entry in trail:
        assert "كوابيس" not in entry and "4, 5, 4" not in entry and "very_high" not in entry
        assert '"score": 41' not in entry and '"raw_score"' not in entry


def test_the_migration_encrypts_a_filled_table_and_back(transactional_db, org_a, household):
    worker = make_user("mona", org_a, "mhpss")
    person = household.members.get(relationship="head")
    screening = screening_record(by=worker, person=person, instrument="who5", answers=[1] * 5)
    flagged = screening_record(by=worker, person=person, instrument="k6", answers=[4] * 6)
    session = session_record(
        by=worker,
        person=person,
        kind="family",
        held_on=timezone.localdate(),
        minutes=30,
        notes=NOTES,
    )
    quiet = session_record(
        by=worker, person=person, kind="group", held_on=timezone.localdate(), minutes=30, notes=""
    )
    try:
        migrate([BEFORE])
        # back in the clear, exactly
        assert raw_row("mhpss_screening", RESULT_COLUMNS, screening.pk)[1:4] == (5, 20, "poor")
        answers, flags = raw_row("mhpss_screening", ("answers", "flags"), flagged.pk)
        assert json.loads(answers) == [4] * 6 and json.loads(flags) == ["serious_distress"]
        assert raw_row("mhpss_session", ("notes",), session.pk) == (NOTES,)
        assert raw_row("mhpss_session", ("notes",), quiet.pk) == ("",)

        migrate(latest())
        assert raw_row("mhpss_session", ("notes",), session.pk)[0].startswith("gAAAAA")
        assert raw_row("mhpss_screening", ("band",), flagged.pk)[0].startswith("gAAAAA")
        again = Screening.objects.get(pk=flagged.pk)
        assert (again.answers, again.raw_score, again.score, again.band, again.flags) == (
            [4] * 6,
            24,
            24,
            "serious",
            ["serious_distress"],
        )
        assert Screening.objects.get(pk=screening.pk).flags == ["poor_wellbeing", "item_at_0_or_1"]
        assert Session.objects.get(pk=session.pk).notes == NOTES
        assert Session.objects.get(pk=quiet.pk).notes == ""
    finally:
        migrate(latest())
