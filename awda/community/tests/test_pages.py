from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection

from awda.audit.models import AuditEntry
from awda.cases.services import referral_accept, referral_create
from awda.community import services
from awda.community.models import AcceptanceActivity, CommunityActor, PlaceAcceptance, Sponsorship
from awda.community.tests.conftest import (
    BASIRA,
    CONTACT,
    DEIR_EZ_ZOR,
    HASAKEH_SUBDISTRICT,
    KISREH,
    intend,
    new_actor,
)
from awda.conftest import logged_in as logged_in_arabic
from awda.conftest import make_user, place, register
from awda.registry.models import Household

D = datetime.date
LISTS = ["/community/actors/", "/community/places/", "/community/activities/"]


def logged_in(user):
    """A client that reads the pages in English, so that messages can be compared."""
    client = logged_in_arabic(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def records(liaison, household, sheikh):
    """One of each: a sponsorship, an activity and an assessment at Kisreh."""
    sponsorship = services.sponsorship_request(
        by=liaison, household=household, sponsor=sheikh, requested_on=D(2025, 2, 1)
    )
    activity = services.activity_record(
        by=liaison,
        place=place(KISREH),
        kind="dialogue",
        held_on=D(2025, 1, 10),
        participant_roles=["tribal_leaders", "women"],
        participants=25,
        outcome="Families may come back after Ramadan.",
    )
    services.acceptance_assess(
        by=liaison,
        place=place(KISREH),
        status="conditional",
        assessed_on=D(2025, 1, 11),
        activity=activity,
    )
    return sponsorship


def _pages(household, sheikh):
    kisreh = place(KISREH).pk
    return [
        *LISTS,
        "/community/actors/new/",
        f"/community/actors/{sheikh.pk}/",
        f"/community/actors/{sheikh.pk}/edit/",
        f"/community/households/{household.pk}/sponsorship/",
        f"/community/places/{kisreh}/",
        f"/community/places/?governorate={place(DEIR_EZ_ZOR).pk}",
        f"/community/places/subdistricts/?governorate={place(DEIR_EZ_ZOR).pk}",
    ]


def test_every_page_works_for_a_liaison(liaison, household, sheikh, records):
    client = logged_in(liaison)
    for url in _pages(household, sheikh):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert 'style="' not in page and "<script>" not in page, url


def test_community_pages_are_arabic_and_right_to_left_by_default(liaison, household, records):
    client = logged_in_arabic(liaison)
    for url in [*LISTS, f"/community/households/{household.pk}/sponsorship/"]:
        page = client.get(url).content.decode()
        assert '<html lang="ar" dir="rtl">' in page, url


def test_another_organisations_liaison_gets_404_for_records_it_does_not_own(
    other_liaison, household, sheikh, records
):
    client = logged_in(other_liaison)
    for url in (
        f"/community/actors/{sheikh.pk}/",
        f"/community/actors/{sheikh.pk}/edit/",
        f"/community/households/{household.pk}/sponsorship/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/community/households/{household.pk}/sponsorship/",
            {"step": "withdraw", "withdraw-sponsorship": records.pk, "withdraw-version": 1},
        ).status_code
        == 404
    )
    # the lists and the place page are theirs: org A's records are not in them
    for url in [*LISTS, f"/community/places/{place(KISREH).pk}/"]:
        page = client.get(url).content.decode()
        assert "الشيخ حمد" not in page and "Ramadan" not in page, url
    page = client.get(f"/community/places/{place(KISREH).pk}/").content.decode()
    assert "text-bg-warning" not in page and "Not assessed" in page


def test_a_donor_gets_403_on_every_community_page(donor, household, sheikh, records):
    client = logged_in(donor)
    for url in _pages(household, sheikh):
        assert client.get(url).status_code == 403, url


def test_the_sponsorship_page_of_a_household_of_another_organisation_is_404(
    liaison, other_household, other_caseworker, org_a
):
    assert (
        logged_in(liaison)
        .get(f"/community/households/{other_household.pk}/sponsorship/")
        .status_code
        == 404
    )
    # even once the household was referred to org A and accepted: sponsorships are the
    # business of the organisation that registered the family
    referral = referral_create(
        by=other_caseworker,
        household=other_household,
        receiving_organisation=org_a,
        kind="referral",
        service="health",
        consent="given",
    )
    referral_accept(referral=referral, by=make_user("sara", org_a, "caseworker"))
    assert (
        logged_in(liaison)
        .get(f"/community/households/{other_household.pk}/sponsorship/")
        .status_code
        == 404
    )


def test_contact_details_are_hidden_from_a_caseworker_but_shown_to_a_liaison(
    caseworker, liaison, household, sheikh, records
):
    staff = logged_in(caseworker)
    for url in (
        f"/community/actors/{sheikh.pk}/",
        f"/community/households/{household.pk}/sponsorship/",
        "/community/actors/",
    ):
        page = staff.get(url).content.decode()
        assert "الشيخ حمد العبيد" in page, url
        assert CONTACT not in page and "evening prayer" not in page, url
    assert staff.get(f"/community/actors/{sheikh.pk}/edit/").status_code == 403
    page = logged_in(liaison).get(f"/community/actors/{sheikh.pk}/").content.decode()
    assert CONTACT in page and "evening prayer" in page
    viewed = AuditEntry.objects.filter(object_type="community.communityactor", action="view")
    assert [e.details["contact"] for e in viewed.order_by("seq")] == [False, True]


def test_a_caseworker_sees_a_sponsorship_but_cannot_record_one(caseworker, household, records):
    client = logged_in(caseworker)
    page = client.get(f"/community/households/{household.pk}/sponsorship/").content.decode()
    assert 'name="step"' not in page
    response = client.post(
        f"/community/households/{household.pk}/sponsorship/",
        {"step": "agree", "agree-sponsorship": records.pk, "agree-version": 1},
    )
    assert response.status_code == 403
    assert Sponsorship.objects.get().status == "requested"


def test_a_liaison_sees_the_sponsorship_but_not_psychosocial_data(liaison, household):
    client = logged_in(liaison)
    person = household.members.first()
    assert client.get(f"/persons/{person.pk}/mhpss/").status_code == 403
    assert client.get(f"/api/v1/screenings/?person={person.pk}").status_code == 403
    assert client.get(f"/community/households/{household.pk}/sponsorship/").status_code == 200


# --- the sponsorship page ---------------------------------------------------------------


def test_a_liaison_requests_agrees_and_withdraws_a_sponsorship_through_the_page(
    liaison, caseworker, household
):
    intend(household, caseworker, KISREH)
    near = new_actor(liaison, KISREH, name="near sheikh")
    above = new_actor(liaison, DEIR_EZ_ZOR, name="governorate council", kind="cso")
    far = new_actor(liaison, HASAKEH_SUBDISTRICT, name="far mukhtar", kind="mukhtar")
    new_actor(liaison, BASIRA, name="retired", is_active=False)
    client = logged_in(liaison)
    url = f"/community/households/{household.pk}/sponsorship/"
    page = client.get(url).content.decode()
    # sponsors of the destination or above it come first, inactive ones are not offered
    assert page.index("governorate council") < page.index("far mukhtar")
    assert page.index("near sheikh") < page.index("far mukhtar")
    assert "retired" not in page
    response = client.post(
        url,
        {"step": "request", "sponsor": near.pk, "requested_on": "2025-02-01", "note": "cousin"},
    )
    assert response.status_code == 302 and response["Location"] == url
    sponsorship = Sponsorship.objects.get()
    assert (sponsorship.sponsor, sponsorship.status) == (near, "requested")
    assert Household.objects.get(pk=household.pk).status == "preparing"
    # a second request while this one is open is refused, in the page
    response = client.post(
        url, {"step": "request", "sponsor": far.pk, "requested_on": "2025-02-02"}
    )
    assert response.status_code == 200
    assert "already has an open sponsorship" in response.content.decode()
    assert Sponsorship.objects.count() == 1
    response = client.post(
        url,
        {
            "step": "agree",
            "agree-sponsorship": sponsorship.pk,
            "agree-version": 1,
            "agree-on": "2025-02-03",
        },
    )
    assert response.status_code == 302
    # withdrawing without a reason says what is missing, and changes nothing
    response = client.post(
        url,
        {
            "step": "withdraw",
            "withdraw-sponsorship": sponsorship.pk,
            "withdraw-version": 2,
            "withdraw-on": "2025-02-04",
        },
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert Sponsorship.objects.get().status == "agreed"
    response = client.post(
        url,
        {
            "step": "withdraw",
            "withdraw-sponsorship": sponsorship.pk,
            "withdraw-version": 2,
            "withdraw-on": "2025-02-04",
            "withdraw-reason": "community_pressure",
            "withdraw-note": "the tribe objected",
        },
    )
    assert response.status_code == 302
    sponsorship.refresh_from_db()
    assert (sponsorship.status, sponsorship.withdrawal_reason) == (
        "withdrawn",
        "community_pressure",
    )
    page = client.get(url).content.decode()
    assert "Community pressure on the sponsor" in page or "withdrawn" in page.lower()
    # the request form is back: the household may be sponsored by someone else
    assert 'value="request"' in page
    detail = client.get(f"/community/actors/{near.pk}/").content.decode()
    assert household.reference in detail
    assert above.pk  # offered above, never chosen


def test_a_step_from_a_stale_page_is_a_conflict_shown_in_the_page(liaison, household, records):
    client = logged_in(liaison)
    url = f"/community/households/{household.pk}/sponsorship/"
    services.sponsorship_agree(by=liaison, sponsorship=records)  # someone else, meanwhile
    response = client.post(
        url,
        {
            "step": "withdraw",
            "withdraw-sponsorship": records.pk,
            "withdraw-version": 1,
            "withdraw-reason": "family_declined",
            "withdraw-on": "2025-02-05",
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert Sponsorship.objects.get().status == "agreed"


def test_a_step_on_a_sponsorship_of_another_household_is_refused(
    liaison, caseworker, household, sheikh, records
):
    second = register(caseworker, reference="A-2")
    response = logged_in(liaison).post(
        f"/community/households/{second.pk}/sponsorship/",
        {
            "step": "agree",
            "agree-sponsorship": records.pk,
            "agree-version": 1,
            "agree-on": "2025-02-02",
        },
    )
    assert response.status_code == 200
    assert "not one of this household" in response.content.decode()
    assert Sponsorship.objects.get().status == "requested"


# --- actors -----------------------------------------------------------------------------


def test_a_liaison_adds_and_edits_an_actor(liaison):
    client = logged_in(liaison)
    deir = place(DEIR_EZ_ZOR)
    response = client.post(
        "/community/actors/new/",
        {
            "kind": "mukhtar",
            "name": "  المختار   سالم ",
            "governorate": deir.pk,
            "place": place(BASIRA).pk,
            "contact": "0999 000 111",
            "is_active": "on",
        },
    )
    actor = CommunityActor.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/community/actors/{actor.pk}/"
    assert (actor.name, actor.place, actor.contact, actor.is_active) == (
        "المختار سالم",
        place(BASIRA),
        "0999 000 111",
        True,
    )
    edit = f"/community/actors/{actor.pk}/edit/"
    assert "0999 000 111" in client.get(edit).content.decode()
    response = client.post(
        edit,
        {"kind": "mukhtar", "name": "المختار سالم", "governorate": deir.pk, "version": 1},
    )
    assert response.status_code == 302
    actor.refresh_from_db()
    # no sub-district: the actor speaks for the whole governorate; unticked: inactive
    assert (actor.place, actor.contact, actor.is_active, actor.version) == (deir, "", False, 2)
    response = client.post(
        edit, {"kind": "sheikh", "name": "x", "governorate": deir.pk, "version": 1}
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert CommunityActor.objects.get().kind == "mukhtar"


def test_an_actor_form_refuses_a_sub_district_of_another_governorate(liaison):
    response = logged_in(liaison).post(
        "/community/actors/new/",
        {
            "kind": "sheikh",
            "name": "x",
            "governorate": place(DEIR_EZ_ZOR).pk,
            "place": place(HASAKEH_SUBDISTRICT).pk,
        },
    )
    assert response.status_code == 200
    assert not CommunityActor.objects.exists()


def test_without_javascript_the_actor_form_offers_the_chosen_governorates_sub_districts(
    liaison,
):
    response = logged_in(liaison).post(
        "/community/actors/new/",
        {"governorate": place(DEIR_EZ_ZOR).pk, "name": "x", "refresh": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and not CommunityActor.objects.exists()
    assert f'value="{place(KISREH).pk}"' in page
    assert f'value="{place(HASAKEH_SUBDISTRICT).pk}"' not in page


def test_the_actor_list_filters_by_governorate_and_kind(liaison):
    new_actor(liaison, KISREH, name="in deir")
    new_actor(liaison, HASAKEH_SUBDISTRICT, name="in hasakeh", kind="mukhtar")
    client = logged_in(liaison)
    page = client.get(f"/community/actors/?governorate={place(DEIR_EZ_ZOR).pk}").content.decode()
    assert "in deir" in page and "in hasakeh" not in page
    page = client.get("/community/actors/?kind=mukhtar").content.decode()
    assert "in deir" not in page and "in hasakeh" in page


def test_the_actor_list_shows_the_load_in_a_bounded_number_of_queries(
    liaison, caseworker, django_assert_max_num_queries
):
    for n in range(8):
        actor = new_actor(liaison, KISREH, name=f"actor {n}")
        sponsorship = services.sponsorship_request(
            by=liaison, household=register(caseworker, reference=f"L-{n}"), sponsor=actor
        )
        services.sponsorship_withdraw(
            by=liaison, sponsorship=sponsorship, reason="community_pressure"
        )
    client = logged_in(liaison)
    # PostgreSQL adds the audit chain's lock
    with django_assert_max_num_queries(12 + (connection.vendor == "postgresql")):
        response = client.get("/community/actors/")
    assert response.status_code == 200
    assert response.content.decode().count("badge text-bg-warning") == 8


# --- places and activities ----------------------------------------------------------------


def test_a_liaison_records_an_activity_and_an_assessment_on_the_place_page(
    liaison, caseworker, household
):
    intend(household, caseworker, KISREH)
    client = logged_in(liaison)
    url = f"/community/places/{place(KISREH).pk}/"
    response = client.post(
        url,
        {
            "record": "activity",
            "activity-kind": "town_hall",
            "activity-held_on": "2025-01-15",
            "activity-participant_roles": ["women", "youth"],
            "activity-participants": "60",
            "activity-outcome": "Questions about schools.",
        },
    )
    assert response.status_code == 302
    activity = AcceptanceActivity.objects.get()
    assert activity.participant_roles == ["women", "youth"]
    response = client.post(
        url,
        {
            "record": "assessment",
            "assessment-status": "accepting",
            "assessment-assessed_on": "2025-01-16",
            "assessment-activity": activity.pk,
        },
    )
    assert response.status_code == 302
    assessment = PlaceAcceptance.objects.get()
    assert (assessment.status, assessment.activity) == ("accepting", activity)
    assert Household.objects.get(pk=household.pk).status == "preparing"
    page = client.get(url).content.decode()
    assert "Questions about schools." in page and "text-bg-success" in page
    # a bad activity says where the problem is and records nothing
    response = client.post(
        url,
        {"record": "activity", "activity-kind": "town_hall", "activity-held_on": "2025-01-15"},
    )
    assert response.status_code == 200 and AcceptanceActivity.objects.count() == 1
    assert "errorlist" in response.content.decode()


def test_the_place_picker_opens_the_chosen_sub_district(liaison):
    client = logged_in(liaison)
    response = client.get(
        "/community/places/", {"governorate": place(DEIR_EZ_ZOR).pk, "place": place(BASIRA).pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/community/places/{place(BASIRA).pk}/"
    assert client.get("/community/places/", {"place": 99999999}).status_code == 404
    options = client.get(
        "/community/places/subdistricts/", {"governorate": place(DEIR_EZ_ZOR).pk}
    ).content.decode()
    assert f'value="{place(KISREH).pk}"' in options
    assert f'value="{place(HASAKEH_SUBDISTRICT).pk}"' not in options


def test_a_caseworker_reads_acceptance_but_cannot_record_it(caseworker, records):
    client = logged_in(caseworker)
    url = f"/community/places/{place(KISREH).pk}/"
    page = client.get(url).content.decode()
    assert client.get(url).status_code == 200 and 'name="record"' not in page
    response = client.post(
        url,
        {
            "record": "assessment",
            "assessment-status": "opposed",
            "assessment-assessed_on": "2025-01-16",
        },
    )
    assert response.status_code == 403
    assert PlaceAcceptance.objects.count() == 1


def test_the_acceptance_list_shows_each_places_current_status_in_bounded_queries(
    liaison, django_assert_max_num_queries
):
    pcodes = ["SY090101", "SY090102", "SY090103", "SY090104", "SY090105", "SY090106"]
    for n, pcode in enumerate(pcodes):
        services.acceptance_assess(
            by=liaison, place=place(pcode), status="opposed", assessed_on=D(2025, 1, 1)
        )
        services.acceptance_assess(
            by=liaison,
            place=place(pcode),
            status="accepting" if n % 2 else "conditional",
            assessed_on=D(2025, 1, 2),
        )
        services.activity_record(
            by=liaison,
            place=place(pcode),
            kind="visit",
            held_on=D(2025, 1, 1),
            participant_roles=["returnees"],
        )
    client = logged_in(liaison)
    with django_assert_max_num_queries(9):  # 8, and the second-factor device
        response = client.get("/community/places/")
    page = response.content.decode()
    assert page.count("text-bg-success") == 3 and page.count("text-bg-warning") == 3
    assert "text-bg-danger" not in page  # the earlier "opposed" is history, not current


def test_the_activity_list_filters_and_shows_roles_as_labels(
    liaison, django_assert_max_num_queries
):
    for n in range(10):
        services.activity_record(
            by=liaison,
            place=place(KISREH if n % 2 else HASAKEH_SUBDISTRICT),
            kind="dialogue" if n % 2 else "town_hall",
            held_on=D(2025, 1, 1 + n),
            participant_roles=["religious_leaders", "host_community"],
        )
    client = logged_in(liaison)
    with django_assert_max_num_queries(10):
        response = client.get("/community/activities/")
    page = response.content.decode()
    assert "Religious leaders" in page and "religious_leaders" not in page
    page = client.get(
        "/community/activities/",
        {"governorate": place(DEIR_EZ_ZOR).pk, "from": "2025-01-03", "to": "2025-01-06"},
    ).content.decode()
    # Kisreh activities on the 4th and 6th
    assert len(re.findall(r'href="/community/places/\d+/"', page)) == 2
    page = client.get("/community/activities/", {"kind": "town_hall"}).content.decode()
    assert len(re.findall(r'href="/community/places/\d+/"', page)) == 5


def test_the_sponsorship_page_queries_are_bounded(
    liaison, caseworker, household, django_assert_max_num_queries
):
    intend(household, caseworker, KISREH)
    for n in range(6):
        actor = new_actor(liaison, KISREH, name=f"s{n}")
        sponsorship = services.sponsorship_request(by=liaison, household=household, sponsor=actor)
        services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason="other", note="n")
    client = logged_in(liaison)
    with django_assert_max_num_queries(16):
        response = client.get(f"/community/households/{household.pk}/sponsorship/")
    assert response.status_code == 200
