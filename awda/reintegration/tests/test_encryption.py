"""Survey answers and scores and follow-up notes are encrypted at rest; the outcomes per
place still average the latest scores, decrypting no more than those; `awda rotate_keys`
re-encrypts them; and the migration that encrypts them works both ways on a filled
table."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from awda.audit.models import AuditEntry
from awda.common import crypto
from awda.conftest import api_client, register
from awda.reintegration.models import FollowUp, Survey
from awda.reintegration.selectors import place_outcomes
from awda.reintegration.services import follow_up_mark_missed, follow_ups_schedule, survey_record
from awda.reintegration.tests.conftest import home

D = datetime.date
ARRIVED = D(2025, 1, 31)
ANSWERS = {"e1": "b", "e2": "b", "s1": "b", "p1": "b", "p2": "a"}  # see test_instruments
SCORES = ("economic", "social", "psychosocial", "composite")
NOTE = "انتقلت الأسرة إلى بيت أقارب بعد تهديدات من الجيران"
BEFORE = ("reintegration", "0002_default_reintegration_survey")


def raw(table: str, columns: tuple[str, ...], pk: int) -> tuple[Any, ...]:
    """The columns as the database holds them, past the fields' decryption."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} "  # noqa: S608
            "WHERE id = %s",
            [pk],
        )
        return tuple(cursor.fetchone())


def migrate(target: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(target)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def arrive(by: Any, household: Any, pcode: str = "SY020001") -> None:
    home(household, ARRIVED, by, pcode)
    follow_ups_schedule(by=by, household=household, arrived_on=ARRIVED)


def record(by: Any, household: Any, instrument: Any, answers: dict[str, str], on: Any) -> Survey:
    return survey_record(
        by=by, household=household, instrument=instrument, answers=answers, conducted_on=on
    )


@pytest.mark.django_db
def test_answers_scores_and_notes_are_ciphertext_and_stay_out_of_the_audit(
    caseworker, household, tiny
):
    arrive(caseworker, household)
    response = api_client(caseworker).post(
        "/api/v1/surveys/",
        {"household": household.pk, "instrument": "tiny", "answers": ANSWERS},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()  # numbers to the API, as before
    assert [body[k] for k in SCORES] == [0.4167, 0.6, 0.35, 0.4458]
    survey = Survey.objects.get()
    missed = follow_up_mark_missed(
        by=caseworker,
        follow_up=FollowUp.objects.get(household=household, months=3),
        note=NOTE,
    )

    stored = raw("reintegration_survey", ("answers", *SCORES), survey.pk)
    for column, value in zip(("answers", *SCORES), stored, strict=True):
        # a token's alphabet has no dot, brace or quote: no number or JSON shows through
        assert value.startswith("gAAAAA") and not {".", "{", '"'} & set(value), column
    assert json.loads(crypto.decrypt(stored[0].encode())) == ANSWERS
    assert json.loads(crypto.decrypt(stored[3].encode())) == 0.35
    (note,) = raw("reintegration_followup", ("note",), missed.pk)
    assert note.startswith("gAAAAA") and crypto.decrypt(note.encode()).decode() == NOTE
    again = Survey.objects.get(pk=survey.pk)
    assert again.answers == ANSWERS and again.psychosocial == 0.35
    assert FollowUp.objects.get(pk=missed.pk).note == NOTE

    # reading them back leaves no trace of them in the audit trail either
    api_client(caseworker).get(f"/api/v1/surveys/{survey.pk}/")
    api_client(caseworker).get(f"/api/v1/follow-ups/?household={household.pk}")
    trail = [
        json.dumps([e.details, e.changes], ensure_ascii=False) for e in AuditEntry.objects.all()
    ]
    assert any("reintegration_survey" in entry for entry in trail)  # the survey was audited
    for entry in trail:
        assert "0.35" not in entry and "0.4458" not in entry and '"p1"' not in entry
        assert "تهديدات" not in entry


@pytest.mark.django_db
def test_outcomes_per_place_decrypt_only_each_households_latest_survey(
    caseworker, tiny, monkeypatch, django_assert_num_queries
):
    first, second = register(caseworker, reference="P-1"), register(caseworker, reference="P-2")
    arrive(caseworker, first)
    arrive(caseworker, second, "SY020002")
    everything_a = {"e1": "a", "e2": "a", "s1": "a", "p1": "a", "p2": "a"}
    record(caseworker, first, tiny, everything_a, D(2025, 2, 10))
    record(caseworker, first, tiny, everything_a, D(2025, 3, 10))
    record(caseworker, first, tiny, ANSWERS, D(2025, 6, 1))  # the latest counts
    record(caseworker, second, tiny, {"s1": "b"}, D(2025, 2, 20))  # social and composite 0.6
    opened = {"n": 0}
    real_decrypt = crypto.decrypt

    def counting(token: bytes) -> bytes:
        opened["n"] += 1
        return real_decrypt(token)

    monkeypatch.setattr(crypto, "decrypt", counting)
    with django_assert_num_queries(3):
        outcomes = place_outcomes(caseworker)
    # four scores of the first household's latest survey, two of the second's (the
    # others are empty, NULL in the database): not the twelve of the earlier surveys
    assert opened["n"] == 6
    total = outcomes.total
    assert (total.households, total.surveyed) == (2, 2)
    assert total.composite == round((0.4458 + 0.6) / 2, 4)
    assert (total.economic, total.social, total.psychosocial) == (0.4167, 0.6, 0.35)


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_survey_scores_and_follow_up_notes(
    caseworker, household, tiny, settings
):
    old = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    arrive(caseworker, household)
    survey = record(caseworker, household, tiny, ANSWERS, D(2025, 3, 10))
    missed = follow_up_mark_missed(
        by=caseworker,
        follow_up=FollowUp.objects.get(household=household, months=3),
        note=NOTE,
    )
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    for name in ("answers", *SCORES):
        assert f"reintegration.Survey.{name}: 1 re-encrypted" in out.getvalue(), name
    assert "reintegration.FollowUp.note: 1 re-encrypted" in out.getvalue()

    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]  # the old key is gone
    again = Survey.objects.get(pk=survey.pk)
    assert (again.answers, again.psychosocial, again.composite) == (ANSWERS, 0.35, 0.4458)
    assert FollowUp.objects.get(pk=missed.pk).note == NOTE


def test_the_migration_encrypts_a_filled_table_and_back(transactional_db, caseworker, tiny):
    full, partial = register(caseworker, reference="M-1"), register(caseworker, reference="M-2")
    arrive(caseworker, full)
    arrive(caseworker, partial)
    survey = record(caseworker, full, tiny, ANSWERS, D(2025, 3, 10))
    sparse = record(caseworker, partial, tiny, {"s1": "b"}, D(2025, 3, 10))
    missed = follow_up_mark_missed(
        by=caseworker, follow_up=FollowUp.objects.get(household=full, months=3), note=NOTE
    )
    quiet = FollowUp.objects.get(household=full, months=6)
    try:
        migrate([BEFORE])
        # back in the clear, exactly
        answers, *scores = raw("reintegration_survey", ("answers", *SCORES), survey.pk)
        assert json.loads(answers) == ANSWERS and scores == [0.4167, 0.6, 0.35, 0.4458]
        assert raw("reintegration_survey", SCORES, sparse.pk) == (None, 0.6, None, 0.6)
        assert raw("reintegration_followup", ("note",), missed.pk) == (NOTE,)
        assert raw("reintegration_followup", ("note",), quiet.pk) == ("",)

        migrate(latest())
        stored = raw("reintegration_survey", ("answers", *SCORES), survey.pk)
        assert all(value.startswith("gAAAAA") for value in stored)
        assert raw("reintegration_survey", ("economic", "psychosocial"), sparse.pk) == (None, None)
        assert raw("reintegration_followup", ("note",), missed.pk)[0].startswith("gAAAAA")
        again = Survey.objects.get(pk=survey.pk)
        assert again.answers == ANSWERS
        assert [getattr(again, k) for k in SCORES] == [0.4167, 0.6, 0.35, 0.4458]
        thin = Survey.objects.get(pk=sparse.pk)
        assert [getattr(thin, k) for k in SCORES] == [None, 0.6, None, 0.6]
        assert FollowUp.objects.get(pk=missed.pk).note == NOTE
        assert FollowUp.objects.get(pk=quiet.pk).note == ""
    finally:
        migrate(latest())
