from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.community import selectors, services
from awda.community.models import AcceptanceActivity, PlaceAcceptance, Sponsorship
from awda.community.services import ActorData
from awda.community.tests.conftest import (
    BASIRA,
    CONTACT,
    DEIR_DISTRICT,
    DEIR_EZ_ZOR,
    HASAKEH_SUBDISTRICT,
    KISREH,
    intend,
    new_actor,
)
from awda.conftest import make_user, place, register
from awda.registry.models import Household
from awda.registry.services import EditConflict

D = datetime.date


FEB_1 = D(2025, 2, 1)


def request(liaison, household, sponsor, on=FEB_1, note=""):
    return services.sponsorship_request(
        by=liaison, household=household, sponsor=sponsor, requested_on=on, note=note
    )


# --- transitions ------------------------------------------------------------------------


def test_a_sponsorship_goes_from_requested_to_agreed_to_fulfilled(liaison, household, sheikh):
    sponsorship = request(liaison, household, sheikh)
    assert sponsorship.status == "requested" and sponsorship.version == 1
    sponsorship = services.sponsorship_agree(by=liaison, sponsorship=sponsorship, on=D(2025, 2, 3))
    assert (sponsorship.status, sponsorship.agreed_on) == ("agreed", D(2025, 2, 3))
    sponsorship = services.sponsorship_fulfil(
        by=liaison, sponsorship=sponsorship, on=D(2025, 3, 1), expected_version=2
    )
    sponsorship.refresh_from_db()
    assert (sponsorship.status, sponsorship.fulfilled_on, sponsorship.version) == (
        "fulfilled",
        D(2025, 3, 1),
        3,
    )


def test_a_requested_sponsorship_cannot_be_fulfilled_before_the_sponsor_agrees(
    liaison, household, sheikh
):
    sponsorship = request(liaison, household, sheikh)
    with pytest.raises(ValidationError) as error:
        services.sponsorship_fulfil(by=liaison, sponsorship=sponsorship)
    assert "Only an agreed sponsorship can be fulfilled" in str(error.value.message_dict["status"])
    sponsorship.refresh_from_db()
    assert sponsorship.status == "requested" and sponsorship.fulfilled_on is None


@pytest.mark.parametrize("step", ["agree", "fulfil", "withdraw"])
def test_an_ended_sponsorship_cannot_move_again(liaison, household, sheikh, step):
    sponsorship = request(liaison, household, sheikh)
    sponsorship = services.sponsorship_agree(by=liaison, sponsorship=sponsorship)
    sponsorship = services.sponsorship_fulfil(by=liaison, sponsorship=sponsorship)
    move = {
        "agree": lambda: services.sponsorship_agree(by=liaison, sponsorship=sponsorship),
        "fulfil": lambda: services.sponsorship_fulfil(by=liaison, sponsorship=sponsorship),
        "withdraw": lambda: services.sponsorship_withdraw(
            by=liaison, sponsorship=sponsorship, reason="other", note="x"
        ),
    }[step]
    with pytest.raises(ValidationError) as error:
        move()
    assert "status" in error.value.message_dict
    sponsorship.refresh_from_db()
    assert sponsorship.status == "fulfilled" and sponsorship.withdrawn_on is None


def test_an_agreed_sponsorship_is_not_agreed_twice(liaison, household, sheikh):
    sponsorship = services.sponsorship_agree(
        by=liaison, sponsorship=request(liaison, household, sheikh)
    )
    with pytest.raises(ValidationError, match="already"):
        services.sponsorship_agree(by=liaison, sponsorship=sponsorship)


def test_requested_and_agreed_sponsorships_can_be_withdrawn_with_a_reason(
    liaison, household, sheikh, caseworker
):
    first = request(liaison, household, sheikh)
    first = services.sponsorship_withdraw(
        by=liaison, sponsorship=first, reason="family_declined", on=D(2025, 2, 2)
    )
    assert (first.status, first.withdrawal_reason, first.withdrawn_on) == (
        "withdrawn",
        "family_declined",
        D(2025, 2, 2),
    )
    second = request(liaison, household, sheikh, on=D(2025, 2, 5), note="asked again")
    second = services.sponsorship_agree(by=liaison, sponsorship=second, on=D(2025, 2, 6))
    second = services.sponsorship_withdraw(
        by=liaison,
        sponsorship=second,
        reason="community_pressure",
        note="the tribe objected",
        on=D(2025, 2, 9),
    )
    assert second.status == "withdrawn" and second.note == "asked again\nthe tribe objected"


def test_a_withdrawal_needs_a_reason(liaison, household, sheikh):
    sponsorship = request(liaison, household, sheikh)
    for reason in ("", "he changed his mind"):
        with pytest.raises(ValidationError) as error:
            services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason=reason)
        assert error.value.message_dict["withdrawal_reason"] == [
            "Choose the reason for the withdrawal."
        ]
    with pytest.raises(ValidationError) as error:
        services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason="other")
    assert "note" in error.value.message_dict
    sponsorship.refresh_from_db()
    assert sponsorship.status == "requested" and sponsorship.withdrawal_reason == ""


def test_dates_may_not_be_in_the_future_nor_before_the_previous_step(liaison, household, sheikh):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        request(liaison, household, sheikh, on=tomorrow)
    assert error.value.message_dict["requested_on"] == ["The date is in the future."]
    sponsorship = request(liaison, household, sheikh, on=D(2025, 2, 1))
    with pytest.raises(ValidationError) as error:
        services.sponsorship_agree(by=liaison, sponsorship=sponsorship, on=D(2025, 1, 31))
    assert "before the request (2025-02-01)" in error.value.message_dict["agreed_on"][0]
    agreed = services.sponsorship_agree(by=liaison, sponsorship=sponsorship, on=D(2025, 2, 10))
    with pytest.raises(ValidationError) as error:
        services.sponsorship_fulfil(by=liaison, sponsorship=agreed, on=D(2025, 2, 9))
    assert "fulfilled_on" in error.value.message_dict


def test_a_stale_version_is_an_edit_conflict(liaison, household, sheikh):
    sponsorship = request(liaison, household, sheikh)
    services.sponsorship_agree(by=liaison, sponsorship=sponsorship, expected_version=1)
    with pytest.raises(EditConflict):
        services.sponsorship_withdraw(
            by=liaison, sponsorship=sponsorship, reason="other", note="x", expected_version=1
        )


# --- one open sponsorship, the sponsor and the household ---------------------------------


def test_a_household_has_one_open_sponsorship_at_a_time(liaison, household, sheikh):
    other = new_actor(liaison, name="المختار سالم", kind="mukhtar")
    request(liaison, household, sheikh)
    with pytest.raises(ValidationError) as error:
        request(liaison, household, other)
    assert "already has an open sponsorship" in error.value.message_dict["household"][0]
    assert Sponsorship.objects.filter(household=household).count() == 1


def test_the_database_refuses_a_second_open_sponsorship_too(liaison, household, sheikh):
    first = request(liaison, household, sheikh)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sponsorship.objects.create(
            organisation_id=first.organisation_id,
            household=household,
            sponsor=sheikh,
            status="agreed",
            created_by=liaison,
        )


def test_the_sponsor_must_be_an_active_actor_of_the_same_organisation(
    liaison, other_liaison, household
):
    retired = new_actor(liaison, is_active=False)
    with pytest.raises(ValidationError) as error:
        request(liaison, household, retired)
    assert "inactive" in error.value.message_dict["sponsor"][0]
    theirs = new_actor(other_liaison)
    with pytest.raises(ValidationError) as error:
        request(liaison, household, theirs)
    assert error.value.message_dict["sponsor"] == [
        "Choose a sponsor from your organisation's list."
    ]
    assert not Sponsorship.objects.exists()


def test_a_household_of_another_organisation_cannot_be_sponsored(other_liaison, household):
    theirs = new_actor(other_liaison)
    with pytest.raises(PermissionDenied):
        request(other_liaison, household, theirs)


def test_only_community_roles_write(caseworker, donor, household, sheikh, liaison):
    with pytest.raises(PermissionDenied):
        request(caseworker, household, sheikh)
    sponsorship = request(liaison, household, sheikh)
    for user in (caseworker, donor):
        with pytest.raises(PermissionDenied):
            services.sponsorship_agree(by=user, sponsorship=sponsorship)
        with pytest.raises(PermissionDenied):
            services.actor_create(
                by=user, data=ActorData(place=place(KISREH), kind="sheikh", name="x")
            )


def test_return_coordinators_and_supervisors_manage_sponsorships(
    org_a, supervisor, household, sheikh
):
    coordinator = make_user("rami", org_a, "returns")
    sponsorship = request(coordinator, household, sheikh)
    services.sponsorship_agree(by=supervisor, sponsorship=sponsorship)
    assert Sponsorship.objects.get().status == "agreed"


# --- load, contact details and the audit ------------------------------------------------


def test_an_actors_load_counts_open_fulfilled_and_withdrawn_under_pressure(
    liaison, caseworker, sheikh
):
    households = [register(caseworker, reference=f"A-{n}") for n in range(6)]
    outcomes = [
        "requested",
        "agreed",
        "fulfilled",
        "community_pressure",
        "community_pressure",
        "sponsor_unavailable",
    ]
    for household, outcome in zip(households, outcomes, strict=True):
        sponsorship = request(liaison, household, sheikh)
        if outcome == "requested":
            continue
        if outcome in ("agreed", "fulfilled"):
            sponsorship = services.sponsorship_agree(by=liaison, sponsorship=sponsorship)
        if outcome == "fulfilled":
            services.sponsorship_fulfil(by=liaison, sponsorship=sponsorship)
        elif outcome != "agreed":
            services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason=outcome)
    idle = new_actor(liaison, name="idle", kind="cso")
    found = {a.pk: a for a in selectors.actors_for_user(liaison)}
    mine = found[sheikh.pk]
    assert (mine.open_count, mine.fulfilled_count, mine.withdrawn_count, mine.pressure_count) == (
        2,
        1,
        3,
        2,
    )
    idle_row = found[idle.pk]
    assert (idle_row.open_count, idle_row.withdrawn_count, idle_row.pressure_count) == (0, 0, 0)


def test_contact_details_are_encrypted_at_rest(sheikh):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact, notes FROM community_communityactor WHERE id = %s", [sheikh.pk]
        )
        contact, notes = cursor.fetchone()
    assert contact and CONTACT not in contact and "+963" not in contact
    assert "evening prayer" not in notes
    assert type(sheikh).objects.get(pk=sheikh.pk).contact == CONTACT


def test_the_audit_trail_never_holds_contact_details_names_or_notes(liaison, household, sheikh):
    services.actor_update(
        by=liaison,
        actor=sheikh,
        expected_version=1,
        data=ActorData(
            place=place(BASIRA),
            kind="sheikh",
            name="الشيخ حمد",
            contact="+963 944 000 000",
            notes="moved",
        ),
    )
    sponsorship = request(liaison, household, sheikh, note="the uncle of the head")
    services.sponsorship_withdraw(
        by=liaison, sponsorship=sponsorship, reason="other", note="threatened by neighbours"
    )
    trail = json.dumps(
        [[e.changes, e.details] for e in AuditEntry.objects.all()], ensure_ascii=False
    )
    for secret in (
        CONTACT,
        "+963",
        "الشيخ",
        "العكيدات",
        "evening prayer",
        "uncle",
        "threatened",
        "moved",
    ):
        assert secret not in trail, secret
    update = AuditEntry.objects.get(object_type="community.communityactor", action="update")
    assert update.changes["place"] == [place(KISREH).pk, place(BASIRA).pk]
    assert update.changes["contact"] != ["+963", "+963 944 000 000"]
    assert "contact" in update.changes and "name" in update.changes


def test_an_actor_edit_from_a_stale_form_is_an_edit_conflict(liaison, sheikh):
    data = ActorData(place=place(KISREH), kind="mukhtar", name="x")
    services.actor_update(by=liaison, actor=sheikh, expected_version=1, data=data)
    with pytest.raises(EditConflict):
        services.actor_update(by=liaison, actor=sheikh, expected_version=1, data=data)


def test_an_actor_needs_a_name_a_kind_and_a_place_outside_the_camps(liaison):
    with pytest.raises(ValidationError) as error:
        services.actor_create(
            by=liaison, data=ActorData(place=place("SY080006-HOL"), kind="chief", name="  ")
        )
    assert set(error.value.message_dict) == {"place", "kind", "name"}


def test_a_caseworker_reads_actors_without_their_contact_details(caseworker, sheikh):
    actor = selectors.actors_for_user(caseworker).get()
    assert {"contact", "notes"} <= actor.get_deferred_fields()
    assert (
        selectors.actors_for_user(make_user("dana2", caseworker.organisation, "donor")).count() == 0
    )


def test_actors_are_filtered_by_governorate_district_place_and_kind(liaison):
    kisreh = new_actor(liaison, KISREH)
    basira = new_actor(liaison, BASIRA, kind="mukhtar")
    governorate_wide = new_actor(liaison, DEIR_EZ_ZOR, kind="cso")
    hasakeh = new_actor(liaison, HASAKEH_SUBDISTRICT)

    def found(**filters):
        return set(
            selectors.actors_for_user(liaison, selectors.ActorFilters(**filters)).values_list(
                "pk", flat=True
            )
        )

    deir = place(DEIR_EZ_ZOR).pk
    assert found(governorate=deir) == {kisreh.pk, basira.pk, governorate_wide.pk}
    assert found(place=place(DEIR_DISTRICT).pk) == {kisreh.pk, basira.pk}
    assert found(place=deir) == {kisreh.pk, basira.pk, governorate_wide.pk}
    assert found(place=place(KISREH).pk) == {kisreh.pk}
    assert found(kind="mukhtar") == {basira.pk}
    assert found() == {kisreh.pk, basira.pk, governorate_wide.pk, hasakeh.pk}


def test_another_organisation_sees_none_of_the_actors(other_liaison, sheikh):
    assert not selectors.actors_for_user(other_liaison).exists()


# --- the household's stage --------------------------------------------------------------


def test_requesting_a_sponsorship_moves_a_household_with_an_intention_to_preparing(
    liaison, caseworker, household, sheikh
):
    intend(household, caseworker)
    household.refresh_from_db()
    assert household.status == "registered"  # nobody refreshed it since the intention
    request(liaison, household, sheikh)
    assert Household.objects.get(pk=household.pk).status == Household.Status.PREPARING


def test_a_withdrawal_is_still_a_step_taken(liaison, caseworker, household, sheikh):
    intend(household, caseworker)
    sponsorship = request(liaison, household, sheikh)
    services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason="family_declined")
    assert Household.objects.get(pk=household.pk).status == Household.Status.PREPARING


def test_an_assessment_of_the_destination_refreshes_the_households_heading_there(
    liaison, caseworker, household
):
    from awda.returns.pipeline import stage_refresh

    intend(household, caseworker, KISREH)
    elsewhere = register(caseworker, reference="A-9")
    intend(elsewhere, caseworker, HASAKEH_SUBDISTRICT)
    for h in (household, elsewhere):
        stage_refresh(h)
        assert h.status == Household.Status.INTENTION
    services.acceptance_assess(
        by=liaison, place=place(DEIR_DISTRICT), status="accepting", assessed_on=D(2025, 1, 9)
    )
    # the destination community accepting is one condition met: preparation has begun
    assert Household.objects.get(pk=household.pk).status == Household.Status.PREPARING
    assert Household.objects.get(pk=elsewhere.pk).status == Household.Status.INTENTION


# --- activities and acceptance ------------------------------------------------------------


def test_an_activity_records_participants_by_role_codes_only(liaison):
    activity = services.activity_record(
        by=liaison,
        place=place(KISREH),
        kind="town_hall",
        held_on=D(2025, 1, 20),
        participant_roles=["women", "tribal_leaders", "women"],
        participants=40,
        outcome="Agreed to receive five families.",
    )
    assert activity.participant_roles == ["tribal_leaders", "women"]
    with pytest.raises(ValidationError) as error:
        services.activity_record(
            by=liaison,
            place=place(KISREH),
            kind="town_hall",
            held_on=D(2025, 1, 20),
            participant_roles=["tribal_leaders", "the sheikh's cousins"],
        )
    assert "the sheikh's cousins" in error.value.message_dict["participant_roles"][0]
    with pytest.raises(ValidationError) as error:
        services.activity_record(
            by=liaison,
            place=place(KISREH),
            kind="picnic",
            held_on=D(2025, 1, 20),
            participant_roles=[],
            participants=-1,
        )
    assert set(error.value.message_dict) == {"kind", "participant_roles", "participants"}
    assert AcceptanceActivity.objects.count() == 1


def test_a_places_current_acceptance_is_its_latest_assessment_and_the_rest_its_history(
    liaison, other_liaison
):
    kisreh = place(KISREH)
    workshop = services.activity_record(
        by=liaison,
        place=kisreh,
        kind="leaders_workshop",
        held_on=D(2025, 1, 10),
        participant_roles=["tribal_leaders"],
    )
    services.acceptance_assess(
        by=liaison, place=kisreh, status="opposed", assessed_on=D(2025, 1, 2)
    )
    services.acceptance_assess(
        by=liaison,
        place=kisreh,
        status="conditional",
        assessed_on=D(2025, 1, 12),
        activity=workshop,
    )
    services.acceptance_assess(
        by=other_liaison, place=kisreh, status="accepting", assessed_on=D(2025, 1, 20)
    )
    history = list(selectors.acceptance_history(liaison, kisreh))
    assert [a.status for a in history] == ["conditional", "opposed"]
    [standing] = selectors.acceptance_by_place(liaison)
    assert (standing.place, standing.status, standing.assessed_on) == (
        kisreh,
        "conditional",
        D(2025, 1, 12),
    )
    assert (standing.activity_count, standing.last_activity_on) == (1, D(2025, 1, 10))
    assert selectors.acceptance_current(liaison, place(BASIRA)) is None
    services.acceptance_assess(
        by=liaison, place=place(DEIR_DISTRICT), status="accepting", assessed_on=D(2025, 1, 3)
    )
    # a sub-district without its own assessment follows the district's
    assert selectors.acceptance_current(liaison, place(BASIRA)).status == "accepting"
    assert selectors.acceptance_current(liaison, kisreh).status == "conditional"


def test_an_assessment_links_only_an_activity_of_the_organisation_at_that_place(
    liaison, other_liaison
):
    theirs = services.activity_record(
        by=other_liaison,
        place=place(KISREH),
        kind="dialogue",
        held_on=D(2025, 1, 10),
        participant_roles=["youth"],
    )
    with pytest.raises(ValidationError) as error:
        services.acceptance_assess(
            by=liaison,
            place=place(KISREH),
            status="accepting",
            assessed_on=D(2025, 1, 12),
            activity=theirs,
        )
    assert "activity" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.acceptance_assess(
            by=liaison, place=place(KISREH), status="welcoming", assessed_on=D(2025, 1, 12)
        )
    assert "status" in error.value.message_dict
    assert not PlaceAcceptance.objects.filter(organisation_id=liaison.organisation_id).exists()
