"""Shared fixtures: places, organisations and the personas every test speaks of.

- Alice (`caseworker`) is a caseworker of org A; Sam (`supervisor`) her supervisor.
- Bob (`other_caseworker`) is a caseworker of org B, who must see nothing of org A's
  unless org A referred it to org B and org B accepted.
- Dana (`donor`) is a donor viewer of org A, who sees aggregates and nothing about anyone.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.accounts.second_factor import SESSION_LOGIN_AT, required_for
from awda.cases.default_forms import load_default_forms
from awda.cases.models import FormDefinition, FormVersion
from awda.places.models import Place
from awda.places.services import load_built_in
from awda.registry.models import Household
from awda.registry.services import HouseholdData, PersonData, household_register
from awda.reintegration.instruments import load_default_instrument
from awda.reintegration.models import SurveyInstrument
from awda.returns.checklists import load_default_checklists
from awda.returns.models import ChecklistItem

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        for report in load_built_in():
            assert report.ok, report.problems
    yield


@pytest.fixture(autouse=True)
def _places_after_a_flush(request: pytest.FixtureRequest) -> None:
    """Tests on a live server (transactional) empty the database afterwards, places and
    shipped forms included; the next such test loads them again."""
    if "live_server" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        if not Place.objects.exists():
            load_built_in()
        load_default_forms(FormDefinition, FormVersion)  # a data migration's rows, flushed too
        load_default_instrument(SurveyInstrument)
        load_default_checklists(ChecklistItem)


@pytest.fixture(autouse=True)
def _fast_tests(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def org_a(db: None) -> Organisation:
    return Organisation.objects.create(
        slug="org-a",
        name_ar="منظمة أ",
        name_en="Organisation A",
        kind=Organisation.Kind.NATIONAL_NGO,
    )


@pytest.fixture
def org_b(db: None) -> Organisation:
    return Organisation.objects.create(
        slug="org-b",
        name_ar="منظمة ب",
        name_en="Organisation B",
        kind=Organisation.Kind.INTERNATIONAL_NGO,
    )


def make_user(username: str, organisation: Organisation, role: str) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, organisation=organisation, role=role
    )


@pytest.fixture
def caseworker(org_a: Organisation) -> User:
    return make_user("alice", org_a, Role.CASEWORKER)


@pytest.fixture
def supervisor(org_a: Organisation) -> User:
    return make_user("sam", org_a, Role.SUPERVISOR)


@pytest.fixture
def other_caseworker(org_b: Organisation) -> User:
    return make_user("bob", org_b, Role.CASEWORKER)


@pytest.fixture
def donor(org_a: Organisation) -> User:
    return make_user("dana", org_a, Role.DONOR)


def place(pcode: str) -> Place:
    return Place.objects.get(pcode=pcode)


def head(**overrides: Any) -> PersonData:
    values: dict[str, Any] = {
        "first_name_ar": "فاطمة",
        "father_name_ar": "أحمد",
        "grandfather_name_ar": "محمود",
        "family_name_ar": "الجبوري",
        "sex": "F",
        "date_of_birth": datetime.date(1990, 3, 14),
        "dob_precision": "exact",
        "relationship": "head",
    }
    values.update(overrides)
    return PersonData.from_mapping(values)


def child(**overrides: Any) -> PersonData:
    values: dict[str, Any] = {
        "first_name_ar": "عمر",
        "father_name_ar": "خالد",
        "grandfather_name_ar": "أحمد",
        "family_name_ar": "الجبوري",
        "sex": "M",
        "date_of_birth": datetime.date(2019, 7, 1),
        "dob_precision": "year",
        "relationship": "child",
        "documents": {"birth_certificate": "missing"},
    }
    values.update(overrides)
    return PersonData.from_mapping(values)


def register(
    by: User, reference: str = "", members: list[PersonData] | None = None, **fields: Any
) -> Household:
    data = HouseholdData(
        reference=reference,
        camp=place("SY080006-HOL"),
        camp_section=place("SY080006-HOL-P2"),
        camp_block=place("SY080006-HOL-P2-B03"),
        tent="17",
        nationality="IQ",
        origin=place("IQG01Q01N01"),
    )
    for key, value in fields.items():
        setattr(data, key, value)
    return household_register(by=by, data=data, members=members or [head(), child()])


@pytest.fixture
def household(caseworker: User) -> Household:
    return register(caseworker, reference="A-0001")


@pytest.fixture
def other_household(other_caseworker: User) -> Household:
    return register(other_caseworker, reference="B-0001", members=[head(first_name_ar="مريم")])


def authenticator(user: User) -> TOTPDevice:
    """The user's confirmed authenticator app (made on first use), as if they had enrolled."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The six digits the user's authenticator app shows now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(code).zfill(device.digits)


def logged_in(user: User) -> Client:
    """A client logged in as `user`, past the second factor for those who need one (as
    django_otp.login leaves a session verified by their authenticator)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_LOGIN_AT] = time.time()
    if required_for(user):
        session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()
    return client


def log_in_through_the_pages(page: Any, base_url: str, user: User) -> None:
    """In a real browser (Playwright): the login page, then the authenticator's code."""
    device = authenticator(user)
    # A code is good once: a second login within the same 30 seconds would wait for the next.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/accounts/two-factor/verify/")
    page.fill("#id_otp", current_code(device))
    page.click("form button[type=submit].btn-awda")


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
