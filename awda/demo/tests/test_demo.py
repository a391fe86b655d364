from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F
from django.test import RequestFactory

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.audit.models import Action, AuditEntry
from awda.cases.models import Referral
from awda.demo import generate
from awda.demo.generate import DemoSummary, load_demo
from awda.demo.imports import KOBO_HOUSEHOLDS
from awda.places.services import load_built_in
from awda.registry.models import Household, Person

PASSWORD = "demo-test-password-1"
HOUSEHOLDS = 60


@pytest.fixture
def places(db):
    assert all(report.ok for report in load_built_in())


@pytest.fixture
def demo(places) -> DemoSummary:
    return load_demo(households=HOUSEHOLDS, seed=7, password=PASSWORD)


@pytest.mark.django_db
def test_organisations_and_one_user_per_role(demo):
    orgs = {o.slug: o for o in Organisation.objects.all()}
    assert set(orgs) == {"org-a", "org-b", "org-c"}
    assert orgs["org-a"].kind == Organisation.Kind.NATIONAL_NGO
    assert orgs["org-b"].kind == Organisation.Kind.INTERNATIONAL_NGO
    users = User.objects.filter(organisation__in=orgs.values())
    assert users.count() == 27
    for user in users:
        role, letter = user.username.split(".")
        assert user.role == role
        assert user.organisation is not None
        assert user.organisation.slug == f"org-{letter}"
        assert user.first_name
        assert user.last_name
    assert {(u.role, u.organisation.slug) for u in users if u.organisation} == {
        (role.value, slug) for role in Role for slug in orgs
    }
    assert demo.organisations == 3
    assert demo.users == 27


@pytest.mark.django_db
def test_households_and_people(demo):
    households = Household.objects.all()
    assert households.count() == demo.households == HOUSEHOLDS + KOBO_HOUSEHOLDS
    heads = Counter(
        Person.objects.filter(relationship=Person.Relationship.HEAD).values_list(
            "household", flat=True
        )
    )
    assert set(heads) == set(households.values_list("pk", flat=True))
    assert set(heads.values()) == {1}
    people = Person.objects.count()
    assert people == demo.people
    assert 2.5 * HOUSEHOLDS <= people <= 5.5 * HOUSEHOLDS
    by_org = Counter(households.values_list("organisation__slug", flat=True))
    assert by_org["org-a"] > by_org["org-b"] > 0
    assert by_org["org-c"] == 0
    # Every person is in a household of their own organisation.
    assert not Person.objects.exclude(organisation=F("household__organisation")).exists()


@pytest.mark.django_db
def test_second_load_creates_nothing(demo):
    before = (
        Organisation.objects.count(),
        User.objects.count(),
        Household.objects.count(),
        Person.objects.count(),
        Referral.objects.count(),
        AuditEntry.objects.count(),
    )
    again = load_demo(households=HOUSEHOLDS, seed=7, password=PASSWORD)
    assert again.created is False
    assert demo.created is True
    after = (
        Organisation.objects.count(),
        User.objects.count(),
        Household.objects.count(),
        Person.objects.count(),
        Referral.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert (again.households, again.people, again.users) == (
        demo.households,
        demo.people,
        demo.users,
    )


@pytest.mark.django_db
def test_audit_trail_records_the_registrations(demo):
    # Registered through the pages' services (create), or brought in by an import.
    created = AuditEntry.objects.filter(action__in=[Action.CREATE, Action.IMPORT])
    household_ids = set(
        created.filter(object_type="registry.household").values_list("object_id", flat=True)
    )
    assert household_ids == {str(pk) for pk in Household.objects.values_list("pk", flat=True)}
    assert created.filter(object_type="registry.person").count() == Person.objects.count()
    registrars = set(
        created.filter(object_type="registry.household").values_list("actor__username", flat=True)
    )
    assert registrars <= {"registrar.a", "registrar.b"}
    imported = created.filter(action=Action.IMPORT, object_type="registry.household")
    assert imported.count() == KOBO_HOUSEHOLDS
    referred = AuditEntry.objects.filter(action=Action.REFER, object_type="registry.household")
    assert referred.count() == demo.referrals


@pytest.mark.django_db
def test_planted_duplicates(demo):
    assert demo.planted_duplicates >= 2
    assert len(demo.duplicate_pairs) == demo.planted_duplicates
    for (org_1, ref_1), (org_2, ref_2) in demo.duplicate_pairs:
        original = Household.objects.get(organisation__slug=org_1, reference=ref_1)
        duplicate = Household.objects.get(organisation__slug=org_2, reference=ref_2)
        assert original.nationality == duplicate.nationality
        assert (original.camp_block_id, original.tent) != (duplicate.camp_block_id, duplicate.tent)
        head_1 = original.members.get(relationship=Person.Relationship.HEAD)
        head_2 = duplicate.members.get(relationship=Person.Relationship.HEAD)
        assert head_1.sex == head_2.sex
        assert head_1.date_of_birth is not None
        assert head_2.date_of_birth is not None
        assert head_1.date_of_birth.year == head_2.date_of_birth.year
        assert 0 <= original.members.count() - duplicate.members.count() <= 1


@pytest.mark.django_db
def test_the_review_queue_holds_the_planted_duplicates(demo):
    from awda.common.models import Task
    from awda.identity.models import MatchCandidate

    assert Task.objects.get(kind="identity.scan").status == "done"
    heads = {
        (org, ref): Household.objects.get(organisation__slug=org, reference=ref)
        .members.get(relationship=Person.Relationship.HEAD)
        .pk
        for pair in demo.duplicate_pairs
        for org, ref in pair
    }
    found = {frozenset((c.person_a_id, c.person_b_id)) for c in MatchCandidate.objects.all()}
    planted = [frozenset((heads[a], heads[b])) for a, b in demo.duplicate_pairs]
    assert sum(pair in found for pair in planted) >= len(planted) // 2


@pytest.mark.django_db
def test_referrals(demo):
    handovers = Referral.objects.filter(service=Referral.Service.RETURN_SUPPORT)
    assert handovers.count() >= 2  # families home, handed over to a receiving-area partner
    statuses = Counter(Referral.objects.exclude(pk__in=handovers).values_list("status", flat=True))
    assert sum(statuses.values()) == demo.referrals - handovers.count() == 20
    assert statuses[Referral.Status.DECLINED] == 1
    assert statuses[Referral.Status.ACCEPTED] > 0
    assert statuses[Referral.Status.PENDING] > 0
    assert not Referral.objects.exclude(
        sending_organisation__slug="org-a", receiving_organisation__slug="org-b"
    ).exists()


@pytest.mark.django_db
def test_same_seed_same_households(places):
    def plan(seed: int) -> list:
        planner = generate._Planner(
            random.Random(seed), generate._load_places(), generate.REFERENCE_DATE
        )
        return [planner.household("org-a") for _ in range(30)]

    assert plan(3) == plan(3)
    assert plan(3) != plan(4)


@pytest.mark.django_db
def test_users_can_log_in(demo, client):
    request = RequestFactory().post("/accounts/login/")
    for username in ("caseworker.a", "donor.b", "admin.c"):
        assert client.login(request=request, username=username, password=PASSWORD)
        client.logout()
    assert not client.login(request=request, username="caseworker.a", password="wrong-password")


@pytest.mark.django_db
def test_command_refuses_outside_debug_and_demo(places, settings):
    settings.DEBUG = False
    settings.DEMO = False
    with pytest.raises(CommandError, match="never be loaded"):
        call_command("load_demo", households=5)
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_command_prints_logins_and_is_idempotent(places, settings, capsys, monkeypatch):
    settings.DEMO = True
    monkeypatch.setenv("AWDA_DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("PORT", "8123")
    call_command("load_demo", households=8, seed=1)
    out = capsys.readouterr().out
    assert "caseworker.a" in out
    assert PASSWORD in out
    assert "http://127.0.0.1:8123/" in out
    assert Household.objects.count() == 8 + KOBO_HOUSEHOLDS
    call_command("load_demo", households=8, seed=1)
    out = capsys.readouterr().out
    assert "Demo data already loaded" in out
    assert "donor.c" in out
    assert Household.objects.count() == 8 + KOBO_HOUSEHOLDS


@pytest.mark.django_db
def test_the_demo_has_casework_at_every_step(demo):
    from awda.cases.models import Case, FollowUp
    from awda.mhpss.models import Screening

    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"new", "assessment", "case_plan", "services", "monitoring", "closed"} <= statuses
    assert Case.objects.exclude(awaiting="").exists()
    assert FollowUp.objects.exists()
    assert Screening.objects.exists()


@pytest.mark.django_db
def test_the_demo_shows_the_whole_return_pipeline(demo):
    from awda.community.models import AcceptanceActivity, PlaceAcceptance, Sponsorship
    from awda.reintegration.models import FollowUp, Survey
    from awda.returns.models import CentreStay, Homecoming, Movement, ReadinessOverride

    stages = Counter(
        Household.objects.filter(organisation__slug="org-a").values_list("status", flat=True)
    )
    every = [code for code, _label in Household.Status.choices if code != "closed"]
    assert all(stages[code] > 0 for code in every), stages
    movements = Counter(Movement.objects.values_list("status", flat=True))
    assert movements["planned"] >= 1 and movements["departed"] >= 1 and movements["arrived"] >= 2
    assert Movement.objects.filter(centre__isnull=False).exists()
    assert CentreStay.objects.filter(exited_on__isnull=True).exists()
    assert CentreStay.objects.filter(exited_on__isnull=False).exists()
    assert Homecoming.objects.filter(handover__isnull=False).exists()
    follow_ups = Counter(FollowUp.objects.values_list("status", flat=True))
    assert follow_ups["done"] > 0 and follow_ups["due"] > 0
    assert Survey.objects.filter(composite__isnull=False).exists()
    assert Sponsorship.objects.filter(withdrawal_reason="community_pressure").exists()
    assert Sponsorship.objects.filter(status="fulfilled").exists()
    assert AcceptanceActivity.objects.exists()
    history = PlaceAcceptance.objects.values("place").annotate(n=Count("id")).filter(n__gt=1)
    assert history.exists()  # a community that came round after opposing
    assert ReadinessOverride.objects.exists() or stages["eligible"] > 0


@pytest.mark.django_db
def test_the_demo_has_tracing_across_organisations(demo):
    from awda.tracing.models import Candidate, ContactRequest, FamilyLink, TracingRequest

    statuses = Counter(TracingRequest.objects.values_list("status", flat=True))
    assert statuses["contact_restored"] >= 1 and statuses["candidate_found"] >= 1
    held_elsewhere = Candidate.objects.exclude(holder=F("request__organisation"))
    assert held_elsewhere.exists()
    answers = Counter(ContactRequest.objects.values_list("answer", flat=True))
    assert answers["confirmed"] >= 1 and answers[""] >= 1
    assert FamilyLink.objects.filter(source="tracing").exists()
