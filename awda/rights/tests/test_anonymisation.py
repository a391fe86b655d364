"""Erasure: a person anonymised for good, with a recorded reason, while every count, the
audit chain and her family's records stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import translation

from awda.audit.models import AuditEntry
from awda.audit.selectors import audit_verify
from awda.cases.models import Attachment, CaseNote, Referral
from awda.conftest import head, logged_in, register
from awda.consent.models import Consent
from awda.identity.models import NameKey
from awda.identity.selectors import person_search_for_user
from awda.mhpss.models import Screening
from awda.registry.models import Person
from awda.reports.selectors import people_by_sex_and_age, programme_totals
from awda.returns.models import Passenger
from awda.rights.models import Anonymisation
from awda.rights.redaction import PLACEHOLDER, Redactor
from awda.rights.services import anonymise_person
from awda.rights.tests.conftest import FULL_AR, NAMES, NEEDLES, tracing_consent
from awda.tracing import services as tracing
from awda.tracing.matching import find_candidates
from awda.tracing.models import TracingRequest


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _aggregates():
    tables = {name: [(r.label, str(r.households), str(r.people)) for r in rows]
              for name, rows in programme_totals().items()}  # fmt: skip
    people = [(r.label, str(r.people)) for r in people_by_sex_and_age()]
    return tables, people


def _text_of(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _where_found(needles) -> list[str]:
    """Every text column of every model (encrypted ones read decrypted) that holds one of
    the needles. The audit trail's `changes` are left out: see the test below."""
    found = []
    folded = [n.lower() for n in needles]
    for model in apps.get_models():
        columns = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if model is AuditEntry:
            columns = [f for f in columns if f.name != "changes"]
        if not columns:
            continue
        for row in model._base_manager.all():
            for column in columns:
                text = _text_of(getattr(row, column.attname)).lower()
                if any(n in text for n in folded):
                    found.append(f"{model._meta.label}.{column.name} #{row.pk}")
    return found


@pytest.mark.django_db
def test_the_scan_finds_her_names_everywhere_before(subject):
    """The scan below can fail: before, her names are in every kind of record."""
    found = _where_found(NEEDLES)
    for where in (
        "registry.Person.first_name_ar",
        "cases.CaseNote.text",
        "cases.Assessment.answers",
        "mhpss.Session.notes",
        "consent.Consent.note",
        "tracing.TracingRequest.circumstances",
        "tracing.TracingRequest.sought_first_name_ar",
        "returns.Passenger.note",
        "rights.CorrectionRequest.request",
        "audit.Breach.description",
    ):
        assert any(f.startswith(where) for f in found), where


@pytest.mark.django_db(transaction=False)
def test_her_names_are_gone_from_every_table(subject, dpo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        anonymise_person(by=dpo, person=subject.person, reason="She asked for erasure.")
    assert _where_found(NEEDLES) == []
    person = Person.objects.get(pk=subject.person.pk)
    for field, old in NAMES.items():
        assert getattr(person, field) != old, field
    assert person.full_name_ar == "شخص مجهول"
    assert person.full_name_lat == "Anonymised Person"


@pytest.mark.django_db
def test_the_exact_date_of_birth_keeps_only_its_year(subject, dpo):
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    person = Person.objects.get(pk=subject.person.pk)
    assert (person.date_of_birth.year, person.dob_precision) == (1985, "year")
    assert person.date_of_birth.isoformat() != "1985-02-03"


@pytest.mark.django_db
def test_the_aggregates_stay_the_same(subject, dpo):
    before = _aggregates()
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    assert _aggregates() == before


@pytest.mark.django_db
def test_countable_facts_stay(subject, dpo):
    person = subject.person
    counts = (
        CaseNote.objects.count(),
        Passenger.objects.filter(person=person).count(),
        Screening.objects.filter(person=person).count(),
    )
    anonymise_person(by=dpo, person=person, reason="Erasure")
    after = Person.objects.get(pk=person.pk)
    assert (after.sex, after.household_id, after.relationship, after.nationality) == (
        person.sex,
        person.household_id,
        person.relationship,
        person.nationality,
    )
    assert (
        CaseNote.objects.count(),
        Passenger.objects.filter(person=person).count(),
        Screening.objects.filter(person=person).count(),
    ) == counts
    screening = Screening.objects.get(person=person)
    assert screening.raw_score == 9


@pytest.mark.django_db
def test_her_own_texts_are_replaced_and_her_familys_only_lose_her_names(subject, dpo):
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    own = CaseNote.objects.get(case=subject.own_case)
    family = CaseNote.objects.get(case=subject.family_case)
    assert own.text == PLACEHOLDER
    assert family.text == f"Visited {PLACEHOLDER} and her son; و{PLACEHOLDER} asked for food"
    sons = CaseNote.objects.get(case=subject.sons_case)
    assert sons.text == f"His mother {PLACEHOLDER} came with him"


@pytest.mark.django_db(transaction=False)
def test_her_attached_files_are_deleted(subject, dpo, django_capture_on_commit_callbacks):
    assert Path(subject.attachment_path).exists()
    with django_capture_on_commit_callbacks(execute=True):
        record = anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    assert not Path(subject.attachment_path).exists()
    assert not Attachment.objects.filter(case=subject.own_case).exists()
    assert record.counts["attachments_deleted"] == 1


@pytest.mark.django_db
def test_her_consents_are_revoked_and_her_referral_ends(subject, dpo):
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    assert not Consent.objects.filter(person=subject.person, revoked_at__isnull=True).exists()
    assert Referral.objects.get(case=subject.own_case).status == Referral.Status.REVOKED


@pytest.mark.django_db
def test_the_audit_chain_holds_and_records_the_anonymisation_without_the_reason(subject, dpo):
    entries = AuditEntry.objects.count()
    record = anonymise_person(by=dpo, person=subject.person, reason="Asked at the office by زبيدة")
    assert audit_verify().intact
    assert AuditEntry.objects.count() > entries  # appended to, nothing rewritten
    assert record.reason == f"Asked at the office by {PLACEHOLDER}"
    entry = AuditEntry.objects.get(object_type="rights.anonymisation", object_id=str(record.pk))
    assert entry.details["counts"]["people"] == 1
    assert "Asked" not in json.dumps(entry.details)
    on_person = AuditEntry.objects.filter(
        object_type="registry.person", object_id=str(subject.person.pk)
    ).last()
    assert on_person.details == {"anonymisation": record.pk}
    assert set(on_person.changes) >= {"first_name_ar", "date_of_birth"}
    assert set(on_person.changes.values()) == {"[changed]"}


@pytest.mark.django_db
def test_the_audit_trail_never_held_her_name_so_nothing_of_her_is_left_there(subject, dpo):
    """The trail is append-only: what it records can never be erased. So its entries
    about a person say that her names and date of birth were set or changed, never what
    they are, and nothing of her is left there after anonymisation."""
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    entries = AuditEntry.objects.filter(
        object_type="registry.person", object_id=str(subject.person.pk)
    )
    created = entries.get(action="create")
    assert created.changes["first_name_ar"] == "[changed]"
    text = json.dumps([[e.changes, e.details] for e in entries], ensure_ascii=False)
    assert "زبيدة" not in text and "Zubayda" not in text
    assert audit_verify().intact


@pytest.mark.django_db
def test_she_is_no_longer_found_by_name_search(subject, dpo, caseworker):
    assert person_search_for_user(caseworker, "زبيدة الشمري") == [subject.person.pk]
    assert subject.person.pk in person_search_for_user(caseworker, "Zubayda")
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    assert person_search_for_user(caseworker, "زبيدة الشمري") == []
    assert person_search_for_user(caseworker, "Zubayda") == []
    assert not NameKey.objects.filter(person=subject.person).exists()
    assert NameKey.objects.filter(person=subject.son).exists()  # her son still is


@pytest.mark.django_db
def test_tracing_no_longer_finds_her(subject, dpo, other_caseworker):
    seeker = register(other_caseworker, reference="B-2", members=[head(first_name_ar="ليلى")])
    requester = seeker.members.get()
    tracing_consent(requester, other_caseworker)
    request = tracing.request_create(
        by=other_caseworker,
        requester=requester,
        relationship="sibling",
        sought=tracing.Sought(
            sex="F", first_name="زبيدة", father_name="عطوان", family_name="الشمري", birth_year=1985
        ),
        separation="in_another_camp",
    )
    assert [f.person_id for f in find_candidates(request)] == [subject.person.pk]
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    assert find_candidates(TracingRequest.objects.get(pk=request.pk)) == []


@pytest.mark.django_db
def test_her_open_tracing_request_closes_and_the_request_that_found_her_forgets_her_name(
    subject, dpo
):
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    own = TracingRequest.objects.get(requester=subject.person)
    assert (own.status, own.circumstances) == ("closed", PLACEHOLDER)
    found_her = TracingRequest.objects.exclude(requester=subject.person).get()
    assert found_her.sought_name == PLACEHOLDER
    assert found_her.status == "confirmed"  # the outcome is a countable fact


@pytest.mark.django_db
def test_only_the_persons_own_data_protection_officer_may_anonymise(
    subject, caseworker, supervisor, other_dpo
):
    for user in (caseworker, supervisor, other_dpo):
        with pytest.raises(PermissionDenied):
            anonymise_person(by=user, person=subject.person, reason="Erasure")
    assert not Anonymisation.objects.exists()
    assert Person.objects.get(pk=subject.person.pk).first_name_ar == "زبيدة"


@pytest.mark.django_db
def test_a_reason_is_required_and_a_person_is_anonymised_once(subject, dpo):
    with pytest.raises(ValidationError) as error:
        anonymise_person(by=dpo, person=subject.person, reason="  ")
    assert error.value.message_dict == {"reason": ["Give the reason."]}
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    with pytest.raises(ValidationError) as error:
        anonymise_person(by=dpo, person=Person.objects.get(pk=subject.person.pk), reason="Again")
    assert error.value.message_dict == {"person": ["This person is already anonymised."]}


@pytest.mark.django_db
def test_the_page_anonymises_after_confirmation_and_says_so(subject, dpo, settings):
    client = logged_in(dpo)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/rights/persons/{subject.person.pk}/anonymise/"
    response = client.post(url, {"basis": "erasure", "reason": "Asked in person"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Anonymisation.objects.exists()
    response = client.post(url, {"basis": "erasure", "reason": "Asked in person", "confirm": "on"})
    assert response.status_code == 302
    page = client.get(f"/rights/persons/{subject.person.pk}/").content.decode()
    assert "This person is anonymised." in page
    assert FULL_AR not in page


def test_the_redactor_finds_names_as_people_write_them():
    redact = Redactor(["فاطمة الزهراء", "فاطمة", "Fatima", "عبد الله"])
    assert redact("زرنا فاطمه وابنها") == f"زرنا {PLACEHOLDER} وابنها"
    assert redact("لفاطمةَ ثلاثة أطفال") == f"ل{PLACEHOLDER} ثلاثة أطفال"
    assert redact("FATIMA came; Fatimah did not") == f"{PLACEHOLDER} came; Fatimah did not"
    assert redact("عبدالله وعبد الله") == f"{PLACEHOLDER} و{PLACEHOLDER}"
    assert redact("فاطمتان") == "فاطمتان"  # another word


@pytest.mark.django_db
def test_an_edit_opened_before_cannot_write_her_names_back(subject, dpo, caseworker):
    from awda.registry.services import EditConflict, PersonData, person_update

    opened_at = subject.person.version
    anonymise_person(by=dpo, person=subject.person, reason="Erasure")
    with pytest.raises(EditConflict):
        person_update(
            by=caseworker,
            person=subject.person,
            expected_version=opened_at,
            data=PersonData.from_mapping({**NAMES, "sex": "F", "relationship": "head"}),
        )
    assert Person.objects.get(pk=subject.person.pk).first_name_ar == "شخص"
