"""Personas and records for reintegration tests: Rana, a return coordinator; Layla, a
community liaison who works with sponsors and must not see survey answers or scores; Mona,
an MHPSS worker who reads them but does not record surveys; Adam, an administrator who
loads instruments. A household comes home with `home(...)`."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.common.tests import test_browser as shared_browser
from awda.conftest import make_user, place
from awda.registry.models import Household
from awda.reintegration.models import SurveyInstrument
from awda.returns.models import Homecoming
from awda.returns.pipeline import stage_refresh

# Real Chromium, as the other browser tests use it.
browser_page = shared_browser.browser_page

# A small instrument whose scores are worked out by hand in test_instruments.py.
TINY: dict[str, Any] = {
    "code": "tiny",
    "version": 1,
    "name_ar": "أداة صغيرة للاختبار",
    "name_en": "A tiny test instrument",
    "dimensions": {"economic": 2, "social": 1, "psychosocial": 1},
    "questions": [
        {
            "name": "e1",
            "dimension": "economic",
            "weight": 2,
            "label_ar": "س1",
            "label_en": "Q1",
            "choices": [
                {"value": "a", "label_ar": "أ", "label_en": "A", "score": 1},
                {"value": "b", "label_ar": "ب", "label_en": "B", "score": 0.5},
                {"value": "c", "label_ar": "ج", "label_en": "C", "score": 0},
                {"value": "x", "label_ar": "لا أعرف", "label_en": "Don't know", "score": None},
            ],
        },
        {
            "name": "e2",
            "dimension": "economic",
            "weight": 1,
            "label_ar": "س2",
            "label_en": "Q2",
            "choices": [
                {"value": "a", "label_ar": "أ", "label_en": "A", "score": 1},
                {"value": "b", "label_ar": "ب", "label_en": "B", "score": 0.25},
                {"value": "x", "label_ar": "رفض", "label_en": "Refused", "score": None},
            ],
        },
        {
            "name": "s1",
            "dimension": "social",
            "weight": 1,
            "label_ar": "س3",
            "label_en": "Q3",
            "choices": [
                {"value": "a", "label_ar": "أ", "label_en": "A", "score": 1},
                {"value": "b", "label_ar": "ب", "label_en": "B", "score": 0.6},
                {"value": "x", "label_ar": "رفض", "label_en": "Refused", "score": None},
            ],
        },
        {
            "name": "p1",
            "dimension": "psychosocial",
            "weight": 3,
            "label_ar": "س4",
            "label_en": "Q4",
            "choices": [
                {"value": "a", "label_ar": "أ", "label_en": "A", "score": 1},
                {"value": "b", "label_ar": "ب", "label_en": "B", "score": 0.2},
                {"value": "x", "label_ar": "رفض", "label_en": "Refused", "score": None},
            ],
        },
        {
            "name": "p2",
            "dimension": "psychosocial",
            "weight": 1,
            "label_ar": "س5",
            "label_en": "Q5",
            "choices": [
                {"value": "a", "label_ar": "أ", "label_en": "A", "score": 0.8},
                {"value": "b", "label_ar": "ب", "label_en": "B", "score": 0},
                {"value": "x", "label_ar": "رفض", "label_en": "Refused", "score": None},
            ],
        },
    ],
}


def home(
    household: Household,
    arrived_on: datetime.date,
    by: User,
    pcode: str = "SY020001",
) -> Homecoming:
    """The arrival home, created directly (the returns services are another app's), and
    the household's stage refreshed as those services do."""
    found = Homecoming.objects.create(
        household=household, arrived_on=arrived_on, place=place(pcode), recorded_by=by
    )
    stage_refresh(household)
    return found


@pytest.fixture
def returns_officer(org_a: Organisation) -> User:
    return make_user("rana", org_a, Role.RETURNS)


@pytest.fixture
def liaison(org_a: Organisation) -> User:
    return make_user("layla", org_a, Role.LIAISON)


@pytest.fixture
def mhpss_worker(org_a: Organisation) -> User:
    return make_user("mona", org_a, Role.MHPSS)


@pytest.fixture
def administrator(org_a: Organisation) -> User:
    return make_user("adam", org_a, Role.ADMIN)


@pytest.fixture
def default_instrument(db: None) -> SurveyInstrument:
    """Loaded by the data migration."""
    return SurveyInstrument.objects.get(code="awda-default", version=1)


@pytest.fixture
def tiny(db: None) -> SurveyInstrument:
    return SurveyInstrument.objects.create(
        code="tiny",
        version=1,
        name_ar=TINY["name_ar"],
        name_en=TINY["name_en"],
        is_active=True,
        definition=TINY,
    )
