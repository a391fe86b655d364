"""Who sees what: every page that shows personal data, for every persona."""

from __future__ import annotations

import pytest

from awda.audit.models import AuditEntry
from awda.cases.services import referral_accept, referral_create, referral_decline
from awda.conftest import logged_in
from awda.registry.models import Person


def _pages(household, person):
    return [
        f"/households/{household.pk}/",
        f"/households/{household.pk}/edit/",
        f"/households/{household.pk}/members/new/",
        f"/persons/{person.pk}/",
        f"/persons/{person.pk}/edit/",
        f"/persons/{person.pk}/leave/",
        f"/persons/{person.pk}/move/",
        f"/referrals/new/{household.pk}/",
    ]


@pytest.mark.django_db
def test_owner_reaches_every_page_of_its_household(caseworker, household):
    client = logged_in(caseworker)
    person = household.members.first()
    for url in _pages(household, person):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_another_organisation_gets_404_on_every_page_of_a_household(household, other_caseworker):
    client = logged_in(other_caseworker)
    person = household.members.first()
    for url in _pages(household, person):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/households/{household.pk}/edit/", {}).status_code == 404
    assert client.post(f"/persons/{person.pk}/edit/", {}).status_code == 404


@pytest.mark.django_db
def test_it_hides_households_of_other_organisations_from_the_list(
    household, other_household, other_caseworker
):
    response = logged_in(other_caseworker).get("/households/")
    assert response.status_code == 200
    shown = list(response.context["page"].object_list)
    assert shown == [other_household]
    assert "A-0001" not in response.content.decode()


@pytest.mark.django_db
def test_a_search_for_another_organisations_name_finds_nothing(household, other_caseworker):
    response = logged_in(other_caseworker).get("/households/", {"q": "الجبوري"})
    assert list(response.context["page"].object_list) == []


@pytest.mark.django_db
def test_donor_viewer_sees_no_personal_data_anywhere(household, donor):
    client = logged_in(donor)
    person = household.members.first()
    for url in ["/households/", "/households/new/", "/referrals/", *_pages(household, person)]:
        assert client.get(url).status_code in (403, 404), url
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "فاطمة" not in response.content.decode()
    assert client.get("/", follow=False)["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(household):
    from django.test import Client

    client = Client()
    for url in ["/households/", f"/households/{household.pk}/", "/dashboard/", "/referrals/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_an_accepted_referral_shares_the_household_read_only(
    caseworker, household, other_caseworker
):
    referral = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=other_caseworker.organisation,
        kind="referral",
        service="legal_aid",
    )
    client = logged_in(other_caseworker)
    assert client.get(f"/households/{household.pk}/").status_code == 404  # pending
    referral_accept(referral=referral, by=other_caseworker)
    person = household.members.first()
    assert client.get(f"/households/{household.pk}/").status_code == 200
    assert client.get(f"/persons/{person.pk}/").status_code == 200
    assert client.get(f"/households/{household.pk}/edit/").status_code == 404
    assert client.get(f"/persons/{person.pk}/edit/").status_code == 404
    listed = logged_in(other_caseworker).get("/households/").context["page"].object_list
    assert household in list(listed)


@pytest.mark.django_db
def test_a_declined_referral_shares_nothing(caseworker, household, other_caseworker):
    referral = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=other_caseworker.organisation,
        kind="referral",
        service="health",
    )
    referral_decline(referral=referral, by=other_caseworker, note="no capacity")
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_accepted_transfer_moves_the_household_and_its_people(
    caseworker, household, other_caseworker
):
    referral = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=other_caseworker.organisation,
        kind="transfer",
        service="return_support",
    )
    referral_accept(referral=referral, by=other_caseworker)
    assert logged_in(caseworker).get(f"/households/{household.pk}/").status_code == 404
    assert logged_in(other_caseworker).get(f"/households/{household.pk}/edit/").status_code == 200
    assert set(
        Person.objects.filter(household=household).values_list("organisation", flat=True)
    ) == {other_caseworker.organisation_id}


@pytest.mark.django_db
def test_only_the_receiver_answers_a_referral(caseworker, supervisor, household, other_caseworker):
    referral = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=other_caseworker.organisation,
        kind="referral",
        service="mhpss",
    )
    for user in (caseworker, supervisor):  # the sender sees its referral but cannot answer it
        response = logged_in(user).post(f"/referrals/{referral.pk}/accept/")
        assert response.status_code == 403
    response = logged_in(other_caseworker).post(f"/referrals/{referral.pk}/accept/")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"


@pytest.mark.django_db
def test_history_is_for_supervisors_of_records_they_can_see(
    caseworker, supervisor, household, other_caseworker, org_b
):
    from awda.conftest import make_user

    url = f"/history/household/{household.pk}/"
    assert logged_in(caseworker).get(url).status_code == 403
    assert logged_in(supervisor).get(url).status_code == 200
    other_supervisor = make_user("olga", org_b, "supervisor")
    assert logged_in(other_supervisor).get(url).status_code == 404


@pytest.mark.django_db
def test_opening_a_household_page_is_recorded(caseworker, household):
    before = AuditEntry.objects.count()
    logged_in(caseworker).get(f"/households/{household.pk}/", HTTP_X_REQUEST_ID="req-12345678")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == (
        "view",
        "registry.household",
        str(household.pk),
    )
    assert entry.actor == caseworker and entry.organisation == caseworker.organisation
    assert entry.request_id == "req-12345678" and entry.client_ip == "127.0.0.1"


@pytest.mark.django_db
def test_the_list_records_which_households_it_showed_but_not_the_search_term(caseworker, household):
    logged_in(caseworker).get("/households/", {"q": "الجبوري"})
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "list"
    assert entry.details["ids"] == [household.pk]
    assert entry.details["filters"]["searched"] is True
    assert "الجبوري" not in str(entry.details)


@pytest.mark.django_db
def test_the_household_list_query_count_does_not_grow_with_rows(caseworker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from awda.conftest import child, head, register

    client = logged_in(caseworker)
    counts = []
    for total in (3, 30):
        while caseworker.organisation.households.count() < total:
            number = caseworker.organisation.households.count()
            register(caseworker, reference=f"Q-{number}", members=[head(), child(), child()])
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/households/")
        assert response.status_code == 200
        counts.append(len(queries))
    # session, user, second-factor device, count, page, heads, audit (last entry, insert),
    # filter choices, organisation; PostgreSQL adds the audit chain's lock
    assert counts[0] == counts[1] <= 15 + (connection.vendor == "postgresql")
