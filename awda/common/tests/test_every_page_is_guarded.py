"""Every page and endpoint, for the people who must not get through: nobody logged in,
a donor viewer, and a worker of another organisation."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from awda.cases.services import referral_create
from awda.conftest import api_client, logged_in

PERSONAL_PAGES = [
    "/households/",
    "/households/new/",
    "/households/new/member-row/",
    "/households/{h}/",
    "/households/{h}/edit/",
    "/households/{h}/members/new/",
    "/persons/{p}/",
    "/persons/{p}/edit/",
    "/persons/{p}/leave/",
    "/persons/{p}/move/",
    "/history/household/{h}/",
    "/history/person/{p}/",
    "/referrals/",
    "/referrals/new/{h}/",
    "/places/subdistricts/",
    "/returns/",
    "/returns/households/{h}/",
    "/returns/movements/",
    "/community/actors/",
    "/community/households/{h}/sponsorship/",
    "/community/places/",
    "/community/activities/",
    "/reintegration/follow-ups/",
    "/reintegration/households/{h}/",
    "/reintegration/places/",
]
RECORD_PAGES = [url for url in PERSONAL_PAGES if "{" in url]
API = [
    "/api/v1/households/",
    "/api/v1/households/{h}/",
    "/api/v1/persons/",
    "/api/v1/persons/{p}/",
    "/api/v1/movements/",
    "/api/v1/intentions/",
    "/api/v1/readiness/{h}/",
    "/api/v1/sponsorships/",
    "/api/v1/community-actors/",
    "/api/v1/follow-ups/",
    "/api/v1/surveys/",
    "/api/v1/schema/",
    "/api/v1/docs/",
]


def _fill(url, household):
    return url.format(h=household.pk, p=household.members.first().pk)


@pytest.mark.django_db
def test_nobody_gets_anything_without_logging_in(household):
    client = Client()
    for url in [*PERSONAL_PAGES, "/dashboard/", "/audit/"]:
        response = client.get(_fill(url, household))
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    api = APIClient()
    for url in API:
        assert api.get(_fill(url, household)).status_code in (401, 403), url


@pytest.mark.django_db
def test_a_donor_viewer_gets_no_page_with_personal_data(household, donor):
    client = logged_in(donor)
    for url in [*PERSONAL_PAGES, "/audit/"]:
        assert client.get(_fill(url, household)).status_code in (403, 404), url
    api = api_client(donor)
    for url in API[:4]:
        assert api.get(_fill(url, household)).status_code in (403, 404), url
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_another_organisation_gets_404_for_every_record(household, other_caseworker):
    client = logged_in(other_caseworker)
    for url in RECORD_PAGES:
        response = client.get(_fill(url, household))
        # the history pages are for supervisors: a caseworker is refused the page itself
        assert response.status_code == (403 if url.startswith("/history/") else 404), url
    api = api_client(other_caseworker)
    for url in ("/api/v1/households/{h}/", "/api/v1/persons/{p}/"):
        assert api.get(_fill(url, household)).status_code == 404, url
        assert api.patch(_fill(url, household), {"version": 1}, format="json").status_code == 404


@pytest.mark.django_db
def test_the_referral_answer_is_only_for_the_receiving_organisation(
    caseworker, household, other_caseworker, org_b
):
    from awda.conftest import make_user

    referral = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="health",
    )
    third = make_user("tariq", org_b, "mhpss")  # the right organisation, not the right role
    assert logged_in(third).post(f"/referrals/{referral.pk}/accept/").status_code == 403
    assert Client().post(f"/referrals/{referral.pk}/accept/").status_code == 302
    referral.refresh_from_db()
    assert referral.status == "pending"


DUPLICATE_PAGES = ["/duplicates/", "/duplicates/check-list/"]


@pytest.mark.django_db
def test_duplicate_pages_are_closed_to_anonymous_users_and_donors(donor):
    for url in DUPLICATE_PAGES:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert logged_in(donor).get(url).status_code == 403


@pytest.mark.django_db
def test_a_merge_of_another_organisation_cannot_be_undone(supervisor, org_b, caseworker):
    import datetime

    from awda.conftest import head, make_user, register
    from awda.identity.models import MatchCandidate, Merge
    from awda.identity.services import candidate_merge

    one = register(caseworker, reference="A-1", members=[head()]).members.get()
    two = register(
        caseworker,
        reference="A-2",
        members=[head(date_of_birth=datetime.date(1990, 7, 1), dob_precision="year")],
    ).members.get()
    candidate = MatchCandidate.objects.create(person_a=one, person_b=two, score=0.99, evidence={})
    merge = candidate_merge(candidate=candidate, by=supervisor, survivor=one)
    stranger = make_user("olga", org_b, "supervisor")
    assert logged_in(stranger).post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 404
    assert logged_in(caseworker).post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 403
    assert Merge.objects.get().undone_at is None
