"""Screenings: exact scores against worked examples, clear refusals, alerts, and who may
see them."""

from __future__ import annotations

import pytest

from awda.audit.models import AuditEntry
from awda.cases.models import Alert
from awda.cases.services import referral_accept, referral_create
from awda.conftest import api_client, logged_in, make_user
from awda.mhpss.instruments import INSTRUMENTS

URL = "/api/v1/screenings/"

# instrument, answers, raw, reported score, band, flags
WORKED = [
    ("who5", [5, 5, 5, 5, 5], 25, 100, "adequate", []),
    ("who5", [3, 3, 3, 2, 2], 13, 52, "adequate", []),
    ("who5", [3, 3, 2, 2, 2], 12, 48, "poor", ["poor_wellbeing"]),
    ("who5", [5, 5, 5, 5, 1], 21, 84, "poor", ["item_at_0_or_1"]),
    ("who5", [0, 0, 0, 0, 0], 0, 0, "poor", ["poor_wellbeing", "item_at_0_or_1"]),
    ("k6", [0, 0, 0, 0, 0, 0], 0, 0, "below_threshold", []),
    ("k6", [2, 2, 2, 2, 2, 2], 12, 12, "below_threshold", []),
    ("k6", [3, 2, 2, 2, 2, 2], 13, 13, "serious", ["serious_distress"]),
    ("k6", [4, 4, 4, 4, 4, 4], 24, 24, "serious", ["serious_distress"]),
    ("k10", [1] * 10, 10, 10, "low", []),
    ("k10", [1] * 5 + [2] * 5, 15, 15, "low", []),
    ("k10", [2] * 6 + [1] * 4, 16, 16, "moderate", []),
    ("k10", [2] * 10 + [], 20, 20, "moderate", []),
    ("k10", [3] * 2 + [2] * 8, 22, 22, "high", ["high_distress"]),
    ("k10", [3] * 9 + [2], 29, 29, "high", ["high_distress"]),
    ("k10", [3] * 10, 30, 30, "very_high", ["very_high_distress"]),
    ("k10", [5] * 10, 50, 50, "very_high", ["very_high_distress"]),
]


@pytest.fixture
def mhpss_worker(org_a):
    return make_user("mona", org_a, "mhpss")


@pytest.mark.parametrize(("instrument", "answers", "raw", "score", "band", "flags"), WORKED)
def test_scores_match_the_worked_examples(instrument, answers, raw, score, band, flags):
    result = INSTRUMENTS[instrument].score(INSTRUMENTS[instrument].check(answers))
    assert (result.raw_score, result.score, result.band, result.flags) == (raw, score, band, flags)


@pytest.mark.django_db
def test_the_api_scores_and_raises_an_alert_for_a_risk(mhpss_worker, household, supervisor):
    person = household.members.get(relationship="head")
    response = api_client(mhpss_worker).post(
        URL, {"person": person.pk, "instrument": "who5", "answers": [3, 3, 2, 2, 2]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["raw_score"], body["score"], body["band"], body["flags"]) == (
        12,
        48,
        "poor",
        ["poor_wellbeing"],
    )
    alert = Alert.objects.get()
    assert alert.person == person and alert.roles == ["mhpss", "supervisor"]
    entry = AuditEntry.objects.filter(action="screen").get()
    assert "48" not in str(entry.details) and "answers" not in str(entry.details)
    for user in (mhpss_worker, supervisor):
        assert logged_in(user).get("/alerts/").context["alerts"] == [alert]
    calm = api_client(mhpss_worker).post(
        URL, {"person": person.pk, "instrument": "k10", "answers": [1] * 10}, format="json"
    )
    assert calm.json()["flags"] == [] and Alert.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        ("who5", [3, 3, 3, 3], "WHO-5 has 5 items. 4 answers were given."),
        ("who5", [3, 3, 6, 3, 3], "Item 3: 6 is outside 0-5."),
        ("k10", [1, 1, None, 1, 1, 1, 1, 1, 1, 1], "Item 3 is missing."),
        ("k10", [0] * 10, "Item 1: 0 is outside 1-5."),
        ("k6", [1, 1, 1, 1, 1, "x"], "Item 6: 'x' is not a whole number."),
        ("k6", [1, 1, 1, 1, 1, 1.5], "Item 6: 1.5 is not a whole number."),
    ],
)
def test_bad_answers_are_refused_naming_the_item(
    mhpss_worker, household, instrument, answers, message
):
    from django.utils import translation

    person = household.members.get(relationship="head")
    with translation.override("en"):
        response = api_client(mhpss_worker).post(
            URL,
            {"person": person.pk, "instrument": instrument, "answers": answers},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert message in str(response.json()["answers"])
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_only_mhpss_roles_of_the_owner_see_screenings(
    mhpss_worker, household, caseworker, donor, org_a, other_caseworker, org_b
):
    person = household.members.get(relationship="head")
    api_client(mhpss_worker).post(
        URL, {"person": person.pk, "instrument": "k6", "answers": [4] * 6}, format="json"
    )
    returns = make_user("rami", org_a, "returns")
    liaison = make_user("lina", org_a, "liaison")
    other_mhpss = make_user("omar", org_b, "mhpss")
    for user in (caseworker, returns, liaison, donor, other_caseworker):
        assert api_client(user).get(URL).status_code == 403
        assert logged_in(user).get(f"/persons/{person.pk}/mhpss/").status_code in (403, 404)
    assert api_client(other_mhpss).get(URL).json()["count"] == 0
    assert logged_in(other_mhpss).get(f"/persons/{person.pk}/mhpss/").status_code == 404
    assert api_client(mhpss_worker).get(URL).json()["count"] == 1
    assert logged_in(mhpss_worker).get(f"/persons/{person.pk}/mhpss/").status_code == 200


@pytest.mark.django_db
def test_a_referral_opens_mhpss_data_only_when_it_is_an_mhpss_referral(
    mhpss_worker, caseworker, household, other_caseworker, org_b
):
    person = household.members.get(relationship="head")
    api_client(mhpss_worker).post(
        URL, {"person": person.pk, "instrument": "k6", "answers": [1] * 6}, format="json"
    )
    other_mhpss = make_user("omar", org_b, "mhpss")
    legal = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="legal_aid",
    )
    referral_accept(referral=legal, by=other_caseworker)
    assert api_client(other_mhpss).get(URL).json()["count"] == 0
    mhpss = referral_create(
        consent="given",
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="mhpss",
    )
    referral_accept(referral=mhpss, by=other_caseworker)
    assert api_client(other_mhpss).get(URL).json()["count"] == 1
    assert api_client(other_caseworker).get(URL).status_code == 403


@pytest.mark.django_db
def test_alerts_stay_within_the_organisation_and_the_roles_they_name(
    mhpss_worker, household, caseworker, donor, org_b
):
    person = household.members.get(relationship="head")
    api_client(mhpss_worker).post(
        URL, {"person": person.pk, "instrument": "k6", "answers": [4] * 6}, format="json"
    )
    alert = Alert.objects.get()
    other_mhpss = make_user("omar", org_b, "mhpss")
    assert logged_in(other_mhpss).get("/alerts/").context["alerts"] == []
    assert logged_in(other_mhpss).post(f"/alerts/{alert.pk}/done/").status_code == 404
    assert (
        logged_in(caseworker).get("/alerts/").context["alerts"] == []
    )  # not addressed to caseworkers
    assert logged_in(caseworker).post(f"/alerts/{alert.pk}/done/").status_code == 404
    assert logged_in(donor).get("/alerts/").status_code == 403
    assert logged_in(mhpss_worker).post(f"/alerts/{alert.pk}/done/").status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == mhpss_worker


@pytest.mark.django_db
def test_the_page_records_a_screening_and_a_session(mhpss_worker, household, supervisor):
    person = household.members.get(relationship="head")
    client = logged_in(mhpss_worker)
    items = {f"item_{i}": "2" for i in range(1, 11)}
    response = client.post(
        f"/persons/{person.pk}/mhpss/",
        {"instrument": "k10", **items, "administered_on": "2026-11-01"},
    )
    assert response.status_code == 302
    client.post(
        f"/persons/{person.pk}/mhpss/",
        {
            "record": "session",
            "kind": "individual",
            "held_on": "2026-11-02",
            "minutes": "50",
            "notes": "first session",
        },
    )
    page = client.get(f"/persons/{person.pk}/mhpss/").content.decode()
    assert "2026-11-01" in page and "first session" in page and 'id="scores-data"' in page
    bad = client.post(
        f"/persons/{person.pk}/mhpss/", {"instrument": "k10", **{**items, "item_4": "9"}}
    )
    assert bad.status_code == 200 and "9" in bad.content.decode()
    # a supervisor reads but does not record
    assert logged_in(supervisor).get(f"/persons/{person.pk}/mhpss/").status_code == 200
    assert (
        logged_in(supervisor)
        .post(f"/persons/{person.pk}/mhpss/", {"instrument": "k10", **items})
        .status_code
        == 404
    )
    notes = AuditEntry.objects.filter(object_type="mhpss.session")
    assert notes.exists() and "first session" not in str(
        list(notes.values_list("changes", "details"))
    )


@pytest.mark.django_db
def test_a_session_without_a_sensible_length_is_refused_with_a_reason(mhpss_worker, household):
    person = household.members.get(relationship="head")
    response = logged_in(mhpss_worker).post(
        f"/persons/{person.pk}/mhpss/", {"record": "session", "kind": "group", "minutes": "abc"}
    )
    assert response.status_code == 200 and response.context["errors"]
