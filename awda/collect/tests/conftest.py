"""Records for the offline-collection tests: Mona, an MHPSS worker of organisation A; a
household of A that came home long enough ago for every follow-up to be due; a case of
A's; and the Source objects a reader makes of a Kobo or ODK export."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.cases.models import Case, FormVersion
from awda.cases.services import case_open
from awda.conftest import make_user
from awda.imports.sources import Source, SourceRow
from awda.registry.models import Household
from awda.reintegration.models import SurveyInstrument
from awda.reintegration.services import follow_ups_schedule
from awda.reintegration.tests.conftest import home

TODAY = timezone.localdate()
ARRIVED = TODAY - datetime.timedelta(days=420)


def source(
    form_id: str, rows: list[dict[str, str]], *, ids: bool = True, labels: Any = None
) -> Source:
    """What a reader makes of an export: rows numbered from 2, headers in order."""
    headers: list[str] = []
    for cells in rows:
        headers += [h for h in cells if h not in headers]
    made = [
        SourceRow(
            number=n,
            cells={h: cells.get(h, "") for h in headers},
            submission_id=f"uuid:{form_id}-{n}" if ids else "",
        )
        for n, cells in enumerate(rows, start=2)
    ]
    return Source(
        kind="kobo-json",
        headers=headers,
        rows=iter(made),
        form_id=form_id,
        total=len(made),
        labels=labels or {},
    )


def raw(table: str, column: str, pk: int) -> str:
    """A column as the database holds it, past the field's decryption."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return str(cursor.fetchone()[0])


def no_progress(percent: int, message: str) -> None:
    pass


@pytest.fixture
def mhpss_worker(org_a: Organisation) -> User:
    return make_user("mona", org_a, Role.MHPSS)


@pytest.fixture
def registrar(org_a: Organisation) -> User:
    return make_user("rami", org_a, Role.REGISTRAR)


@pytest.fixture
def other_mhpss_worker(org_b: Organisation) -> User:
    return make_user("bashir", org_b, Role.MHPSS)


@pytest.fixture
def instrument(db: None) -> SurveyInstrument:
    return SurveyInstrument.objects.get(code="awda-default", version=1)


@pytest.fixture
def home_household(caseworker: User, household: Household) -> Household:
    """Household A-0001, home for 420 days: its 1, 3, 6 and 12-month follow-ups due."""
    home(household, ARRIVED, caseworker)
    follow_ups_schedule(by=caseworker, household=household, arrived_on=ARRIVED)
    return household


@pytest.fixture
def case(caseworker: User, household: Household) -> Case:
    """A case of household A-0001, opened 30 days ago."""
    opened = case_open(by=caseworker, household=household)
    Case.objects.filter(pk=opened.pk).update(opened_on=TODAY - datetime.timedelta(days=30))
    opened.refresh_from_db()
    return opened


@pytest.fixture
def vulnerability(db: None) -> FormVersion:
    version = FormVersion.objects.filter(form__slug="household-vulnerability").order_by("-number")
    found = version.first()
    assert found is not None
    return found


@pytest.fixture(autouse=True)
def _english() -> Any:
    """The checks' messages are compared in English (the pages default to Arabic)."""
    with translation.override("en"):
        yield
