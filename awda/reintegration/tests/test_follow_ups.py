"""Scheduling follow-ups 1, 3, 6 and 12 calendar months after arrival home, again and
again without duplicates, and marking one missed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.reintegration.models import FollowUp
from awda.reintegration.services import (
    add_months,
    follow_up_mark_missed,
    follow_ups_schedule,
)
from awda.reintegration.tests.conftest import home

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 3, 15), 1, D(2025, 4, 15)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 8, 31), 3, D(2025, 11, 30)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 12, 31), 6, D(2026, 6, 30)),
        (D(2025, 12, 1), 12, D(2026, 12, 1)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_last_day(day, months, expected):
    assert add_months(day, months) == expected


def _dates(household):
    return list(
        FollowUp.objects.filter(household=household)
        .order_by("months")
        .values_list("months", "due_on", "status")
    )


@pytest.mark.django_db
def test_arrival_on_31_january_of_a_leap_year_schedules_four_follow_ups(caseworker, household):
    home(household, D(2024, 1, 31), caseworker)
    follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2024, 1, 31))
    assert _dates(household) == [
        (1, D(2024, 2, 29), "due"),
        (3, D(2024, 4, 30), "due"),
        (6, D(2024, 7, 31), "due"),
        (12, D(2025, 1, 31), "due"),
    ]
    assert set(FollowUp.objects.values_list("organisation_id", flat=True)) == {
        household.organisation_id
    }


@pytest.mark.django_db
def test_scheduling_again_adds_nothing_and_a_corrected_date_moves_only_those_still_due(
    caseworker, household
):
    follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2025, 1, 31))
    follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2025, 1, 31))
    assert FollowUp.objects.count() == 4
    entries = AuditEntry.objects.filter(object_type="registry.household", action="update")
    assert entries.filter(details__has_key="reintegration_follow_ups").count() == 1
    FollowUp.objects.filter(household=household, months=1).update(status="done")
    follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2025, 1, 10))
    assert _dates(household) == [
        (1, D(2025, 2, 28), "done"),
        (3, D(2025, 4, 10), "due"),
        (6, D(2025, 7, 10), "due"),
        (12, D(2026, 1, 10), "due"),
    ]


@pytest.mark.django_db
def test_only_the_owning_organisation_schedules(caseworker, household, other_caseworker, donor):
    for user in (other_caseworker, donor):
        with pytest.raises(PermissionDenied):
            follow_ups_schedule(by=user, household=household, arrived_on=D(2025, 1, 1))
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_a_return_coordinator_recording_an_arrival_schedules(returns_officer, household):
    schedule = follow_ups_schedule(
        by=returns_officer, household=household, arrived_on=D(2025, 5, 5)
    )
    assert [f.months for f in schedule] == [1, 3, 6, 12]


@pytest.mark.django_db
def test_an_arrival_in_the_future_is_refused(caseworker, household):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        follow_ups_schedule(by=caseworker, household=household, arrived_on=tomorrow)
    assert "arrived_on" in caught.value.message_dict


@pytest.mark.django_db
def test_a_follow_up_is_marked_missed_with_a_note_kept_out_of_the_audit(caseworker, household):
    schedule = follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2025, 1, 1))
    with pytest.raises(ValidationError) as caught:
        follow_up_mark_missed(by=caseworker, follow_up=schedule[0], note="  ")
    assert "note" in caught.value.message_dict
    follow_up_mark_missed(by=caseworker, follow_up=schedule[0], note="Family moved to Raqqa")
    schedule[0].refresh_from_db()
    assert (schedule[0].status, schedule[0].note) == ("missed", "Family moved to Raqqa")
    assert "Raqqa" not in str(list(AuditEntry.objects.values_list("details", flat=True)))
    with pytest.raises(ValidationError):  # not twice
        follow_up_mark_missed(by=caseworker, follow_up=schedule[0], note="again")


@pytest.mark.django_db
def test_a_follow_up_cannot_be_missed_before_it_is_due(caseworker, household):
    arrived = timezone.localdate() - datetime.timedelta(days=3)
    schedule = follow_ups_schedule(by=caseworker, household=household, arrived_on=arrived)
    with pytest.raises(ValidationError) as caught:
        follow_up_mark_missed(by=caseworker, follow_up=schedule[0], note="unreachable")
    assert "status" in caught.value.message_dict


@pytest.mark.django_db
def test_others_cannot_mark_a_follow_up_missed(
    caseworker, household, other_caseworker, mhpss_worker
):
    schedule = follow_ups_schedule(by=caseworker, household=household, arrived_on=D(2025, 1, 1))
    for user in (other_caseworker, mhpss_worker):
        with pytest.raises(PermissionDenied):
            follow_up_mark_missed(by=user, follow_up=schedule[0], note="x")
