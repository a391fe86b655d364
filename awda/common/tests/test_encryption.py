"""Sensitive fields and files encrypted at rest: what the database holds, what a missing
key does, and key rotation (`awda rotate_keys`)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from awda.audit.models import AuditEntry
from awda.cases.models import Attachment, CaseNote, Referral
from awda.cases.services import attachment_add, attachment_read, case_open, note_add
from awda.common import crypto
from awda.common.fields import UnreadableValue, encrypted_field_names
from awda.common.management.commands import rotate_keys
from awda.community.models import CommunityActor
from awda.conftest import place
from awda.mhpss.models import Screening, Session
from awda.returns.models import Clearance

NOTE = "الأم قلقة على ابنها منذ عودته"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def raw(model: Any, field: str, pk: int) -> str | None:
    """The column as the database holds it, past the field's decryption."""
    table, column = model._meta.db_table, model._meta.get_field(field).column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def set_raw(model: Any, field: str, pk: int, value: str) -> None:
    table, column = model._meta.db_table, model._meta.get_field(field).column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",  # noqa: S608
            [value, pk],
        )


def new_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def old_key(settings: Any) -> str:
    key = new_key()
    settings.ENCRYPTION_KEYS = [key]
    return key


@pytest.fixture
def person(household: Any) -> Any:
    return household.members.get(relationship="head")


def a_screening(person: Any, by: Any, **values: Any) -> Screening:
    fields = {
        "answers": [3, 3, 2, 2, 2],
        "raw_score": 12,
        "score": 48,
        "band": "poor",
        "flags": ["poor_wellbeing"],
        **values,
    }
    return Screening.objects.create(
        person=person,
        organisation=person.organisation,
        instrument="who5",
        administered_by=by,
        **fields,
    )


def a_session(person: Any, by: Any, notes: str = NOTE) -> Session:
    return Session.objects.create(
        person=person,
        organisation=person.organisation,
        kind="individual",
        notes=notes,
        recorded_by=by,
    )


@pytest.fixture
def everything(old_key: str, caseworker: Any, household: Any, person: Any) -> dict[str, Any]:
    """One value in every kind of encrypted field, and an attached file, under `old_key`."""
    case = case_open(by=caseworker, household=household)
    actor = CommunityActor.objects.create(
        organisation=household.organisation,
        place=place("SY090101"),
        kind="mukhtar",
        name="x",
        contact="+963 000 000",
        notes="",
        created_by=caseworker,
    )
    clearance = Clearance.objects.create(
        household=household,
        decision="cleared",
        decided_on=datetime.date(2026, 1, 5),
        reference="REF-77",
        recorded_by=caseworker,
    )
    return {
        "screening": a_screening(person, caseworker),
        "session": a_session(person, caseworker),
        "note": note_add(by=caseworker, case=case, text=NOTE),
        "actor": actor,
        "clearance": clearance,
        "attachment": attachment_add(by=caseworker, case=case, title="scan", content=PNG),
        "caseworker": caseworker,
    }


def read_everything(things: dict[str, Any]) -> dict[str, Any]:
    screening = Screening.objects.get(pk=things["screening"].pk)
    return {
        "screening": (
            screening.answers,
            screening.raw_score,
            screening.score,
            screening.band,
            screening.flags,
        ),
        "session": Session.objects.get(pk=things["session"].pk).notes,
        "note": CaseNote.objects.get(pk=things["note"].pk).text,
        "contact": CommunityActor.objects.get(pk=things["actor"].pk).contact,
        "reference": Clearance.objects.get(pk=things["clearance"].pk).reference,
        "file": attachment_read(
            by=things["caseworker"], attachment=Attachment.objects.get(pk=things["attachment"].pk)
        ),
    }


EXPECTED = {
    "screening": ([3, 3, 2, 2, 2], 12, 48, "poor", ["poor_wellbeing"]),
    "session": NOTE,
    "note": NOTE,
    "contact": "+963 000 000",
    "reference": "REF-77",
    "file": PNG,
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


# -- the fields ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_encrypted_text_and_json_come_back_as_they_were_given(old_key, caseworker, person):
    screening = a_screening(person, caseworker, flags=[], band="adequate")
    session = a_session(person, caseworker)
    screening = Screening.objects.get(pk=screening.pk)
    assert screening.answers == [3, 3, 2, 2, 2] and screening.flags == []
    assert screening.score == 48 and isinstance(screening.score, int)
    assert screening.band == "adequate"
    assert Session.objects.get(pk=session.pk).notes == NOTE
    assert Session.objects.values_list("notes", flat=True).get(pk=session.pk) == NOTE
    empty = a_session(person, caseworker, notes="")
    assert Session.objects.get(pk=empty.pk).notes == "" and raw(Session, "notes", empty.pk) == ""


@pytest.mark.django_db
def test_the_database_holds_tokens_that_only_the_keys_open(old_key, caseworker, person):
    screening = a_screening(person, caseworker)
    session = a_session(person, caseworker)
    stored_notes = raw(Session, "notes", session.pk)
    stored_answers = raw(Screening, "answers", screening.pk)
    assert NOTE not in stored_notes and "3, 3, 2" not in stored_answers
    for column in ("raw_score", "score", "band", "flags"):
        stored = raw(Screening, column, screening.pk)
        assert stored.startswith("gAAAA") and "poor" not in stored, column
    assert crypto.decrypt(stored_notes.encode()).decode() == NOTE
    # the same text twice gives two different tokens: equal values cannot be spotted
    assert raw(Session, "notes", a_session(person, caseworker).pk) != stored_notes


@pytest.mark.django_db
def test_a_value_no_key_opens_fails_naming_the_field_not_the_content(old_key, caseworker, person):
    session = a_session(person, caseworker)
    screening = a_screening(person, caseworker)
    set_raw(Session, "notes", session.pk, Fernet(new_key()).encrypt(NOTE.encode()).decode())
    with pytest.raises(UnreadableValue) as error:
        Session.objects.get(pk=session.pk)
    assert "mhpss.Session.notes" in str(error.value) and NOTE not in str(error.value)
    set_raw(Screening, "answers", screening.pk, "[3, 3, 2, 2, 2]")  # clear text is refused too
    with pytest.raises(UnreadableValue, match=r"mhpss\.Screening\.answers"):
        Screening.objects.get(pk=screening.pk)


@pytest.mark.django_db
def test_encrypted_fields_cannot_be_searched_or_filtered(old_key, caseworker, person):
    a_session(person, caseworker)
    a_screening(person, caseworker)
    with pytest.raises(FieldError, match="encrypted"):
        Session.objects.filter(notes=NOTE).count()
    for lookup in ("notes__icontains", "notes__startswith"):
        with pytest.raises(FieldError):
            Session.objects.filter(**{lookup: "الأم"}).count()
    for lookup in ("answers", "answers__0", "answers__contains", "band"):
        with pytest.raises(FieldError):
            Screening.objects.filter(**{lookup: "poor"}).count()
    assert Session.objects.filter(notes="").count() == 0
    assert Session.objects.exclude(notes="").count() == 1
    assert Screening.objects.filter(answers__isnull=False).count() == 1


def test_the_keys_can_come_from_a_file_one_per_line(tmp_path, monkeypatch):
    from awda.env import env_list_file

    first, second = new_key(), new_key()
    (tmp_path / "keys").write_text(f"{first}\n{second}\n", encoding="utf-8")
    monkeypatch.setenv("AWDA_ENCRYPTION_KEYS_FILE", str(tmp_path / "keys"))
    assert env_list_file("AWDA_ENCRYPTION_KEYS_FILE") == [first, second]


def test_the_sensitive_fields_are_found_by_their_type():
    assert encrypted_field_names(Screening) == ["answers", "raw_score", "score", "band", "flags"]
    assert encrypted_field_names(Referral) == ["reason", "response_note", "consent_note"]
    found = {
        f"{model._meta.label}.{field.name}"
        for model, fields in rotate_keys.encrypted_columns()
        for field in fields
    }
    assert {
        "mhpss.Screening.answers",
        "mhpss.Session.notes",
        "cases.Assessment.answers",
        "cases.CaseNote.text",
        "cases.CaseEvent.comment",
        "cases.ServiceRecord.note",
        "cases.Referral.reason",
        "cases.Referral.consent_note",
        "cases.Referral.response_note",
        "community.CommunityActor.contact",
        "community.CommunityActor.notes",
        "returns.Clearance.reference",
    } <= found


# -- rotation -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_after_rotation_the_new_key_alone_reads_everything(everything, old_key, settings):
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    assert read_everything(everything) == EXPECTED  # both keys read during the change
    output = run("--batch-size", "1")
    assert "mhpss.Screening.answers: 1 re-encrypted, 0 already under the first key" in output
    assert "mhpss.Session.notes: 1 re-encrypted" in output
    assert "returns.Clearance.reference: 1 re-encrypted" in output
    assert "attachment files: 1 re-encrypted" in output
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert read_everything(everything) == EXPECTED
    # a second run finds nothing to do
    again = run()
    assert "mhpss.Session.notes: 0 re-encrypted, 1 already under the first key" in again
    assert "attachment files: 0 re-encrypted, 1 already under the first key" in again


@pytest.mark.django_db
def test_without_rotation_removing_the_old_key_loses_the_data(everything, old_key, settings):
    """What the rotation prevents (and so, that the test above can fail)."""
    settings.ENCRYPTION_KEYS = [new_key()]
    with pytest.raises(UnreadableValue):
        read_everything(everything)


@pytest.mark.django_db
def test_a_dry_run_counts_and_writes_nothing(everything, old_key, settings):
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    session = everything["session"]
    stored = raw(Session, "notes", session.pk)
    path = Path(settings.VAR_DIR) / "attachments" / everything["attachment"].stored_as
    file_before = path.read_bytes()
    entries = AuditEntry.objects.count()
    output = run("--dry-run")
    assert "mhpss.Session.notes: 1 to re-encrypt, 0 already under the first key" in output
    assert "attachment files: 1 to re-encrypt" in output
    assert "nothing was written" in output
    assert raw(Session, "notes", session.pk) == stored and path.read_bytes() == file_before
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_the_run_is_audited_with_counts_only(everything, old_key, settings):
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    run()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.actor is None and entry.channel == "cli"
    assert entry.details["rotate_keys"]["mhpss.session.notes"] == 1
    assert entry.details["files"] == 1 and entry.details["unreadable"] == 0
    assert NOTE not in str(entry.details) and "REF-77" not in str(entry.details)


@pytest.mark.django_db
def test_a_value_no_key_opens_is_reported_and_the_rest_rotated(
    everything, old_key, settings, caseworker, person
):
    lost = a_session(person, caseworker)
    set_raw(Session, "notes", lost.pk, Fernet(new_key()).encrypt(b"x").decode())
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    out = io.StringIO()
    with pytest.raises(CommandError, match="keep every key"):
        call_command("rotate_keys", stdout=out)
    assert "mhpss.Session.notes: 1 re-encrypted, 0 already under the first key, 1 UNREADABLE" in (
        out.getvalue()
    )
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert Session.objects.get(pk=everything["session"].pk).notes == NOTE


@pytest.mark.django_db
def test_a_crash_midway_leaves_every_value_readable(
    everything, old_key, settings, caseworker, person, monkeypatch
):
    for n in range(4):
        a_session(person, caseworker, notes=f"{NOTE} {n}")
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    real_write = rotate_keys._write
    calls = {"n": 0}

    def write_then_crash(model: Any, field: Any, changes: Any) -> None:
        if model is Session:
            calls["n"] += 1
            if calls["n"] == 2:  # the second batch of sessions
                raise RuntimeError("the machine went down")
        real_write(model, field, changes)

    monkeypatch.setattr(rotate_keys, "_write", write_then_crash)
    with pytest.raises(RuntimeError):
        run("--batch-size", "2")
    notes = sorted(Session.objects.values_list("notes", flat=True))
    assert notes == sorted([NOTE] + [f"{NOTE} {n}" for n in range(4)])
    stored = [raw(Session, "notes", pk) for pk in Session.objects.values_list("pk", flat=True)]
    assert any(crypto.is_current(token.encode()) for token in stored)  # some were rotated
    assert not all(crypto.is_current(token.encode()) for token in stored)  # not all
    monkeypatch.setattr(rotate_keys, "_write", real_write)
    run()  # the next run finishes the work
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert read_everything(everything) == EXPECTED


@pytest.mark.django_db
def test_a_file_is_replaced_whole_or_not_at_all(everything, old_key, settings, monkeypatch):
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    folder = Path(settings.VAR_DIR) / "attachments"
    path = folder / everything["attachment"].stored_as
    before = path.read_bytes()

    def crash(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(rotate_keys.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        run()
    assert path.read_bytes() == before
    assert not list(folder.glob(".*.tmp"))  # no half-written file left behind
    monkeypatch.undo()
    run()
    assert path.read_bytes() != before
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert read_everything(everything)["file"] == PNG


@pytest.mark.django_db
def test_an_edit_made_while_rotating_is_not_undone(old_key, caseworker, person, settings):
    session = a_session(person, caseworker)
    read = raw(Session, "notes", session.pk)
    settings.ENCRYPTION_KEYS = [new_key(), old_key]
    Session.objects.filter(pk=session.pk).update(notes="changed meanwhile")
    field = Session._meta.get_field("notes")
    rotate_keys._write(Session, field, {session.pk: (read, crypto.rotate(read.encode()).decode())})
    assert Session.objects.get(pk=session.pk).notes == "changed meanwhile"


def test_the_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        run("--batch-size", "0")
