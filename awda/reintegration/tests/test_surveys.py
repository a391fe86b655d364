"""Recording a survey: scores stored, the right follow-up marked done, the household
followed up; refusals that say what is wrong; the API and who may use it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from awda.audit.models import AuditEntry
from awda.conftest import api_client, register
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, Survey
from awda.reintegration.services import follow_ups_schedule, survey_record
from awda.reintegration.tests.conftest import home

D = datetime.date
ARRIVED = D(2025, 1, 31)
ANSWERS = {"e1": "b", "e2": "b", "s1": "b", "p1": "b", "p2": "a"}  # see test_instruments
URL = "/api/v1/surveys/"


@pytest.fixture
def homecoming(caseworker, household):
    found = home(household, ARRIVED, caseworker)
    follow_ups_schedule(by=caseworker, household=household, arrived_on=ARRIVED)
    return found


def _status(household):
    return dict(FollowUp.objects.filter(household=household).values_list("months", "status"))


@pytest.mark.django_db
def test_a_survey_is_scored_marks_its_follow_up_done_and_the_household_followed_up(
    caseworker, household, homecoming, tiny
):
    household.refresh_from_db()
    assert household.status == Household.Status.ARRIVED  # a Homecoming, no survey yet
    survey = survey_record(
        by=caseworker,
        household=household,
        instrument=tiny,
        answers=ANSWERS,
        conducted_on=D(2025, 3, 10),
    )
    assert (survey.economic, survey.social, survey.psychosocial, survey.composite) == (
        0.4167,
        0.6,
        0.35,
        0.4458,
    )
    assert survey.follow_up.months == 1 and survey.organisation_id == household.organisation_id
    assert _status(household) == {1: "done", 3: "due", 6: "due", 12: "due"}
    household.refresh_from_db()
    assert household.status == Household.Status.FOLLOWED_UP
    entry = AuditEntry.objects.filter(details__has_key="reintegration_survey").get()
    assert (entry.object_type, entry.object_id) == ("reintegration.survey", str(survey.pk))
    assert entry.details == {
        "household": household.pk,
        "reintegration_survey": survey.pk,
        "instrument": "tiny",
        "version": 1,
        "follow_up": survey.follow_up_id,
    }


@pytest.mark.django_db
def test_the_follow_up_answered_is_the_earliest_still_due_within_45_days(
    caseworker, household, homecoming, tiny
):
    # due: 1 month 2025-02-28, 3 months 04-30, 6 months 07-31, 12 months 2026-01-31
    def record(on, **extra):
        return survey_record(
            by=caseworker,
            household=household,
            instrument=tiny,
            answers=ANSWERS,
            conducted_on=on,
            **extra,
        )

    assert record(D(2025, 4, 14)).follow_up.months == 1  # 45 days after 02-28, still due
    assert record(D(2025, 4, 15)).follow_up.months == 3  # 1 month done; 15 days before 04-30
    assert record(D(2025, 5, 20)).follow_up is None  # 3 months done, 6 months 72 days off
    six = FollowUp.objects.get(household=household, months=6)
    assert record(D(2025, 5, 21), follow_up=six).follow_up == six  # named: no window
    assert _status(household) == {1: "done", 3: "done", 6: "done", 12: "due"}
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record(D(2025, 5, 22), follow_up=six)
    assert caught.value.message_dict == {"follow_up": ["This follow-up is already done."]}


@pytest.mark.django_db
def test_bad_surveys_are_refused_with_what_is_wrong_and_nothing_is_written(
    caseworker, household, homecoming, tiny, default_instrument
):
    def refused(**overrides):
        values = {
            "by": caseworker,
            "household": household,
            "instrument": tiny,
            "answers": ANSWERS,
            "conducted_on": D(2025, 3, 1),
            **overrides,
        }
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            survey_record(**values)
        return caught.value.message_dict

    assert refused(answers={"e1": "z"}) == {"answers": ["e1: “z” is not one of: a, b, c, x."]}
    assert refused(conducted_on=D(2025, 1, 30)) == {
        "conducted_on": ["The survey date is before the arrival home (2025-01-31)."]
    }
    assert refused(conducted_on=D(2099, 1, 1)) == {
        "conducted_on": ["The survey date is in the future."]
    }
    tiny.is_active = False
    tiny.save()
    assert refused() == {"instrument": ["This survey instrument is not in use."]}
    other = register(caseworker, reference="A-0002")
    assert "household" in refused(household=other, instrument=default_instrument)
    other_follow_up = FollowUp.objects.create(
        organisation_id=other.organisation_id, household=other, months=1, due_on=D(2025, 3, 1)
    )
    assert refused(
        instrument=default_instrument, follow_up=other_follow_up, answers={"income_source": "none"}
    ) == {"follow_up": ["This follow-up is not one of the household's."]}
    assert not Survey.objects.exists()
    assert _status(household) == {1: "due", 3: "due", 6: "due", 12: "due"}


@pytest.mark.django_db
def test_an_older_version_is_refused_once_a_newer_one_is_in_use(
    caseworker, household, homecoming, tiny
):
    from awda.reintegration.tests.conftest import TINY

    tiny.pk = None
    tiny.version = 2
    tiny.definition = {**TINY, "version": 2}
    tiny.save()
    old = type(tiny).objects.get(code="tiny", version=1)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        survey_record(
            by=caseworker,
            household=household,
            instrument=old,
            answers=ANSWERS,
            conducted_on=D(2025, 3, 1),
        )
    assert caught.value.message_dict == {
        "instrument": ["Version 1 of tiny is replaced by version 2; use that."]
    }


@pytest.mark.django_db
def test_who_may_record(
    caseworker, household, homecoming, tiny, liaison, mhpss_worker, other_caseworker, donor
):
    for user in (liaison, mhpss_worker, other_caseworker, donor):
        with pytest.raises(PermissionDenied):
            survey_record(
                by=user,
                household=household,
                instrument=tiny,
                answers=ANSWERS,
                conducted_on=D(2025, 3, 1),
            )


# -- API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_records_a_survey_and_returns_its_scores(
    returns_officer, household, homecoming, tiny
):
    response = api_client(returns_officer).post(
        URL,
        {
            "household": household.pk,
            "instrument": "tiny",
            "answers": ANSWERS,
            "conducted_on": "2025-03-10",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["economic"], body["social"], body["psychosocial"], body["composite"]) == (
        0.4167,
        0.6,
        0.35,
        0.4458,
    )
    assert body["answers"] == ANSWERS and body["instrument_version"] == 1
    assert body["follow_up"] == FollowUp.objects.get(household=household, months=1).pk
    assert body["conducted_by"] == "rana"
    got = api_client(returns_officer).get(f"{URL}{body['id']}/").json()
    assert got["composite"] == 0.4458


@pytest.mark.django_db
def test_the_api_names_each_bad_answer(caseworker, household, homecoming, tiny):
    with translation.override("en"):
        response = api_client(caseworker).post(
            URL,
            {"household": household.pk, "instrument": "tiny", "answers": {"e1": "z", "q": "a"}},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert set(response.json()["answers"]) == {
        "e1: “z” is not one of: a, b, c, x.",
        "q: There is no such question in tiny version 1.",
    }
    unknown = api_client(caseworker).post(
        URL, {"household": household.pk, "instrument": "nope", "answers": ANSWERS}, format="json"
    )
    assert unknown.status_code == 400 and "instrument" in unknown.json()


@pytest.mark.django_db
def test_the_api_uses_the_default_instrument_when_none_is_named(
    caseworker, household, homecoming, default_instrument
):
    response = api_client(caseworker).post(
        URL,
        {"household": household.pk, "answers": {"income_source": "irregular_work"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["instrument"] == "awda-default"
    assert (body["economic"], body["social"], body["composite"]) == (0.5, None, 0.5)


@pytest.mark.django_db
def test_another_organisation_gets_404_for_a_household_and_its_surveys(
    caseworker, household, homecoming, tiny, other_caseworker
):
    survey = survey_record(
        by=caseworker,
        household=household,
        instrument=tiny,
        answers=ANSWERS,
        conducted_on=D(2025, 3, 10),
    )
    client = api_client(other_caseworker)
    posted = client.post(
        URL, {"household": household.pk, "instrument": "tiny", "answers": ANSWERS}, format="json"
    )
    assert posted.status_code == 404
    assert client.get(f"{URL}{survey.pk}/").status_code == 404
    assert client.get(URL).json()["results"] == []
    assert client.get(f"/api/v1/follow-ups/?household={household.pk}").json()["results"] == []
    follow_up = FollowUp.objects.filter(household=household).first()
    assert client.get(f"/api/v1/follow-ups/{follow_up.pk}/").status_code == 404


@pytest.mark.django_db
def test_liaisons_and_donors_get_403_and_mhpss_reads_but_does_not_record(
    caseworker, household, homecoming, tiny, liaison, donor, mhpss_worker
):
    survey_record(
        by=caseworker,
        household=household,
        instrument=tiny,
        answers=ANSWERS,
        conducted_on=D(2025, 3, 10),
    )
    for user in (liaison, donor):
        client = api_client(user)
        assert client.get(URL).status_code == 403
        assert client.get("/api/v1/follow-ups/").status_code == 403
        assert (
            client.post(
                URL, {"household": household.pk, "answers": ANSWERS}, format="json"
            ).status_code
            == 403
        )
    reader = api_client(mhpss_worker)
    assert len(reader.get(URL).json()["results"]) == 1
    assert (
        reader.post(
            URL,
            {"household": household.pk, "instrument": "tiny", "answers": ANSWERS},
            format="json",
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_the_follow_up_list_filters_by_household_and_status_and_marks_missed(
    caseworker, household, homecoming
):
    other = register(caseworker, reference="A-0002")
    home(other, D(2025, 2, 1), caseworker)
    follow_ups_schedule(by=caseworker, household=other, arrived_on=D(2025, 2, 1))
    client = api_client(caseworker)
    assert client.get("/api/v1/follow-ups/").json()["count"] == 8
    mine = client.get(f"/api/v1/follow-ups/?household={household.pk}&status=due").json()
    assert [r["months"] for r in mine["results"]] == [1, 3, 6, 12]
    first = mine["results"][0]["id"]
    missed = client.post(f"/api/v1/follow-ups/{first}/missed/", {"note": "away"}, format="json")
    assert missed.status_code == 200 and missed.json()["status"] == "missed"
    assert client.get("/api/v1/follow-ups/?status=missed").json()["count"] == 1
    assert client.get("/api/v1/follow-ups/?status=lost").status_code == 400


@pytest.mark.django_db
def test_api_lists_take_a_fixed_number_of_queries(
    caseworker, household, homecoming, tiny, django_assert_max_num_queries
):
    for number in range(5):
        other = register(caseworker, reference=f"Q-{number}")
        home(other, ARRIVED, caseworker)
        follow_ups_schedule(by=caseworker, household=other, arrived_on=ARRIVED)
        survey_record(
            by=caseworker,
            household=other,
            instrument=tiny,
            answers=ANSWERS,
            conducted_on=D(2025, 3, 1),
        )
    client = api_client(caseworker)
    with django_assert_max_num_queries(5):
        assert len(client.get(URL).json()["results"]) == 5
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/v1/follow-ups/").json()["results"]) == 24
