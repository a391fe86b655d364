"""The reintegration pages: follow-ups due, a household's schedule, survey form and
scores over time, outcomes by place; and who may open them."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from awda.conftest import logged_in, register
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, Survey
from awda.reintegration.selectors import place_outcomes
from awda.reintegration.services import follow_ups_schedule, survey_record
from awda.reintegration.tests.conftest import home

D = datetime.date
ANSWERS = {"e1": "b", "e2": "b", "s1": "b", "p1": "b", "p2": "a"}  # composite 0.4458


def _arrive(by, household, arrived_on, pcode="SY020001"):
    home(household, arrived_on, by, pcode)
    follow_ups_schedule(by=by, household=household, arrived_on=arrived_on)


@pytest.mark.django_db
def test_the_follow_up_list_sorts_overdue_today_and_upcoming(
    caseworker, household, django_assert_max_num_queries
):
    today = timezone.localdate()
    _arrive(caseworker, household, today - datetime.timedelta(days=40))  # 1 month: overdue
    for number, days in enumerate([31, 80, 95]):
        other = register(caseworker, reference=f"L-{number}")
        _arrive(caseworker, other, today - datetime.timedelta(days=days))
    FollowUp.objects.filter(household__reference="L-0", months=1).update(due_on=today)
    FollowUp.objects.filter(household__reference="L-1", months=3).update(
        due_on=today + datetime.timedelta(days=10)
    )
    client = logged_in(caseworker)
    with django_assert_max_num_queries(8):
        response = client.get("/reintegration/follow-ups/")
    due = response.context["due"]
    assert [f.household.reference for f in due["today"]] == ["L-0"]
    assert ("L-1", 3) in [(f.household.reference, f.months) for f in due["upcoming"]]
    assert ("A-0001", 1) in [(f.household.reference, f.months) for f in due["overdue"]]
    page = response.content.decode()
    assert f"/reintegration/households/{household.pk}/" in page


@pytest.mark.django_db
def test_the_follow_up_list_shows_only_the_users_organisation(
    caseworker, household, other_caseworker, other_household
):
    today = timezone.localdate()
    _arrive(caseworker, household, today - datetime.timedelta(days=40))
    due = logged_in(other_caseworker).get("/reintegration/follow-ups/").context["due"]
    assert due == {"overdue": [], "today": [], "upcoming": []}


@pytest.mark.django_db
def test_a_caseworker_records_a_survey_on_the_household_page(caseworker, household, tiny):
    _arrive(caseworker, household, D(2025, 1, 31))
    client = logged_in(caseworker)
    page = client.get(f"/reintegration/households/{household.pk}/?instrument=tiny")
    assert page.status_code == 200 and page.context["instrument"] == tiny
    assert len(page.context["schedule"]) == 4
    form = {f"q_{k}": v for k, v in ANSWERS.items()}
    response = client.post(
        f"/reintegration/households/{household.pk}/",
        {"instrument_id": tiny.pk, "follow_up": "", "conducted_on": "2025-03-10", **form},
    )
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert survey.composite == 0.4458 and survey.follow_up.months == 1
    household.refresh_from_db()
    assert household.status == Household.Status.FOLLOWED_UP
    page = client.get(f"/reintegration/households/{household.pk}/")
    chart = json.loads(
        page.content.decode()
        .split('id="outcome-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert chart["labels"] == ["2025-03-10"]
    assert [d["data"] for d in chart["datasets"]] == [[0.4167], [0.6], [0.35], [0.4458]]
    assert "0.45" in page.content.decode()


@pytest.mark.django_db
def test_a_refused_survey_shows_why_and_keeps_the_answers(caseworker, household, tiny):
    _arrive(caseworker, household, D(2025, 1, 31))
    client = logged_in(caseworker)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(
        f"/reintegration/households/{household.pk}/",
        {"instrument_id": tiny.pk, "conducted_on": "2025-01-01", "q_e1": "b"},
    )
    assert response.status_code == 200
    assert "The survey date is before the arrival home (2025-01-31)." in response.content.decode()
    assert 'value="b" checked' in response.content.decode()
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_the_default_instrument_form_groups_questions_by_dimension(
    caseworker, household, default_instrument
):
    _arrive(caseworker, household, D(2025, 1, 31))
    client = logged_in(caseworker)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/reintegration/households/{household.pk}/")
    assert [(label, len(qs)) for label, _w, qs in page.context["dimensions"]] == [
        ("Economic", 5),
        ("Social", 5),
        ("Psychosocial", 5),
    ]
    text = page.content.decode()
    assert "Shipped default, not an official instrument" in text
    assert "What is the household&#x27;s main source of income now?" in text


@pytest.mark.django_db
def test_a_follow_up_is_marked_missed_on_the_page(caseworker, household, other_caseworker):
    _arrive(caseworker, household, D(2025, 1, 31))
    first = FollowUp.objects.get(household=household, months=1)
    denied = logged_in(other_caseworker).post(
        f"/reintegration/follow-ups/{first.pk}/missed/", {"note": "x"}
    )
    assert denied.status_code == 404
    response = logged_in(caseworker).post(
        f"/reintegration/follow-ups/{first.pk}/missed/", {"note": "Could not be reached"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "missed"


@pytest.mark.django_db
def test_liaisons_and_donors_get_403_on_pages_with_scores(
    caseworker, household, liaison, donor, tiny
):
    _arrive(caseworker, household, D(2025, 1, 31))
    survey_record(
        by=caseworker,
        household=household,
        instrument=tiny,
        answers=ANSWERS,
        conducted_on=D(2025, 3, 10),
    )
    for user in (liaison, donor):
        client = logged_in(user)
        for url in (
            "/reintegration/follow-ups/",
            f"/reintegration/households/{household.pk}/",
            "/reintegration/places/",
        ):
            assert client.get(url).status_code == 403, (user.role, url)


@pytest.mark.django_db
def test_another_organisation_gets_404_for_the_household_page(
    caseworker, household, other_caseworker
):
    _arrive(caseworker, household, D(2025, 1, 31))
    assert (
        logged_in(other_caseworker).get(f"/reintegration/households/{household.pk}/").status_code
        == 404
    )


@pytest.mark.django_db
def test_an_mhpss_worker_reads_scores_but_gets_no_form(caseworker, household, mhpss_worker, tiny):
    _arrive(caseworker, household, D(2025, 1, 31))
    client = logged_in(mhpss_worker)
    page = client.get(f"/reintegration/households/{household.pk}/")
    assert page.status_code == 200 and page.context["can_record"] is False
    posted = client.post(
        f"/reintegration/households/{household.pk}/",
        {"instrument_id": tiny.pk, "conducted_on": "2025-03-10", "q_e1": "a"},
    )
    assert posted.status_code == 403 and not Survey.objects.exists()


@pytest.mark.django_db
def test_outcomes_by_place_count_coverage_and_mean_latest_scores(
    caseworker, tiny, other_caseworker
):
    today = timezone.localdate()
    long_ago = D(2024, 1, 15)  # every follow-up is due by now
    aleppo_1 = register(caseworker, reference="P-1")
    aleppo_2 = register(caseworker, reference="P-2")
    anbar = register(caseworker, reference="P-3")
    _arrive(caseworker, aleppo_1, long_ago, "SY020001")  # Atareb, Aleppo
    _arrive(caseworker, aleppo_2, long_ago, "SY020002")  # Tall Ed-daman, Aleppo
    _arrive(caseworker, anbar, today, "IQG01Q01N01")  # al-Amirya, Anbar: nothing due yet
    record = lambda h, answers, on: survey_record(  # noqa: E731
        by=caseworker, household=h, instrument=tiny, answers=answers, conducted_on=on
    )
    record(aleppo_1, {"e1": "a", "e2": "a", "s1": "a", "p1": "a", "p2": "a"}, D(2024, 2, 15))
    # the latest survey counts: composite 0.4458 (see test_instruments)
    record(aleppo_1, ANSWERS, D(2024, 4, 15))
    record(aleppo_2, {"s1": "b"}, D(2024, 2, 15))  # social 0.6 only, composite 0.6
    # another organisation's household in the same place is not counted
    theirs = register(other_caseworker, reference="B-9")
    _arrive(other_caseworker, theirs, long_ago, "SY020001")

    outcomes = place_outcomes(caseworker)
    assert [(r.place.pcode, r.households) for r in outcomes.governorates] == [
        ("IQG01", 1),
        ("SY02", 2),
    ]
    aleppo = outcomes.governorates[1]
    assert (aleppo.follow_ups_done, aleppo.follow_ups_due, aleppo.coverage_percent) == (3, 8, 38)
    assert aleppo.surveyed == 2
    assert aleppo.composite == round((0.4458 + 0.6) / 2, 4)
    assert aleppo.social == 0.6  # (0.6 + 0.6) / 2
    assert aleppo.economic == 0.4167  # aleppo_2 has no economic score
    anbar_row = outcomes.governorates[0]
    assert (anbar_row.follow_ups_due, anbar_row.coverage, anbar_row.composite) == (0, None, None)
    assert [r.place.pcode for r in outcomes.subdistricts] == ["IQG01Q01N01", "SY020001", "SY020002"]
    assert outcomes.total.households == 3


@pytest.mark.django_db
def test_the_places_page_draws_a_chart_in_a_fixed_number_of_queries(
    caseworker, tiny, django_assert_max_num_queries
):
    for number in range(6):
        household = register(caseworker, reference=f"R-{number}")
        _arrive(caseworker, household, D(2024, 1, 15), "SY020001" if number % 2 else "IQG01Q01N01")
        survey_record(
            by=caseworker,
            household=household,
            instrument=tiny,
            answers=ANSWERS,
            conducted_on=D(2024, 2, 15),
        )
    client = logged_in(caseworker)
    with django_assert_max_num_queries(10):  # 9, and the second-factor device
        response = client.get("/reintegration/places/")
    assert response.status_code == 200
    chart = response.context["chart"]
    assert len(chart["labels"]) == 2 and chart["datasets"][3]["data"] == [0.4458, 0.4458]
    assert 'data-series="places-data"' in response.content.decode()


@pytest.mark.django_db
def test_pages_carry_no_inline_script_or_style(caseworker, household, default_instrument):
    _arrive(caseworker, household, D(2025, 1, 31))
    client = logged_in(caseworker)
    for url in (
        "/reintegration/follow-ups/",
        f"/reintegration/households/{household.pk}/",
        "/reintegration/places/",
        "/reintegration/instruments/",
    ):
        page = client.get(url).content.decode()
        assert "<script>" not in page and 'style="' not in page and " onclick=" not in page, url


@pytest.mark.django_db
def test_nobody_gets_anything_without_logging_in(caseworker, household, tiny):
    from django.test import Client
    from rest_framework.test import APIClient

    _arrive(caseworker, household, D(2025, 1, 31))
    follow_up = FollowUp.objects.filter(household=household).first()
    client = Client()
    for url in (
        "/reintegration/follow-ups/",
        f"/reintegration/households/{household.pk}/",
        "/reintegration/places/",
        "/reintegration/instruments/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    posted = client.post(f"/reintegration/follow-ups/{follow_up.pk}/missed/", {"note": "x"})
    assert posted.status_code == 302
    api = APIClient()
    for url in ("/api/v1/surveys/", "/api/v1/follow-ups/", f"/api/v1/follow-ups/{follow_up.pk}/"):
        assert api.get(url).status_code in (401, 403), url
    follow_up.refresh_from_db()
    assert follow_up.status == "due"
