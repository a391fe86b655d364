"""A small programme for the dashboard's tests: households registered through the
registry's service, and their way home (intention, movement, arrival, follow-up and
survey) written directly with the dates a test needs; the returns app's services,
tested there, would date everything today."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from awda.accounts.models import User
from awda.common.tests.test_browser import browser_page  # noqa: F401 (for test_browser.py)
from awda.conftest import child, head, place, register
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, Survey, SurveyInstrument
from awda.returns.models import Homecoming, Intention, Movement, Passenger, Pathway

HOL = "SY080006-HOL"
ROJ = "SY080300-ROJ"
ANBAR_PLACE = "IQG01Q01N01"  # Al-Amirya, in Al-Anbar (IQG01)
ALEPPO_PLACE = "SY020001"  # Atareb, in Aleppo (SY02)
DEIR_PLACE = "SY090101"  # Kisreh, in Deir-ez-Zor (SY09)


def household_in(
    by: User,
    reference: str,
    *,
    camp: str = HOL,
    registered_on: datetime.date,
    origin: str = ANBAR_PLACE,
    first_name: str = "فاطمة",
) -> Household:
    fields: dict[str, Any] = {"registered_on": registered_on, "origin": place(origin)}
    if camp != HOL:
        fields.update(camp=place(camp), camp_section=None, camp_block=None)
    return register(
        by,
        reference=reference,
        members=[head(first_name_ar=first_name), child()],
        **fields,
    )


def ready(household: Household, by: User, on: datetime.date, destination: str) -> None:
    Intention.objects.create(
        organisation=household.organisation,
        household=household,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        destination=place(destination),
        stated_on=on,
        recorded_by=by,
    )
    Household.objects.filter(pk=household.pk).update(
        status=Household.Status.ELIGIBLE, destination=place(destination)
    )


def movement(by: User, reference: str, departs_on: datetime.date, destination: str) -> Movement:
    assert by.organisation is not None
    return Movement.objects.create(
        organisation=by.organisation,
        reference=reference,
        kind=Movement.Kind.CONVOY,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        departs_on=departs_on,
        origin=place(HOL),
        destination=place(destination),
        capacity=500,
        status=Movement.Status.ARRIVED,
        departed_on=departs_on,
        arrived_on=departs_on,
        created_by=by,
    )


def home_and_follow(
    household: Household,
    by: User,
    *,
    on: Movement,
    arrived_on: datetime.date,
    surveyed_on: datetime.date | None = None,
    scores: tuple[float, float, float, float] = (0.5, 0.6, 0.7, 0.6),
) -> None:
    """On the movement, home in its destination, and (with `surveyed_on`) followed up."""
    for person in household.members.all():
        Passenger.objects.create(
            movement=on,
            person=person,
            household=household,
            vehicle=1,
            status=Passenger.Status.ARRIVED,
            added_by=by,
        )
    Homecoming.objects.create(
        household=household, arrived_on=arrived_on, place=on.destination, recorded_by=by
    )
    status = Household.Status.ARRIVED
    due = FollowUp.objects.create(
        organisation=household.organisation,
        household=household,
        months=1,
        due_on=arrived_on + datetime.timedelta(days=30),
        status=FollowUp.Status.DONE if surveyed_on else FollowUp.Status.DUE,
    )
    if surveyed_on:
        economic, social, psychosocial, composite = scores
        Survey.objects.create(
            organisation=household.organisation,
            household=household,
            follow_up=due,
            instrument=SurveyInstrument.objects.get(code="awda-default", version=1),
            answers={},
            economic=economic,
            social=social,
            psychosocial=psychosocial,
            composite=composite,
            conducted_on=surveyed_on,
            conducted_by=by,
        )
        status = Household.Status.FOLLOWED_UP
    Household.objects.filter(pk=household.pk).update(status=status)


def chart_data(page: str) -> dict[str, Any]:
    """The charts' data as the browser gets it: the json_script block."""
    found = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, "no chart data on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def counts_in(data: dict[str, Any]) -> list[int | None]:
    """Every count the charts get (the scores are means, not counts)."""
    values: list[int | None] = []
    for part in ("months", "camps"):
        for series in data[part]["series"].values():
            values.extend(series)
    values.extend(data["coverage"]["due"])
    values.extend(data["coverage"]["done"])
    return values
