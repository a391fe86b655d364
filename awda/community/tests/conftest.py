"""Personas and records of community work: Lina (`liaison`) is the community liaison of
org A; Omar (`other_liaison`) the liaison of org B, who must see nothing of org A's."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from awda.accounts.models import Organisation, User
from awda.community.models import CommunityActor
from awda.community.services import ActorData, actor_create
from awda.conftest import make_user, place
from awda.registry.models import Household
from awda.returns.models import Intention, Pathway

CONTACT = "+963 933 111 222, next to the great mosque"
# Places of Deir-ez-Zor: the governorate, its district around the city, two sub-districts.
DEIR_EZ_ZOR, DEIR_DISTRICT, KISREH, BASIRA = "SY09", "SY0901", "SY090101", "SY090102"
HASAKEH_SUBDISTRICT = "SY080301"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in English (the Arabic catalogue grows after these tests)."""
    with translation.override("en"):
        yield


@pytest.fixture
def liaison(org_a: Organisation) -> User:
    return make_user("liaison.a", org_a, "liaison")


@pytest.fixture
def other_liaison(org_b: Organisation) -> User:
    return make_user("liaison.b", org_b, "liaison")


def new_actor(by: User, pcode: str = KISREH, **overrides: Any) -> CommunityActor:
    values: dict[str, Any] = {
        "place": place(pcode),
        "kind": CommunityActor.Kind.SHEIKH,
        "name": "الشيخ حمد العبيد",
        "affiliation": "العكيدات",
        "contact": CONTACT,
        "notes": "prefers to be called after the evening prayer",
    }
    values.update(overrides)
    return actor_create(by=by, data=ActorData(**values))


@pytest.fixture
def sheikh(liaison: User) -> CommunityActor:
    return new_actor(liaison)


def intend(household: Household, by: User, pcode: str = KISREH) -> Intention:
    return Intention.objects.create(
        organisation_id=household.organisation_id,
        household=household,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        destination=place(pcode),
        stated_on=datetime.date(2025, 1, 5),
        recorded_by=by,
    )
