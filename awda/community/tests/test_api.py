from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from awda.audit.models import AuditEntry
from awda.community import services
from awda.community.tests.conftest import CONTACT, DEIR_EZ_ZOR, HASAKEH_SUBDISTRICT, new_actor
from awda.conftest import api_client, place, register


@pytest.fixture
def sponsorship(liaison, household, sheikh):
    return services.sponsorship_request(by=liaison, household=household, sponsor=sheikh)


def test_a_liaison_lists_the_sponsorships_of_a_household(
    liaison, caseworker, household, sheikh, sponsorship
):
    other = register(caseworker, reference="A-2")
    services.sponsorship_request(by=liaison, household=other, sponsor=sheikh)
    api = api_client(liaison)
    body = api.get("/api/v1/sponsorships/", {"household": household.pk}).json()
    assert [row["id"] for row in body["results"]] == [sponsorship.pk]
    row = body["results"][0]
    assert (row["household"], row["sponsor"], row["status"]) == (
        household.pk,
        sheikh.pk,
        "requested",
    )
    assert row["sponsor_name"] == sheikh.name and "contact" not in row
    assert api.get("/api/v1/sponsorships/").json()["count"] == 2
    assert api.get(f"/api/v1/sponsorships/{sponsorship.pk}/").json()["status"] == "requested"
    listed = AuditEntry.objects.filter(action="list").latest("seq")
    assert listed.details["object_type"] == "community.sponsorship"


def test_another_organisation_gets_no_sponsorship_and_404_for_one(
    other_liaison, other_caseworker, sponsorship
):
    for user in (other_liaison, other_caseworker):
        api = api_client(user)
        assert api.get("/api/v1/sponsorships/").json()["count"] == 0
        assert api.get(f"/api/v1/sponsorships/{sponsorship.pk}/").status_code == 404
        assert api.get("/api/v1/community-actors/").json()["count"] == 0
        assert api.get(f"/api/v1/community-actors/{sponsorship.sponsor_id}/").status_code == 404


def test_a_donor_and_an_anonymous_client_are_refused(donor, sponsorship):
    for url in (
        "/api/v1/sponsorships/",
        f"/api/v1/sponsorships/{sponsorship.pk}/",
        "/api/v1/community-actors/",
        f"/api/v1/community-actors/{sponsorship.sponsor_id}/",
    ):
        assert api_client(donor).get(url).status_code == 403, url
        assert APIClient().get(url).status_code in (401, 403), url


def test_the_api_is_read_only(liaison, sponsorship):
    api = api_client(liaison)
    assert api.post("/api/v1/sponsorships/", {}, format="json").status_code == 405
    assert api.patch(f"/api/v1/community-actors/{sponsorship.sponsor_id}/", {}).status_code == 405


def test_actors_come_without_contact_details_unless_the_user_manages_community_work(
    liaison, caseworker, sheikh
):
    staff = api_client(caseworker)
    for payload in (
        staff.get("/api/v1/community-actors/").json()["results"][0],
        staff.get(f"/api/v1/community-actors/{sheikh.pk}/").json(),
    ):
        assert payload["name"] == sheikh.name
        assert "contact" not in payload and "notes" not in payload
        assert CONTACT not in str(payload)
    mine = api_client(liaison).get(f"/api/v1/community-actors/{sheikh.pk}/").json()
    assert mine["contact"] == CONTACT and mine["notes"].startswith("prefers")


def test_actors_carry_their_load_and_filter_by_governorate(
    liaison, household, sheikh, django_assert_max_num_queries
):
    sponsorship = services.sponsorship_request(by=liaison, household=household, sponsor=sheikh)
    services.sponsorship_withdraw(by=liaison, sponsorship=sponsorship, reason="community_pressure")
    far = new_actor(liaison, HASAKEH_SUBDISTRICT, name="far")
    for n in range(5):
        new_actor(liaison, name=f"more {n}")
    api = api_client(liaison)
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/community-actors/", {"governorate": place(DEIR_EZ_ZOR).pk}).json()
    ids = {row["id"] for row in body["results"]}
    assert sheikh.pk in ids and far.pk not in ids and len(ids) == 6
    row = next(r for r in body["results"] if r["id"] == sheikh.pk)
    assert (
        row["open_sponsorships"],
        row["withdrawn_sponsorships"],
        row["withdrawn_under_community_pressure"],
    ) == (0, 1, 1)
