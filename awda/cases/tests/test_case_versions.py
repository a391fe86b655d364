"""Every step of a case names the version the page or client read: a step on a case that
someone else changed since is refused, not applied to a case the user did not see."""

from __future__ import annotations

import pytest
from django.conf import settings

from awda.cases.models import Case
from awda.cases.services import case_assign, case_move, case_open, case_submit
from awda.conftest import api_client, logged_in, make_user
from awda.registry.services import EditConflict


def _step(client, case, **data):
    return client.post(f"/cases/{case.pk}/step/", data, follow=True)


@pytest.fixture
def case(caseworker, household) -> Case:
    return case_open(by=caseworker, household=household)


@pytest.mark.django_db
def test_an_assignment_from_a_stale_page_is_refused_and_the_newer_one_kept(
    case, caseworker, supervisor, org_a
):
    nour = make_user("nour", org_a, "caseworker")
    hadi = make_user("hadi", org_a, "caseworker")
    client = logged_in(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    opened = case.version
    case_assign(by=supervisor, case=case, to=nour, expected_version=opened)

    response = _step(client, case, action="assign", assigned_to=hadi.pk, version=opened)

    assert "Someone else changed this case meanwhile" in response.content.decode()
    case.refresh_from_db()
    assert (case.assigned_to, case.version) == (nour, opened + 1)


@pytest.mark.django_db
def test_every_step_form_of_the_case_page_carries_the_version(case, caseworker, supervisor):
    page = logged_in(caseworker).get(f"/cases/{case.pk}/").content.decode()
    forms = page.count(f'action="/cases/{case.pk}/step/"')
    assert forms >= 2  # move on, ask to close
    assert page.count(f'name="version" value="{case.version}"') == forms
    for to in ("assessment", "case_plan"):
        case = case_move(by=caseworker, case=case, to=to)
    page = logged_in(caseworker).get(f"/cases/{case.pk}/").content.decode()
    forms = page.count(f'action="/cases/{case.pk}/step/"')
    assert forms >= 2  # send the plan, ask to close
    assert page.count(f'name="version" value="{case.version}"') == forms
    case = case_submit(by=caseworker, case=case, what="case_plan")
    page = logged_in(supervisor).get(f"/cases/{case.pk}/").content.decode()
    forms = page.count(f'action="/cases/{case.pk}/step/"')
    assert forms >= 2  # assign, decide
    assert page.count(f'name="version" value="{case.version}"') == forms


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("approve", {}),
        ("return", {"comment": "add the documentation goal"}),
    ],
)
def test_a_decision_on_a_case_changed_since_it_was_read_is_a_conflict(
    case, caseworker, supervisor, org_a, action, data
):
    for to in ("assessment", "case_plan"):
        case = case_move(by=caseworker, case=case, to=to)
    case = case_submit(by=caseworker, case=case, what="case_plan")
    read = case.version
    case_assign(by=supervisor, case=case, to=make_user("nour", org_a, "caseworker"))

    response = api_client(supervisor).post(
        f"/api/v1/cases/{case.pk}/{action}/", {"version": read, **data}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "conflict"
    case.refresh_from_db()
    assert (case.status, case.awaiting) == ("case_plan", "case_plan")


@pytest.mark.django_db
def test_a_stale_version_is_checked_by_the_service_itself(case, caseworker, supervisor, org_a):
    read = case.version
    case_move(by=caseworker, case=case, to="assessment", expected_version=read)
    with pytest.raises(EditConflict):
        case_assign(
            by=supervisor,
            case=case,
            to=make_user("nour", org_a, "caseworker"),
            expected_version=read,
        )
    case.refresh_from_db()
    assert case.assigned_to == caseworker
