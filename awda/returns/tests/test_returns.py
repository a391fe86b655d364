"""The return pipeline through its services and pages: intentions, readiness per
pathway, movements with capacity and warnings, departure, arrival, centre stays, arrival
home, handover and the board."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from awda.accounts.models import User
from awda.audit.models import Action, AuditEntry
from awda.cases.models import Referral
from awda.community.models import CommunityActor, PlaceAcceptance, Sponsorship
from awda.conftest import api_client, child, head, logged_in, make_user, place, register
from awda.consent.models import Consent
from awda.consent.services import consent_in_force
from awda.places.models import Place
from awda.registry.models import CivilDocument, Household
from awda.registry.services import PersonData
from awda.reintegration.models import FollowUp
from awda.returns import pipeline, services
from awda.returns.models import (
    Centre,
    CentreStay,
    ChecklistItem,
    Homecoming,
    Intention,
    Movement,
    Passenger,
    Pathway,
)

Stage = Household.Status
TODAY = timezone.localdate()


@pytest.fixture
def coordinator(org_a):
    return make_user("rita", org_a, "returns")


@pytest.fixture
def liaison(org_a):
    return make_user("layla", org_a, "liaison")


@pytest.fixture
def other_coordinator(org_b):
    return make_user("omar", org_b, "returns")


@pytest.fixture(autouse=True)
def _english():
    # The assertions read the messages in English; users get them in their language.
    with translation.override("en"):
        yield


def syrian_subdistrict() -> Place:
    return Place.objects.filter(country="SY", kind="subdistrict").order_by("pcode")[0]


def iraqi_subdistrict() -> Place:
    return place("IQG01Q01N01")


def register_(by, **kw):
    """Register with a registration officer of the acting user's organisation."""
    registrar = User.objects.filter(organisation=by.organisation, role="registrar").first()
    registrar = registrar or make_user(f"reg-{by.organisation.slug}", by.organisation, "registrar")
    return register(registrar, **kw)


def syrian_household(by, reference="S-1", members=None):
    return register_(
        by,
        reference=reference,
        nationality="SY",
        origin=syrian_subdistrict(),
        members=members or [head(), child()],
    )


def give_documents(household):
    for person in household.members.all():
        CivilDocument.objects.update_or_create(
            person=person, kind="family_booklet", defaults={"status": "held"}
        )


def tick_manual(by, household, pathway):
    """The hand-ticked items, and the head's consent to return (read from the records)."""
    for item in ChecklistItem.objects.filter(pathway=pathway, rule="manual"):
        services.checklist_tick(by=by, household=household, item=item, done=True)
    head = household.members.get(relationship="head")
    if consent_in_force(head, "return") is None:
        Consent.objects.create(
            organisation=household.organisation,
            person=head,
            purpose="return",
            legal_basis="consent",
            given_by="person",
            recorded_by=by,
        )


def make_ready_syrian(coordinator, household):
    """Everything a Syrian sponsorship return needs, through the services."""
    destination = syrian_subdistrict()
    services.intention_record(
        by=coordinator,
        household=household,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        destination=destination,
    )
    sheikh = CommunityActor.objects.create(
        organisation=household.organisation,
        place=destination,
        kind="sheikh",
        name="الشيخ حمد العلي",
        created_by=coordinator,
    )
    Sponsorship.objects.create(
        organisation=household.organisation,
        household=household,
        sponsor=sheikh,
        status="agreed",
        agreed_on=TODAY,
        created_by=coordinator,
    )
    PlaceAcceptance.objects.create(
        organisation=household.organisation,
        place=destination.governorate,
        status="accepting",
        recorded_by=coordinator,
    )
    give_documents(household)
    tick_manual(coordinator, household, Pathway.SYRIAN_SPONSORSHIP)
    services.clearance_record(
        by=coordinator, household=household, decision="cleared", decided_on=TODAY, reference="R/1"
    )
    pipeline.stage_refresh(household)
    return household


def make_ready_iraqi(coordinator, household):
    services.intention_record(
        by=coordinator,
        household=household,
        pathway=Pathway.IRAQI_REPATRIATION,
        destination=iraqi_subdistrict(),
    )
    tick_manual(coordinator, household, Pathway.IRAQI_REPATRIATION)
    services.clearance_record(
        by=coordinator, household=household, decision="cleared", decided_on=TODAY
    )
    return household


def convoy(coordinator, *, pathway=Pathway.SYRIAN_SPONSORSHIP, capacity=50, vehicles=2, **kw):
    if pathway == Pathway.IRAQI_REPATRIATION and "centre" not in kw and "destination" not in kw:
        services.centres_load()
        kw["centre"] = Centre.objects.get()
    if pathway == Pathway.SYRIAN_SPONSORSHIP and "destination" not in kw:
        kw["destination"] = syrian_subdistrict().governorate
    return services.movement_create(
        by=coordinator,
        kind="convoy",
        pathway=pathway,
        departs_on=TODAY,
        origin=place("SY080006-HOL"),
        capacity=capacity,
        vehicles=vehicles,
        **kw,
    )


# Intentions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_intention_is_revised_with_its_history_and_sets_the_destination(coordinator):
    household = syrian_household(coordinator)
    first = services.intention_record(
        by=coordinator, household=household, pathway=Pathway.STAYING, reasons="waiting"
    )
    assert household.status == Stage.INTENTION

    second = services.intention_record(
        by=coordinator,
        household=household,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        destination=syrian_subdistrict(),
    )

    assert pipeline.current_intention(household) == second
    assert list(Intention.objects.filter(household=household).order_by("id")) == [first, second]
    household.refresh_from_db()
    assert household.destination == syrian_subdistrict()
    assert household.version == 2  # a concurrent edit of the household form is refused
    assert (
        AuditEntry.objects.filter(object_type="returns.intention", action=Action.CREATE).count()
        == 2
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pathway", "pcode", "field", "message"),
    [
        ("sy_sponsorship", "SY080006-HOL", "destination", "camp is not a destination"),
        ("sy_sponsorship", "SY08", "destination", "sub-district"),
        ("sy_sponsorship", "IQG01Q01N01", "destination", "goes to Syria"),
        ("iq_repatriation", "SY080002", "destination", "goes to Iraq"),
        ("staying", "IQG01Q01N01", "destination", "no destination"),
        ("to_the_moon", None, "pathway", "Choose a pathway"),
    ],
)
def test_an_intention_refuses_a_destination_that_does_not_fit(
    coordinator, pathway, pcode, field, message
):
    household = syrian_household(coordinator)
    with pytest.raises(ValidationError) as error:
        services.intention_record(
            by=coordinator,
            household=household,
            pathway=pathway,
            destination=Place.objects.filter(pcode=pcode).first(),
        )
    assert message in " ".join(error.value.message_dict[field])
    assert not Intention.objects.exists()


@pytest.mark.django_db
def test_another_organisation_cannot_record_an_intention(household, other_coordinator):
    with pytest.raises(PermissionDenied):
        services.intention_record(by=other_coordinator, household=household, pathway="staying")


# Readiness -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_syrian_household_is_ready_only_when_every_item_of_its_checklist_is_met(coordinator):
    household = syrian_household(coordinator)
    destination = syrian_subdistrict()
    services.intention_record(
        by=coordinator, household=household, pathway="sy_sponsorship", destination=destination
    )
    state = pipeline.readiness(household)
    assert [c.item.code for c in state.missing] == [
        "sponsor",
        "acceptance",
        "documents",
        "medical",
        "consent",
        "clearance",
    ]
    assert household.status == Stage.INTENTION

    make_ready_syrian(coordinator, household)
    assert pipeline.readiness(household).complete
    household.refresh_from_db()
    assert household.status == Stage.ELIGIBLE

    # The community withdraws its acceptance at the village's level: the most specific
    # assessment decides, and the household is no longer ready.
    PlaceAcceptance.objects.create(
        organisation=household.organisation,
        place=destination,
        status="opposed",
        recorded_by=coordinator,
    )
    assert [c.item.code for c in pipeline.readiness(household).missing] == ["acceptance"]
    assert pipeline.stage_refresh(household) == Stage.PREPARING


@pytest.mark.django_db
def test_a_member_without_an_identity_document_keeps_the_documents_item_open(coordinator):
    household = make_ready_syrian(coordinator, syrian_household(coordinator))
    son = household.members.get(relationship="child")
    CivilDocument.objects.filter(person=son).delete()
    check = next(c for c in pipeline.readiness(household).checks if c.item.code == "documents")
    assert not check.met
    assert "1 member" in check.detail


@pytest.mark.django_db
def test_an_iraqi_repatriation_needs_no_sponsor_and_a_refused_clearance_blocks_it(coordinator):
    household = make_ready_iraqi(coordinator, register_(coordinator, reference="I-1"))
    assert pipeline.readiness(household).complete

    services.clearance_record(
        by=coordinator, household=household, decision="not_cleared", decided_on=TODAY
    )
    assert [c.item.code for c in pipeline.readiness(household).missing] == ["clearance"]


@pytest.mark.django_db
def test_the_clearance_reference_is_encrypted_at_rest_and_never_audited(coordinator):
    from django.db import connection

    household = register_(coordinator, reference="I-2")
    clearance = services.clearance_record(
        by=coordinator,
        household=household,
        decision="cleared",
        decided_on=TODAY,
        reference="NSA-2026-7781",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM returns_clearance WHERE id = %s", [clearance.pk])
        raw = cursor.fetchone()[0]
    assert "7781" not in raw
    assert "7781" not in str(list(AuditEntry.objects.values_list("details", "changes")))


@pytest.mark.django_db
def test_a_family_staying_is_never_ready(coordinator):
    household = syrian_household(coordinator)
    services.intention_record(by=coordinator, household=household, pathway="staying")
    assert not pipeline.readiness(household).eligible
    assert household.status == Stage.INTENTION


@pytest.mark.django_db
def test_only_a_supervisor_overrides_the_checklist_and_must_say_why(coordinator, supervisor):
    household = register_(coordinator, reference="I-3")
    services.intention_record(
        by=coordinator,
        household=household,
        pathway="iq_repatriation",
        destination=iraqi_subdistrict(),
    )
    with pytest.raises(PermissionDenied):
        services.readiness_override(
            by=coordinator, household=household, reason="urgent medical case"
        )
    with pytest.raises(ValidationError) as error:
        services.readiness_override(by=supervisor, household=household, reason="")
    assert "reason" in error.value.message_dict

    override = services.readiness_override(
        by=supervisor, household=household, reason="Urgent medical evacuation with the family"
    )
    household.refresh_from_db()
    assert household.status == Stage.ELIGIBLE
    entry = AuditEntry.objects.get(action=Action.APPROVE, object_id=str(household.pk))
    assert entry.details["missing"] == ["medical", "consent", "clearance"]

    services.readiness_override_revoke(by=supervisor, override=override)
    household.refresh_from_db()
    assert household.status == Stage.INTENTION


@pytest.mark.django_db
def test_administrators_change_a_pathways_checklist(coordinator, org_a):
    admin = make_user("adam", org_a, "admin")
    household = make_ready_iraqi(coordinator, register_(coordinator, reference="I-4"))
    household.refresh_from_db()
    assert household.status == Stage.ELIGIBLE

    services.checklist_item_save(
        by=admin,
        pathway="iq_repatriation",
        code="vaccinations",
        rule="manual",
        label_ar="اللقاحات",
        label_en="Vaccinations up to date",
        position=25,
    )

    household.refresh_from_db()
    assert household.status == Stage.PREPARING
    assert [c.item.code for c in pipeline.readiness(household).missing] == ["vaccinations"]
    with pytest.raises(PermissionDenied):
        services.checklist_item_save(
            by=coordinator,
            pathway="iq_repatriation",
            code="x",
            rule="manual",
            label_ar="س",
            label_en="x",
            position=1,
        )


# Movements -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_movement_takes_ready_households_of_its_camp_and_pathway_only(coordinator):
    movement = convoy(coordinator)
    not_ready = syrian_household(coordinator, "S-2")
    iraqi = make_ready_iraqi(coordinator, register_(coordinator, reference="I-5"))
    in_roj = make_ready_syrian(
        coordinator,
        register_(
            coordinator,
            reference="S-3",
            nationality="SY",
            camp=place("SY080300-ROJ"),
            camp_section=place("SY080300-ROJ-S1"),
            camp_block=place("SY080300-ROJ-S1-B01"),
        ),
    )
    for household, message in (
        (not_ready, "not ready"),
        (iraqi, "another pathway"),
        (in_roj, "leaves from"),
    ):
        with pytest.raises(ValidationError) as error:
            services.movement_add_household(by=coordinator, movement=movement, household=household)
        assert message in str(error.value), household.reference
    assert not Passenger.objects.exists()


@pytest.mark.django_db
def test_capacity_is_a_hard_limit(coordinator):
    movement = convoy(coordinator, capacity=3, vehicles=1)
    first = make_ready_syrian(coordinator, syrian_household(coordinator, "S-4"))
    second = make_ready_syrian(coordinator, syrian_household(coordinator, "S-5"))
    services.movement_add_household(by=coordinator, movement=movement, household=first)

    with pytest.raises(ValidationError) as error:
        services.movement_add_household(by=coordinator, movement=movement, household=second)

    assert "S-5 (2 people). 1 place left." in str(error.value)
    assert Passenger.objects.filter(household=second).count() == 0
    second.refresh_from_db()
    assert second.status == Stage.ELIGIBLE


@pytest.mark.django_db
def test_a_split_family_and_a_child_alone_need_confirmation_and_an_escort_settles_it(coordinator):
    movement = convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-6"))
    mother = household.members.get(relationship="head")
    son = household.members.get(relationship="child")

    with pytest.raises(services.NeedsConfirmation) as pending:
        services.movement_add_household(
            by=coordinator, movement=movement, household=household, persons=[son]
        )
    assert {w.code for w in pending.value.warnings} == {"family_split", "unaccompanied_child"}
    assert not Passenger.objects.exists()

    adult = make_ready_syrian(
        coordinator,
        syrian_household(
            coordinator,
            "S-7",
            members=[head(first_name_ar="زينب", date_of_birth=datetime.date(1985, 1, 1))],
        ),
    )
    services.movement_add_household(by=coordinator, movement=movement, household=adult)
    escort = adult.members.get()
    services.movement_add_household(
        by=coordinator,
        movement=movement,
        household=household,
        persons=[son],
        escorts={son.pk: escort.pk},
        confirm=True,
    )
    from awda.returns.selectors import movement_warnings

    codes = [w.code for w in movement_warnings(movement)]
    assert codes == ["family_split"]  # the mother stays behind; the child has an escort
    assert not Passenger.objects.filter(person=mother).exists()


@pytest.mark.django_db
def test_vehicles_keep_families_together_where_seats_allow(coordinator):
    movement = convoy(coordinator, capacity=8, vehicles=2)  # 4 seats each
    sizes = {"S-8": 3, "S-9": 1, "S-10": 2, "S-11": 2}
    for reference, size in sizes.items():
        names = ["عمر", "علي", "حسن"]
        members = [head()] + [child(first_name_ar=names[n]) for n in range(size - 1)]
        household = make_ready_syrian(
            coordinator, syrian_household(coordinator, reference, members)
        )
        services.movement_add_household(by=coordinator, movement=movement, household=household)

    seats: dict[str, set[int]] = {}
    for passenger in Passenger.objects.select_related("household"):
        seats.setdefault(passenger.household.reference, set()).add(passenger.vehicle)
    assert all(len(vehicles) == 1 for vehicles in seats.values()), seats
    per_vehicle = {v: Passenger.objects.filter(vehicle=v).count() for v in (1, 2)}
    assert per_vehicle == {1: 4, 2: 4}


@pytest.mark.django_db
def test_nobody_is_booked_on_two_movements(coordinator):
    first, second = convoy(coordinator), convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-21"))
    services.movement_add_household(by=coordinator, movement=first, household=household)
    with pytest.raises(ValidationError):
        services.movement_add_household(by=coordinator, movement=second, household=household)


@pytest.mark.django_db
def test_a_sponsorship_return_goes_from_the_convoy_home_with_follow_ups(coordinator):
    movement = convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-12"))
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    household.refresh_from_db()
    assert household.status == Stage.SCHEDULED

    movement.refresh_from_db()
    services.movement_depart(
        by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
    )
    household.refresh_from_db()
    assert household.status == Stage.DEPARTED

    movement.refresh_from_db()
    services.movement_arrive(
        by=coordinator, movement=movement, expected_version=movement.version, arrived_on=TODAY
    )
    household.refresh_from_db()
    assert household.status == Stage.ARRIVED
    home = Homecoming.objects.get(household=household)
    assert home.place == syrian_subdistrict()
    assert sorted(
        FollowUp.objects.filter(household=household).values_list("months", flat=True)
    ) == [
        1,
        3,
        6,
        12,
    ]
    assert set(Passenger.objects.values_list("status", flat=True)) == {"arrived"}


@pytest.mark.django_db
def test_no_shows_go_back_to_the_ready_list(coordinator):
    movement = convoy(coordinator)
    going = make_ready_syrian(coordinator, syrian_household(coordinator, "S-13"))
    absent = make_ready_syrian(coordinator, syrian_household(coordinator, "S-14"))
    for household in (going, absent):
        services.movement_add_household(by=coordinator, movement=movement, household=household)
    movement.refresh_from_db()

    services.movement_depart(
        by=coordinator,
        movement=movement,
        expected_version=movement.version,
        departed_on=TODAY,
        no_shows=list(absent.members.values_list("pk", flat=True)),
    )

    going.refresh_from_db()
    absent.refresh_from_db()
    assert (going.status, absent.status) == (Stage.DEPARTED, Stage.ELIGIBLE)
    assert set(Passenger.objects.filter(household=absent).values_list("status", flat=True)) == {
        "no_show"
    }


@pytest.mark.django_db
def test_a_stale_departure_is_refused(coordinator):
    from awda.registry.services import EditConflict

    movement = convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-15"))
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    with pytest.raises(EditConflict):
        services.movement_depart(
            by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
        )


@pytest.mark.django_db
def test_an_iraqi_family_stays_in_the_centre_then_goes_home(coordinator):
    movement = convoy(coordinator, pathway=Pathway.IRAQI_REPATRIATION)
    household = make_ready_iraqi(coordinator, register_(coordinator, reference="I-6"))
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    movement.refresh_from_db()
    services.movement_depart(
        by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
    )
    movement.refresh_from_db()
    son = household.members.get(relationship="child")
    services.movement_arrive(
        by=coordinator,
        movement=movement,
        expected_version=movement.version,
        arrived_on=TODAY,
        outcomes={son.pk: "separated"},
    )
    household.refresh_from_db()
    assert household.status == Stage.IN_CENTRE
    assert Passenger.objects.get(person=son).status == "separated"
    stay = CentreStay.objects.get(household=household)

    services.centre_stay_update(by=coordinator, stay=stay, programmes=["psychosocial", "education"])
    with pytest.raises(ValidationError):
        services.centre_exit(by=coordinator, stay=stay, exited_on=TODAY, place=place("IQG01"))
    services.centre_exit(by=coordinator, stay=stay, exited_on=TODAY, place=iraqi_subdistrict())

    household.refresh_from_db()
    assert household.status == Stage.ARRIVED
    assert Homecoming.objects.get(household=household).place == iraqi_subdistrict()
    assert FollowUp.objects.filter(household=household).count() == 4


@pytest.mark.django_db
def test_a_child_born_on_the_way_joins_the_family_and_the_list(coordinator):
    movement = convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-16"))
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    movement.refresh_from_db()
    services.movement_depart(
        by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
    )
    movement.refresh_from_db()
    baby = PersonData(
        first_name_ar="نور",
        father_name_ar="خالد",
        family_name_ar="الجبوري",
        sex="F",
        date_of_birth=TODAY,
        dob_precision="exact",
        relationship="child",
    )

    passenger = services.movement_record_birth(
        by=coordinator, movement=movement, household=household, data=baby
    )

    assert passenger.born_on_the_way and passenger.person.household == household
    assert household.members.count() == 3


@pytest.mark.django_db
def test_the_handover_refers_the_household_with_what_it_needs(coordinator, org_b):
    movement = convoy(coordinator)
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "S-17"))
    son = household.members.get(relationship="child")
    CivilDocument.objects.update_or_create(
        person=son, kind="birth_certificate", defaults={"status": "missing"}
    )
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    movement.refresh_from_db()
    services.movement_depart(
        by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
    )
    movement.refresh_from_db()
    services.movement_arrive(
        by=coordinator, movement=movement, expected_version=movement.version, arrived_on=TODAY
    )
    summary = services.handover_summary(household)
    assert "S-17: 2 people, of whom 1 child." in summary
    assert "Birth certificate (1)" in summary

    referral = services.handover(
        by=coordinator,
        household=household,
        receiving_organisation=org_b,
        kind="transfer",
        summary=summary,
        consent="given",
    )

    assert referral.service == Referral.Service.RETURN_SUPPORT
    assert Homecoming.objects.get(household=household).handover == referral
    with pytest.raises(ValidationError):
        services.handover(
            by=coordinator,
            household=household,
            receiving_organisation=org_b,
            kind="transfer",
            summary=summary,
            consent="given",
        )


@pytest.mark.django_db
def test_closing_and_reopening_a_return_file(coordinator, supervisor):
    household = make_ready_iraqi(coordinator, register_(coordinator, reference="I-7"))
    with pytest.raises(PermissionDenied):
        services.household_close(by=coordinator, household=household, reason="staying")
    services.household_close(by=supervisor, household=household, reason="staying")
    household.refresh_from_db()
    assert household.status == Stage.CLOSED
    assert pipeline.stage_refresh(household) == Stage.CLOSED
    services.household_reopen(by=supervisor, household=household)
    assert household.status == Stage.ELIGIBLE


# Pages and API ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinator_runs_a_convoy_through_the_pages(coordinator, django_assert_max_num_queries):
    households = [
        make_ready_syrian(coordinator, syrian_household(coordinator, f"P-{n}")) for n in range(3)
    ]
    client = logged_in(coordinator)
    destination = syrian_subdistrict().governorate
    response = client.post(
        "/returns/movements/new/",
        {
            "kind": "convoy",
            "pathway": "sy_sponsorship",
            "departs_on": TODAY.isoformat(),
            "origin": place("SY080006-HOL").pk,
            "destination": destination.pk,
            "capacity": "40",
            "vehicles": "2",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    movement = Movement.objects.get()
    detail = client.get(f"/returns/movements/{movement.pk}/")
    assert [h.reference for h in detail.context["eligible"]] == ["P-0", "P-1", "P-2"]

    client.post(
        f"/returns/movements/{movement.pk}/households/", {"household": [h.pk for h in households]}
    )
    assert Passenger.objects.filter(movement=movement).count() == 6
    with django_assert_max_num_queries(60):
        detail = client.get(f"/returns/movements/{movement.pk}/")
    assert detail.context["people"] == 6
    assert "الجبوري" in detail.content.decode()

    movement.refresh_from_db()
    client.post(
        f"/returns/movements/{movement.pk}/departure/",
        {"version": movement.version, "departed_on": TODAY.isoformat()},
    )
    movement.refresh_from_db()
    assert movement.status == "departed"
    client.post(
        f"/returns/movements/{movement.pk}/arrival/",
        {"version": movement.version, "arrived_on": TODAY.isoformat()},
    )
    movement.refresh_from_db()
    assert movement.status == "arrived"
    assert Homecoming.objects.count() == 3

    page = client.get(f"/returns/households/{households[0].pk}/")
    assert page.status_code == 200
    stages = [s.stage for s in page.context["journey"]]
    assert {"registered", "intention", "scheduled", "departed", "arrived"} <= set(stages)


@pytest.mark.django_db
def test_a_warning_comes_back_to_the_page_before_anything_is_written(coordinator):
    movement = convoy(coordinator, capacity=10)
    household = make_ready_syrian(
        coordinator,
        syrian_household(
            coordinator,
            "W-1",
            members=[child(relationship="head", date_of_birth=datetime.date(2012, 1, 1))],
        ),
    )
    client = logged_in(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        f"/returns/movements/{movement.pk}/households/", {"household": [household.pk]}
    )
    assert response.status_code == 200
    assert "no escort" in response.content.decode()
    assert not Passenger.objects.exists()

    client.post(
        f"/returns/movements/{movement.pk}/households/",
        {"household": [household.pk], "confirm": "1"},
    )
    assert Passenger.objects.count() == 1


@pytest.mark.django_db
def test_the_board_counts_households_by_stage_and_filters(coordinator, caseworker):
    make_ready_syrian(coordinator, syrian_household(coordinator, "B-1"))
    make_ready_iraqi(coordinator, register_(coordinator, reference="B-2"))
    register_(coordinator, reference="B-3")
    client = logged_in(caseworker)

    response = client.get("/returns/")
    counts = {c["code"]: c["count"] for c in response.context["columns"]}
    assert (counts["registered"], counts["eligible"]) == (1, 2)

    response = client.get("/returns/", {"pathway": "iq_repatriation"})
    counts = {c["code"]: c["count"] for c in response.context["columns"]}
    assert counts["eligible"] == 1 and counts["registered"] == 0


@pytest.mark.django_db
def test_another_organisation_sees_none_of_a_households_return(coordinator, other_coordinator):
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "X-1"))
    movement = convoy(coordinator)
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    client = logged_in(other_coordinator)
    for url in (
        f"/returns/households/{household.pk}/",
        f"/returns/households/{household.pk}/handover/",
        f"/returns/movements/{movement.pk}/",
        f"/returns/movements/{movement.pk}/edit/",
        f"/returns/movements/{movement.pk}/departure/",
        f"/returns/movements/{movement.pk}/manifest.pdf",
        f"/returns/movements/{movement.pk}/manifest.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/returns/households/{household.pk}/intention/",
        f"/returns/households/{household.pk}/clearance/",
        f"/returns/movements/{movement.pk}/households/",
    ):
        assert (
            client.post(url, {"pathway": "staying", "household": household.pk}).status_code == 404
        ), url
    assert client.get("/returns/").context["total"] == 0
    assert list(client.get("/returns/movements/").context["page"]) == []
    api = api_client(other_coordinator)
    assert api.get(f"/api/v1/movements/{movement.pk}/").status_code == 404
    assert api.get(f"/api/v1/movements/{movement.pk}/manifest.pdf").status_code == 404
    assert api.get("/api/v1/movements/").json()["count"] == 0
    assert api.get(f"/api/v1/intentions/?household={household.pk}").json()["count"] == 0


@pytest.mark.django_db
def test_a_donor_gets_no_return_page(coordinator, donor):
    household = syrian_household(coordinator, "D-1")
    movement = convoy(coordinator)
    client = logged_in(donor)
    for url in (
        "/returns/",
        f"/returns/households/{household.pk}/",
        "/returns/movements/",
        f"/returns/movements/{movement.pk}/",
        "/returns/checklists/",
    ):
        assert client.get(url).status_code == 403, url
    assert api_client(donor).get("/api/v1/movements/").status_code == 403


@pytest.mark.django_db
def test_a_liaison_sees_the_return_but_not_the_clearance_reference_and_cannot_schedule(
    coordinator, liaison
):
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "L-1"))
    movement = convoy(coordinator)
    client = logged_in(liaison)
    page = client.get(f"/returns/households/{household.pk}/")
    assert page.status_code == 200
    assert "R/1" not in page.content.decode()
    assert page.context["clearance_form"] is None
    assert client.get(f"/returns/movements/{movement.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/returns/movements/{movement.pk}/households/", {"household": household.pk}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_the_api_schedules_departs_and_lands_a_movement(coordinator):
    household = make_ready_syrian(coordinator, syrian_household(coordinator, "A-9"))
    api = api_client(coordinator)
    created = api.post(
        "/api/v1/movements/",
        {
            "kind": "flight",
            "pathway": "sy_sponsorship",
            "departs_on": TODAY.isoformat(),
            "origin": "SY080006-HOL",
            "destination": syrian_subdistrict().governorate.pcode,
            "capacity": 20,
            "vehicles": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    movement_id = created.json()["id"]
    son = household.members.get(relationship="child")

    partial = api.post(
        f"/api/v1/movements/{movement_id}/households/",
        {"household": household.pk, "persons": [son.pk]},
        format="json",
    )
    assert partial.status_code == 409
    assert {w["code"] for w in partial.json()["warnings"]} == {
        "family_split",
        "unaccompanied_child",
    }

    added = api.post(
        f"/api/v1/movements/{movement_id}/households/", {"household": household.pk}, format="json"
    )
    assert added.status_code == 201
    assert added.json()["people"] == 2
    version = added.json()["version"]

    stale = api.post(
        f"/api/v1/movements/{movement_id}/departure/",
        {"version": version - 1, "departed_on": TODAY.isoformat()},
        format="json",
    )
    assert stale.status_code == 409
    departed = api.post(
        f"/api/v1/movements/{movement_id}/departure/",
        {"version": version, "departed_on": TODAY.isoformat()},
        format="json",
    )
    assert departed.json()["status"] == "departed"
    arrived = api.post(
        f"/api/v1/movements/{movement_id}/arrival/",
        {"version": departed.json()["version"], "arrived_on": TODAY.isoformat()},
        format="json",
    )
    assert arrived.json()["status"] == "arrived"
    pdf = api.get(f"/api/v1/movements/{movement_id}/manifest.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    reference = created.json()["reference"]
    assert pdf["Content-Disposition"] == f'attachment; filename="manifest-{reference}.pdf"'
    exported = AuditEntry.objects.get(action=Action.EXPORT, object_id=str(movement_id))
    assert exported.details == {"format": "pdf"}


@pytest.mark.django_db
def test_the_api_records_an_intention(coordinator, caseworker):
    household = syrian_household(coordinator, "A-10")
    api = api_client(caseworker)
    response = api.post(
        "/api/v1/intentions/",
        {
            "household": household.pk,
            "pathway": "sy_sponsorship",
            "destination": syrian_subdistrict().pcode,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    bad = api.post(
        "/api/v1/intentions/",
        {"household": household.pk, "pathway": "sy_sponsorship", "destination": "SY08"},
        format="json",
    )
    assert bad.status_code == 400 and "destination" in bad.json()
    listed = api.get("/api/v1/intentions/", {"household": household.pk}).json()
    assert listed["count"] == 1


@pytest.mark.django_db
def test_the_checklists_page_is_for_administrators(org_a, coordinator):
    admin = make_user("adam", org_a, "admin")
    client = logged_in(admin)
    assert client.get("/returns/checklists/").status_code == 200
    response = client.post(
        "/returns/checklists/",
        {
            "pathway": "third_country",
            "code": "embassy_interview",
            "rule": "manual",
            "label_ar": "مقابلة السفارة",
            "label_en": "Embassy interview held",
            "position": "50",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ChecklistItem.objects.filter(code="embassy_interview").exists()
    assert logged_in(coordinator).get("/returns/checklists/").status_code == 403


@pytest.mark.django_db
def test_the_api_completes_a_checklist_and_hands_a_household_over(
    coordinator, other_coordinator, org_b
):
    household = syrian_household(coordinator, "A-11")
    api = api_client(coordinator)
    api.post(
        "/api/v1/intentions/",
        {"household": household.pk, "pathway": "iq_repatriation", "destination": "IQG01Q01N01"},
        format="json",
    )
    readiness = api.get(f"/api/v1/readiness/{household.pk}/").json()
    assert [c["code"] for c in readiness["checks"] if not c["met"]] == [
        "medical",
        "consent",
        "clearance",
    ]
    answer = api.post(
        f"/api/v1/readiness/{household.pk}/checklist/",
        {"item": "medical", "done": True},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    by_hand = api.post(
        f"/api/v1/readiness/{household.pk}/checklist/",
        {"item": "consent", "done": True},
        format="json",
    )
    assert by_hand.status_code == 400  # read from the consent records, not ticked
    head = household.members.get(relationship="head")
    recorded = api.post(
        "/api/v1/consents/",
        {"person": head.pk, "purpose": "return", "legal_basis": "consent", "given_by": "person"},
        format="json",
    )
    assert recorded.status_code == 201
    wrong = api.post(
        f"/api/v1/readiness/{household.pk}/checklist/",
        {"item": "sponsor", "done": True},
        format="json",
    )
    assert wrong.status_code == 400 and "item" in wrong.json()
    cleared = api.post(
        f"/api/v1/readiness/{household.pk}/clearance/",
        {"decision": "cleared", "decided_on": TODAY.isoformat(), "reference": "Q-1"},
        format="json",
    )
    assert cleared.json()["eligible"] is True and cleared.json()["stage"] == "eligible"
    assert (
        api_client(other_coordinator).get(f"/api/v1/readiness/{household.pk}/").status_code == 404
    )

    refused = api.post(
        "/api/v1/handovers/",
        {"household": household.pk, "receiving_organisation": org_b.slug, "consent": "given"},
        format="json",
    )
    assert refused.status_code == 400  # not home yet
    services.centres_load()
    Homecoming.objects.create(household=household, arrived_on=TODAY, recorded_by=coordinator)
    sent = api.post(
        "/api/v1/handovers/",
        {"household": household.pk, "receiving_organisation": org_b.slug, "consent": "given"},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    assert "A-11" in sent.json()["summary"]
    assert Referral.objects.get(pk=sent.json()["referral"]).service == "return_support"
    other = api_client(other_coordinator).post(
        "/api/v1/handovers/",
        {"household": household.pk, "receiving_organisation": org_b.slug, "consent": "given"},
        format="json",
    )
    assert other.status_code == 404


@pytest.mark.django_db
def test_a_household_transferred_on_handover_takes_its_follow_ups_to_the_receiver(
    coordinator, other_coordinator, org_b
):
    from awda.cases.services import referral_accept
    from awda.reintegration.selectors import follow_ups_due_for_user

    household = make_ready_syrian(coordinator, syrian_household(coordinator, "T-1"))
    movement = convoy(coordinator)
    services.movement_add_household(by=coordinator, movement=movement, household=household)
    movement.refresh_from_db()
    services.movement_depart(
        by=coordinator, movement=movement, expected_version=movement.version, departed_on=TODAY
    )
    movement.refresh_from_db()
    services.movement_arrive(
        by=coordinator, movement=movement, expected_version=movement.version, arrived_on=TODAY
    )
    referral = services.handover(
        by=coordinator,
        household=household,
        receiving_organisation=org_b,
        kind="transfer",
        summary=services.handover_summary(household),
        consent="given",
    )
    receiver = make_user("bushra", org_b, "caseworker")

    referral_accept(referral=referral, by=receiver)

    def households_due(user):
        return {f.household_id for group in follow_ups_due_for_user(user).values() for f in group}

    FollowUp.objects.filter(household=household, months=1).update(due_on=TODAY)
    assert household.pk in households_due(receiver)
    assert household.pk not in households_due(coordinator)
    assert logged_in(receiver).get(f"/reintegration/households/{household.pk}/").status_code == 200
    assert (
        logged_in(coordinator).get(f"/reintegration/households/{household.pk}/").status_code == 404
    )


@pytest.mark.django_db
def test_the_stage_is_stored_even_from_a_stale_copy_of_the_household(coordinator):
    household = syrian_household(coordinator, "Z-1")
    stale = Household.objects.get(pk=household.pk)
    services.intention_record(by=coordinator, household=household, pathway="staying")
    Household.objects.filter(pk=household.pk).update(status="registered")  # out of step
    stale.status = "intention"

    assert pipeline.stage_refresh(stale) == Stage.INTENTION
    household.refresh_from_db()
    assert household.status == Stage.INTENTION
