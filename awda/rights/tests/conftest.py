"""A person with a record in every part of Awda, her names written into the free text of
each (as caseworkers write them), for the rights tests: Zubayda (زبيدة), head of a
household of organisation A, with a son."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.audit.models import Breach
from awda.cases.models import Assessment, Case, FormDefinition, FormVersion
from awda.cases.services import (
    attachment_add,
    attachment_folder,
    case_move,
    case_open,
    follow_up_add,
    goal_add,
    note_add,
    referral_create,
    service_record,
)
from awda.community.models import CommunityActor, Sponsorship
from awda.conftest import child, head, make_user, place, register
from awda.consent.models import Consent
from awda.consent.services import consent_record
from awda.mhpss.services import screening_record, session_record
from awda.registry.models import Household, Person
from awda.returns.models import Intention, Movement, Passenger
from awda.rights.models import CorrectionRequest
from awda.tracing import services as tracing
from awda.tracing.models import Candidate, TracingRequest

NAMES = {
    "first_name_ar": "زبيدة",
    "father_name_ar": "عطوان",
    "grandfather_name_ar": "مرعي",
    "family_name_ar": "الشمري",
    "first_name_lat": "Zubayda",
    "father_name_lat": "Atwan",
    "grandfather_name_lat": "Marai",
    "family_name_lat": "Al-Shammari",
}
FULL_AR = "زبيدة عطوان مرعي الشمري"
FULL_LAT = "Zubayda Atwan Marai Al-Shammari"
# What must be gone from every table: her full names and her first names (her father's,
# grandfather's and family names are her son's too, and stay on his registration).
NEEDLES = (FULL_AR, FULL_LAT, "زبيدة", "زبيده", "Zubayda")
PDF = b"%PDF-1.4\n% a scanned birth certificate\n"


@pytest.fixture
def dpo(org_a: Organisation) -> User:
    return make_user("dina", org_a, Role.DPO)


@pytest.fixture
def other_dpo(org_b: Organisation) -> User:
    return make_user("omar", org_b, Role.DPO)


@pytest.fixture
def mhpss_worker(org_a: Organisation) -> User:
    return make_user("mona", org_a, Role.MHPSS)


@dataclass
class File:
    person: Person
    son: Person
    household: Household
    own_case: Case
    family_case: Case
    sons_case: Case
    attachment_path: str


def _form() -> FormVersion:
    form = FormDefinition.objects.create(slug="rights-test", title_ar="نموذج", title_en="Form")
    return FormVersion.objects.create(
        form=form,
        number=1,
        fields=[
            {"name": "story", "type": "text", "label": {"ar": "القصة", "en": "Story"}},
            {"name": "children", "type": "integer", "label": {"ar": "الأطفال", "en": "Children"}},
        ],
    )


@pytest.fixture
def subject(
    caseworker: User,
    supervisor: User,
    mhpss_worker: User,
    other_caseworker: User,
    dpo: User,
    org_b: Organisation,
) -> File:
    household = register(
        caseworker,
        reference="A-ZUB",
        members=[
            head(**NAMES, date_of_birth=datetime.date(1985, 2, 3), dob_precision="exact"),
            child(
                first_name_ar="سعد",
                father_name_ar="حمود",
                grandfather_name_ar="عطوان",
                family_name_ar="الشمري",
                date_of_birth=datetime.date(2015, 7, 1),
            ),
        ],
    )
    person = household.members.get(relationship="head")
    son = household.members.get(relationship="child")
    consent_record(
        by=caseworker,
        person=person,
        purpose="registration",
        legal_basis="consent",
        given_by="person",
        note="زبيدة agreed at the registration desk",
    )
    consent_record(
        by=caseworker, person=person, purpose="tracing", legal_basis="consent", given_by="person"
    )

    # Her own case and her family's, with everything a case holds.
    own = case_open(by=caseworker, household=household, person=person)
    family = case_open(by=caseworker, household=household)
    note_add(by=caseworker, case=own, text="زبيدة says her brother threatens her")
    note_add(by=caseworker, case=family, text="Visited Zubayda and her son; وزبيدة asked for food")
    sons = case_open(by=caseworker, household=household, person=son)
    note_add(by=caseworker, case=sons, text="His mother زبيدة came with him")
    case_move(by=caseworker, case=own, to="assessment", comment="زبيده agreed to an assessment")
    follow_up_add(
        by=caseworker,
        case=own,
        title="Call Zubayda about the documents",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    goal_add(by=caseworker, case=own, title="زبيدة holds an ID card")
    service_record(
        by=caseworker,
        case=own,
        service="legal_aid",
        channel="in_house",
        delivered_on=timezone.localdate(),
        note=f"Lawyer met {FULL_LAT}",
    )
    Assessment.objects.create(
        case=own,
        form_version=_form(),
        answers={"story": f"{FULL_AR} fled in 2019", "children": 1},
        recorded_by=caseworker,
    )
    attachment = attachment_add(by=caseworker, case=own, title="Zubayda's ID", content=PDF)
    referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="health",
        consent="given",
        consent_note="زبيدة consented in person",
        reason="زبيدة needs a doctor",
        case=own,
    )

    # Psychosocial records.
    screening_record(by=mhpss_worker, person=person, instrument="k6", answers=[1, 2, 3, 1, 0, 2])
    session_record(
        by=mhpss_worker,
        person=person,
        kind="individual",
        held_on=timezone.localdate(),
        minutes=45,
        notes="Zubayda spoke about the camp",
    )

    # The return.
    Intention.objects.create(
        organisation=household.organisation,
        household=household,
        pathway="iq_repatriation",
        reasons="زبيدة wants to go back to her mother",
        recorded_by=caseworker,
    )
    movement = Movement.objects.create(
        organisation=household.organisation,
        reference="MV-1",
        kind="convoy",
        pathway="iq_repatriation",
        departs_on=timezone.localdate(),
        origin=place("SY080006-HOL"),
        destination=place("IQG01Q01N01"),
        capacity=50,
        notes="Zubayda travels with her son",
        created_by=caseworker,
    )
    Passenger.objects.create(
        movement=movement,
        person=person,
        household=household,
        vehicle=1,
        note="زبيدة needs a seat near the door",
        added_by=caseworker,
    )
    sponsor = CommunityActor.objects.create(
        organisation=household.organisation,
        place=place("IQG01Q01N01"),
        kind="sheikh",
        name="Sheikh Salim",
        created_by=caseworker,
    )
    Sponsorship.objects.create(
        organisation=household.organisation,
        household=household,
        sponsor=sponsor,
        note="The sheikh knows زبيدة's family",
        created_by=caseworker,
    )

    # Tracing: she asks for her brother; organisation B's family sought her, confirmed.
    tracing.request_create(
        by=caseworker,
        requester=person,
        relationship="sibling",
        sought=tracing.Sought(sex="M", first_name="حسن", birth_year=1988),
        separation="reported_detained",
        circumstances="زبيدة last saw him at the checkpoint",
    )
    seeker_household = register(other_caseworker, reference="B-SEEK", members=[head()])
    seeker = seeker_household.members.get()
    sought_her = TracingRequest.objects.create(
        organisation=org_b,
        requester=seeker,
        relationship="sibling",
        sought_first_name_ar="زبيدة",
        sought_family_name_ar="الشمري",
        sought_first_name_lat="Zubayda",
        sought_sex="F",
        circumstances="They lost زبيدة in 2019",
        status=TracingRequest.Status.CONFIRMED,
        created_by=other_caseworker,
    )
    Candidate.objects.create(
        request=sought_her,
        person=person,
        holder=household.organisation,
        score=0.9,
        evidence=[{"field": "first_name", "given": "زبيدة", "level": "same", "inferred": False}],
        status=Candidate.Status.CONFIRMED,
    )

    # What her data protection officer and her organisation recorded about her.
    CorrectionRequest.objects.create(
        organisation=household.organisation,
        person=person,
        received_on=timezone.localdate(),
        request=f"My name is {FULL_AR}, not as written",
        recorded_by=dpo,
    )
    Breach.objects.create(
        organisation=household.organisation,
        discovered_at=timezone.now(),
        description="A list with Zubayda's name was left in the office",
        people_affected=1,
        recorded_by=dpo,
    )
    return File(
        person=person,
        son=son,
        household=household,
        own_case=own,
        family_case=family,
        sons_case=sons,
        attachment_path=str(attachment_folder() / attachment.stored_as),
    )


def tracing_consent(person: Person, by: User) -> Consent:
    return Consent.objects.create(
        organisation=person.organisation,
        person=person,
        purpose="tracing",
        legal_basis="consent",
        given_by="person",
        recorded_by=by,
    )
