from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from awda.audit.models import AuditEntry, AuditImmutableError
from awda.audit.selectors import audit_verify
from awda.audit.services import audit_record
from awda.conftest import child, head, register
from awda.registry.services import PersonData, person_update


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as someone with database access
    could (on PostgreSQL the trigger has to be switched off first, as its owner can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a superuser's switch that silences triggers for this session
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_registering_a_household_records_each_creation_with_its_values(caseworker):
    household = register(caseworker, reference="A-7", members=[head(), child()])
    entries = list(AuditEntry.objects.filter(action="create"))
    assert [e.object_type for e in entries] == [
        "registry.household",
        "registry.person",
        "registry.person",
    ]
    assert entries[0].object_id == str(household.pk)
    assert entries[0].changes["reference"] == [None, "A-7"]
    # A person's names and date of birth are never copied into the (unerasable) trail.
    assert entries[1].changes["first_name_ar"] == "[changed]"
    assert entries[1].changes["sex"] == [None, "F"]
    assert "فاطمة" not in str([e.changes for e in entries])
    assert all(e.actor == caseworker for e in entries)


@pytest.mark.django_db
def test_a_change_records_only_that_names_and_sensitive_fields_changed(caseworker, household):
    person = household.members.get(relationship="head")
    data = PersonData.from_mapping(
        {
            **{
                f: getattr(person, f)
                for f in (
                    "first_name_ar",
                    "father_name_ar",
                    "grandfather_name_ar",
                    "family_name_ar",
                    "sex",
                    "date_of_birth",
                    "dob_precision",
                    "relationship",
                )
            },
            "family_name_ar": "الجبوريه",
            "needs": {"SV"},
        }
    )
    person_update(by=caseworker, person=person, expected_version=person.version, data=data)
    entry = AuditEntry.objects.filter(action="update").get()
    assert entry.changes["family_name_ar"] == "[changed]"
    assert "الجبوري" not in str(entry.changes)
    assert entry.changes["needs"] == "[changed]"
    assert "SV" not in str(entry.changes)


@pytest.mark.django_db
def test_the_chain_of_a_normal_history_verifies(caseworker, household):
    audit_record(actor=caseworker, action="view", obj=household)
    report = audit_verify()
    assert report.intact and report.entries == AuditEntry.objects.count() >= 4
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_verify_names_the_first_entry_whose_content_was_changed(caseworker, household):
    for _ in range(3):
        audit_record(actor=caseworker, action="view", obj=household)
    victim = AuditEntry.objects.order_by("seq")[2]
    _tamper("UPDATE audit_auditentry SET object_id = %s WHERE id = %s", ["999", victim.pk])
    report = audit_verify()
    assert report.broken_at == victim.seq
    assert "content" in report.reason
    with pytest.raises(CommandError, match=f"broken at entry {victim.seq}"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_finds_a_deleted_entry(caseworker, household):
    for _ in range(3):
        audit_record(actor=caseworker, action="view", obj=household)
    victim = AuditEntry.objects.order_by("seq")[1]
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    report = audit_verify()
    assert report.broken_at == victim.seq + 1
    assert "missing" in report.reason


@pytest.mark.django_db
def test_verify_finds_an_entry_rewritten_with_a_fresh_hash(caseworker, household):
    """Someone who recomputes the hash of the entry they changed still breaks the link
    from the next entry."""
    for _ in range(3):
        audit_record(actor=caseworker, action="view", obj=household)
    victim = AuditEntry.objects.order_by("seq")[1]
    victim.object_id = "1234"
    forged = victim.compute_hash()
    _tamper(
        "UPDATE audit_auditentry SET object_id = %s, hash = %s WHERE id = %s",
        ["1234", forged, victim.pk],
    )
    report = audit_verify()
    assert report.broken_at == victim.seq + 1
    assert "previous" in report.reason


@pytest.mark.django_db
def test_the_application_cannot_change_or_delete_entries(caseworker, household):
    entry = AuditEntry.objects.first()
    entry.object_id = "x"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_id="x")


@pytest.mark.django_db
def test_postgresql_itself_refuses_updates_and_deletes(caseworker, household):
    if connection.vendor != "postgresql":
        pytest.skip("the database-level guard exists on PostgreSQL only")
    entry = AuditEntry.objects.first()
    for sql in (
        "UPDATE audit_auditentry SET object_id = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert audit_verify().intact


@pytest.mark.django_db
def test_a_failed_change_leaves_neither_the_change_nor_its_audit_entry(caseworker, household):
    from django.core.exceptions import ValidationError

    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        register(caseworker, reference="A-0001")  # the reference is taken
    assert AuditEntry.objects.count() == before
    assert caseworker.organisation.households.count() == 1


@pytest.mark.django_db
def test_the_data_protection_officer_searches_what_their_organisation_did(
    caseworker, household, other_household, org_a, org_b
):
    from awda.conftest import logged_in, make_user

    dpo = make_user("dalia", org_a, "dpo")
    client = logged_in(dpo)
    page = client.get("/audit/", {"username": "alice", "action": "create"})
    assert page.status_code == 200
    shown = [entry for entry, _changes in page.context["rows"]]
    assert shown and all(e.actor == caseworker and e.action == "create" for e in shown)
    everything = [e for e, _c in client.get("/audit/").context["rows"]]
    assert all(e.organisation_id == org_a.pk for e in everything)
    assert (
        AuditEntry.objects.filter(
            actor=dpo, action="list", details__object_type="audit.auditentry"
        ).count()
        == 2
    )
    assert logged_in(caseworker).get("/audit/").status_code == 403
