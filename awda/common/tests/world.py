"""A small world for the tests that attack: organisation A owns one record of every kind,
organisation B owns nothing (its users are the outsiders), organisation C is where A
refers a household and where the relative A traces is registered (by `caseworker.c`).
One user per role in A and in B, named `<role>.a` and `<role>.b`; the password is
awda.conftest.PASSWORD.

Every name and reference of A's records is made up and rare enough that finding it in a
page of B's is a leak, never a coincidence: `World.needles`."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.audit.models import Breach
from awda.audit.services import BreachData, breach_record
from awda.cases import services as cases
from awda.cases.models import Alert, FormDefinition, Referral
from awda.common.models import Task
from awda.community import services as community
from awda.community.models import CommunityActor
from awda.conftest import child, head, make_user, place, register
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.consent.services import consent_record
from awda.identity.models import MatchCandidate
from awda.identity.services import candidate_merge
from awda.mhpss.services import screening_record, session_record
from awda.places.models import Place
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, SurveyInstrument
from awda.reintegration.services import survey_record
from awda.returns import services as returns
from awda.returns.models import (
    Centre,
    CentreStay,
    ChecklistItem,
    Movement,
    Passenger,
    Pathway,
    ReadinessOverride,
)
from awda.rights import services as rights
from awda.rights.models import RetentionRule
from awda.tracing import services as tracing
from awda.tracing.models import Candidate

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# What must never reach organisation B: names in both scripts, references, free text.
HOUSEHOLD_REFERENCE = "A-MTX-7301"
HEAD_AR, HEAD_LAT = "زبيدة", "Zubaidah"
FAMILY_AR, FAMILY_LAT = "الشمّري", "Shammariyy"
CHILD_AR, CHILD_LAT = "مهنّد", "Muhannadd"
CASE_NOTE = "ملاحظة الحالة السرية ٧٣٠١"
MOVEMENT_REFERENCE = "CV-MTX-7301"
ACTOR_NAME = "الشيخ مطلق الزبيدي"
ACTOR_CONTACT = "+963 944 073 010"
SOUGHT_AR = "ذياب"
BREACH_TEXT = "Laptop MTX-7301 left in a taxi"
ACTIVITY_OUTCOME = "اتفاق الوجهاء رقم ٧٣٠١"
CORRECTION_TEXT = "Spell the family name MTX-7301 differently"


@dataclass
class World:
    a: Organisation
    b: Organisation
    c: Organisation
    users: dict[str, User]
    records: dict[str, Any] = field(default_factory=dict)
    needles: list[str] = field(default_factory=list)

    def user(self, role: str, org: str) -> User:
        return self.users[f"{role}.{org}"]

    def __getitem__(self, name: str) -> Any:
        return self.records[name]

    def value(self, source: str) -> Any:
        """ "case" is the case's pk, "form.slug" the form's slug."""
        name, _, attribute = source.partition(".")
        return getattr(self.records[name], attribute or "pk")


def syrian_subdistrict() -> Place:
    return Place.objects.filter(country="SY", kind="subdistrict").order_by("pcode")[0]


def _names(**overrides: Any) -> dict[str, Any]:
    return {"family_name_ar": FAMILY_AR, "family_name_lat": FAMILY_LAT, **overrides}


def _ready_by_override(world: World, household: Household, pathway: str, **kw: Any) -> None:
    returns.intention_record(
        by=world.user("caseworker", "a"), household=household, pathway=pathway, **kw
    )
    returns.readiness_override(
        by=world.user("supervisor", "a"),
        household=household,
        reason="Documents are issued at the destination.",
    )


def _through(world: World, movement: Movement, household: Household, *, arrive: bool) -> None:
    coordinator = world.user("returns", "a")
    returns.movement_add_household(
        by=coordinator, movement=movement, household=household, confirm=True
    )
    movement.refresh_from_db()
    returns.movement_depart(
        by=coordinator,
        movement=movement,
        expected_version=movement.version,
        departed_on=movement.departs_on,
    )
    if arrive:
        movement.refresh_from_db()
        returns.movement_arrive(
            by=coordinator,
            movement=movement,
            expected_version=movement.version,
            arrived_on=movement.departs_on,
        )


def build_world() -> World:
    """Everything through the services, as the programme's staff would write it."""
    orgs = {
        letter: Organisation.objects.create(
            slug=f"org-{letter}",
            name_ar=f"منظمة {letter}",
            name_en=f"Organisation {letter.upper()}",
            kind=Organisation.Kind.NATIONAL_NGO,
        )
        for letter in "abc"
    }
    users = {
        f"{role}.{letter}": make_user(f"{role}.{letter}", orgs[letter], role)
        for role in Role.values
        for letter in "ab"
    }
    users["caseworker.c"] = make_user("caseworker.c", orgs["c"], Role.CASEWORKER)
    world = World(a=orgs["a"], b=orgs["b"], c=orgs["c"], users=users)
    r = world.records
    worker, boss = world.user("caseworker", "a"), world.user("supervisor", "a")
    coordinator, liaison = world.user("returns", "a"), world.user("liaison", "a")
    mhpss, dpo = world.user("mhpss", "a"), world.user("dpo", "a")
    destination = syrian_subdistrict()

    # The registry: the household every page is about (more below: two registrations of
    # one woman, merged; a household home; one in a centre).
    household = register(
        worker,
        reference=HOUSEHOLD_REFERENCE,
        nationality="SY",
        origin=destination,
        members=[
            head(**_names(first_name_ar=HEAD_AR, first_name_lat=HEAD_LAT)),
            child(**_names(first_name_ar=CHILD_AR, first_name_lat=CHILD_LAT)),
        ],
    )
    r["household"] = household
    r["person"] = household.members.get(relationship="head")
    r["child"] = household.members.get(relationship="child")
    person = r["person"]

    # Consent for every purpose the pages ask about.
    for purpose in (Purpose.CASE_MANAGEMENT, Purpose.TRACING, Purpose.RETURN):
        r[f"consent_{purpose}"] = consent_record(
            by=worker,
            person=person,
            purpose=purpose,
            legal_basis=LegalBasis.CONSENT,
            given_by=Consent.GivenBy.PERSON,
        )
    r["consent"] = consent_record(
        by=worker,
        person=person,
        purpose=Purpose.REFERRAL,
        recipient=world.c,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.PERSON,
    )

    # Case management.
    case = cases.case_open(by=worker, household=household)
    r["case"] = case
    r["case_note"] = cases.note_add(by=worker, case=case, text=CASE_NOTE)
    r["case_follow_up"] = cases.follow_up_add(
        by=worker, case=case, title="Home visit", due_on=TODAY + 3 * DAY
    )
    r["attachment"] = cases.attachment_add(by=worker, case=case, title="Booklet", content=PNG)
    form = FormDefinition.objects.order_by("slug").first()
    assert form is not None
    r["form"] = form
    version = form.versions.order_by("-number").first()
    assert version is not None
    raw = {
        q["name"]: q["choices"][0]["name"] if q["choices"] else "1"
        for q in version.fields
        if q.get("required")
    }
    r["assessment"] = cases.assessment_record(by=worker, case=case, version=version, raw=raw)
    r["referral"] = cases.referral_create(
        by=worker,
        household=household,
        receiving_organisation=world.c,
        kind=Referral.Kind.REFERRAL,
        service="health",
        consent=Referral.Consent.GIVEN,
    )

    # Psychosocial support: a screening with a risk flag raises an alert.
    r["screening"] = screening_record(
        by=mhpss, person=person, instrument="who5", answers=[0, 0, 0, 0, 0]
    )
    session_record(by=mhpss, person=person, kind="individual", held_on=TODAY, minutes=30, notes="")
    r["alert"] = Alert.objects.get(person=person)

    # Identity: a pair waiting for review, and a merge that can be undone.
    r["match"] = MatchCandidate.objects.create(
        person_a=person, person_b=r["child"], score=0.5, evidence={}
    )
    one = register(worker, reference="A-MTX-7302", members=[head(**_names())]).members.get()
    two = register(
        worker,
        reference="A-MTX-7303",
        members=[head(**_names(date_of_birth=datetime.date(1990, 7, 1), dob_precision="year"))],
    ).members.get()
    merged = MatchCandidate.objects.create(person_a=one, person_b=two, score=0.99, evidence={})
    r["merge"] = candidate_merge(candidate=merged, by=boss, survivor=one)
    r["task"] = Task.objects.create(
        kind="identity.scan", created_by=boss, organisation=world.a, params={}
    )

    # Family tracing: A's mother looks for a son registered by organisation C.
    son = register(
        users["caseworker.c"],
        reference="C-0001",
        members=[
            head(
                first_name_ar=SOUGHT_AR,
                father_name_ar="خالد",
                family_name_ar="العلي",
                sex="M",
                date_of_birth=datetime.date(2003, 2, 10),
            )
        ],
    ).members.get()
    consent_record(
        by=users["caseworker.c"],
        person=son,
        purpose=Purpose.TRACING,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.PERSON,
    )
    request = tracing.request_create(
        by=worker,
        requester=person,
        relationship="child",
        sought=tracing.Sought(
            sex="M", first_name=SOUGHT_AR, father_name="خالد", family_name="العلي", birth_year=2003
        ),
    )
    r["tracing_request"] = request
    r["candidate"] = Candidate.objects.get(request=request, person=son)
    r["contact_request"] = tracing.contact_request_send(by=worker, candidate=r["candidate"])

    # Community work at the destination.
    r["place"] = destination
    r["actor"] = community.actor_create(
        by=liaison,
        data=community.ActorData(
            place=destination,
            kind=CommunityActor.Kind.SHEIKH,
            name=ACTOR_NAME,
            contact=ACTOR_CONTACT,
        ),
    )
    r["activity"] = community.activity_record(
        by=liaison,
        place=destination,
        kind="dialogue",
        held_on=TODAY - DAY,
        participant_roles=["women"],
        participants=12,
        outcome=ACTIVITY_OUTCOME,
    )
    community.acceptance_assess(
        by=liaison,
        place=destination,
        status="accepting",
        assessed_on=TODAY - DAY,
        activity=r["activity"],
    )

    # The way home. The household is scheduled on a planned convoy (by a supervisor's
    # override); a second one came home on an earlier convoy; a third (Iraqi) stays in
    # the Jeddah-1 centre.
    _ready_by_override(world, household, Pathway.SYRIAN_SPONSORSHIP, destination=destination)
    r["override"] = ReadinessOverride.objects.get(household=household)
    r["sponsorship"] = community.sponsorship_request(
        by=liaison, household=household, sponsor=r["actor"]
    )
    r["checklist_item"] = (
        ChecklistItem.objects.filter(
            pathway=Pathway.SYRIAN_SPONSORSHIP, rule="manual", is_active=True
        )
        .order_by("pk")
        .first()
    )
    planned = returns.movement_create(
        by=coordinator,
        kind="convoy",
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        departs_on=TODAY + 10 * DAY,
        origin=place("SY080006-HOL"),
        destination=destination.governorate,
        capacity=40,
        vehicles=1,
        reference=MOVEMENT_REFERENCE,
    )
    returns.movement_add_household(
        by=coordinator, movement=planned, household=household, confirm=True
    )
    r["movement"] = planned
    r["passenger"] = Passenger.objects.get(movement=planned, person=r["child"])

    home = register(
        worker,
        reference="A-MTX-7304",
        nationality="SY",
        origin=destination,
        members=[head(**_names())],
    )
    _ready_by_override(world, home, Pathway.SYRIAN_SPONSORSHIP, destination=destination)
    done = returns.movement_create(
        by=coordinator,
        kind="convoy",
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        departs_on=TODAY - 40 * DAY,
        origin=place("SY080006-HOL"),
        destination=destination.governorate,
        capacity=40,
        vehicles=1,
        reference="CV-MTX-7302",
    )
    _through(world, done, home, arrive=True)
    r["home_household"] = home
    instrument = SurveyInstrument.objects.filter(is_active=True).order_by("pk").first()
    assert instrument is not None
    r["instrument"] = instrument
    answers = {
        q["name"]: next(c["value"] for c in q["choices"] if c.get("score") is not None)
        for q in instrument.definition["questions"]
    }
    r["survey"] = survey_record(
        by=worker,
        household=home,
        instrument=instrument,
        answers=answers,
        conducted_on=TODAY - DAY,
    )
    # the survey did the first follow-up; the next one is still to do
    r["reintegration_follow_up"] = (
        FollowUp.objects.filter(household=home, survey__isnull=True).order_by("due_on").first()
    )

    returns.centres_load()
    iraqi = register(worker, reference="A-MTX-7305", nationality="IQ", members=[head(**_names())])
    _ready_by_override(world, iraqi, Pathway.IRAQI_REPATRIATION, destination=place("IQG01Q01N01"))
    to_centre = returns.movement_create(
        by=coordinator,
        kind="convoy",
        pathway=Pathway.IRAQI_REPATRIATION,
        departs_on=TODAY - 20 * DAY,
        origin=place("SY080006-HOL"),
        centre=Centre.objects.order_by("pk").first(),
        capacity=40,
        vehicles=1,
        reference="CV-MTX-7303",
    )
    _through(world, to_centre, iraqi, arrive=True)
    r["centre_household"] = iraqi
    r["stay"] = CentreStay.objects.get(household=iraqi, exited_on__isnull=True)

    # The data protection officer's breach log.
    r["breach"] = breach_record(
        by=dpo,
        data=BreachData(
            discovered_at=timezone.now() - datetime.timedelta(hours=2),
            description=BREACH_TEXT,
            data_categories=[Breach.DataCategory.values[0]],
            people_categories=[Breach.PeopleCategory.values[0]],
            people_affected=3,
        ),
    )
    # ...and the people's rights: a correction asked for, a retention rule.
    r["correction"] = rights.correction_record(
        by=dpo, person=person, received_on=TODAY, request=CORRECTION_TEXT
    )
    r["retention_rule"] = rights.retention_rule_save(
        by=dpo,
        record_type=RetentionRule.RecordType.values[0],
        after_months=RetentionRule.MIN_MONTHS,
        is_active=False,
    )
    # An import checked and waiting, with a problem quoting a name, and a saved mapping.
    from awda.imports.models import ImportBatch, ImportTemplate

    r["import_batch"] = ImportBatch.objects.create(
        organisation=orgs["a"],
        created_by=worker,
        file_name="list.csv",
        file_sha256="0" * 64,
        kind="registration",
        status=ImportBatch.Status.CHECKED,
        headers=["first name"],
        mapping={"first name": "first_name"},
        problem_count=1,
        problems=[
            {
                "row": 2,
                "column": "first name",
                "problem": "x",
                "value": HEAD_AR,
                "suggestion": "",
                "sheet": "",
                "code": "duplicate",
            }
        ],
    )
    r["import_template"] = ImportTemplate.objects.create(
        organisation=orgs["a"], name="agency list", mapping={"first name": "first_name"}
    )
    r["user"] = worker

    world.needles = [
        HOUSEHOLD_REFERENCE,
        HEAD_AR,
        HEAD_LAT,
        FAMILY_AR,
        FAMILY_LAT,
        CHILD_AR,
        CHILD_LAT,
        CASE_NOTE,
        case.reference,
        MOVEMENT_REFERENCE,
        ACTOR_NAME,
        ACTOR_CONTACT,
        BREACH_TEXT,
        ACTIVITY_OUTCOME,
        SOUGHT_AR,
        CORRECTION_TEXT,
    ]
    return world


@pytest.fixture(scope="module", name="world")
def world_fixture(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The world, built once for a test module (import this fixture into it), inside a
    transaction rolled back at the module's end."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        built = build_world()
        yield built
        transaction.set_rollback(True)
