"""The offline-collection page lists the forms a role may collect with; each download is
an XLSX, audited, and refused to roles that may not record what the form collects."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from awda.accounts.models import User
from awda.audit.models import Action, AuditEntry
from awda.collect import xlsform
from awda.conftest import logged_in
from awda.reintegration.models import SurveyInstrument

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def english(user: User) -> Client:
    client = logged_in(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_a_caseworker_sees_the_forms_she_may_collect_with(caseworker: User) -> None:
    body = english(caseworker).get("/collect/").content.decode()
    assert "awda_registration" in body
    assert "awda_survey__awda-default__v1" in body
    assert "awda_assessment__household-vulnerability__v1" in body
    assert "awda_screening__" not in body  # screenings are for MHPSS workers
    assert "Download XLSForm" in body
    assert "KoboToolbox" in body and "ODK Central" in body


@pytest.mark.django_db
def test_an_mhpss_worker_sees_the_screenings_only(mhpss_worker: User) -> None:
    body = english(mhpss_worker).get("/collect/").content.decode()
    assert "awda_screening__who5" in body and "awda_screening__k10" in body
    assert "awda_registration" not in body
    assert "awda_survey__" not in body and "awda_assessment__" not in body
    arabic = logged_in(mhpss_worker).get("/collect/")  # the default language
    assert arabic.status_code == 200 and "KoboToolbox" in arabic.content.decode()


@pytest.mark.django_db
def test_roles_that_record_nothing_are_refused_the_page(donor: User, org_a) -> None:
    from awda.accounts.roles import Role
    from awda.conftest import make_user

    for user in (donor, make_user("layla", org_a, Role.LIAISON), make_user("dpo", org_a, Role.DPO)):
        assert logged_in(user).get("/collect/").status_code == 403


@pytest.mark.django_db
def test_nobody_logged_in_is_sent_to_the_login_page() -> None:
    for url in ("/collect/", "/collect/registration.xlsx", "/collect/screenings/who5.xlsx"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_download_is_an_xlsx_and_is_audited(caseworker: User) -> None:
    response = logged_in(caseworker).get("/collect/registration.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert 'filename="awda_registration.xlsx"' in response["Content-Disposition"]
    assert xlsform.question_names(response.content)[""][0] == "household_reference"
    entry = AuditEntry.objects.filter(action=Action.EXPORT).get()
    assert entry.actor == caseworker
    assert entry.details["xlsform"] == "awda_registration"


@pytest.mark.django_db
def test_each_form_is_refused_to_roles_without_its_capability(
    caseworker: User, mhpss_worker: User, registrar: User, donor: User
) -> None:
    cases = {
        "/collect/registration.xlsx": {caseworker: 200, registrar: 200, mhpss_worker: 403},
        "/collect/surveys/awda-default.xlsx": {caseworker: 200, registrar: 403, mhpss_worker: 403},
        "/collect/screenings/k10.xlsx": {caseworker: 403, registrar: 403, mhpss_worker: 200},
        "/collect/assessments/child-protection.xlsx": {
            caseworker: 200,
            registrar: 403,
            mhpss_worker: 403,
        },
    }
    for url, expected in cases.items():
        for user, status in [*expected.items(), (donor, 403)]:
            assert logged_in(user).get(url).status_code == status, (url, user.role)
    # one audit entry per download served, none for a refusal
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == 5
    exported = {e.details["xlsform"]: e for e in AuditEntry.objects.filter(action=Action.EXPORT)}
    survey = exported["awda_survey__awda-default__v1"]
    assert survey.object_type == "reintegration.surveyinstrument"
    assessment = exported["awda_assessment__child-protection__v1"]
    assert assessment.object_type == "cases.formversion"


@pytest.mark.django_db
def test_an_unknown_or_retired_form_is_not_found(caseworker: User, mhpss_worker: User) -> None:
    client = logged_in(caseworker)
    assert client.get("/collect/surveys/no-such-survey.xlsx").status_code == 404
    assert client.get("/collect/assessments/no-such-form.xlsx").status_code == 404
    assert logged_in(mhpss_worker).get("/collect/screenings/sdq.xlsx").status_code == 404
    SurveyInstrument.objects.filter(code="awda-default").update(is_active=False)
    assert client.get("/collect/surveys/awda-default.xlsx").status_code == 404


@pytest.mark.django_db
def test_a_form_pyxform_refuses_is_not_served_and_only_its_error_class_is_logged(
    caseworker: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(content: bytes, *, odk_validate: bool = False) -> None:
        raise xlsform.XLSFormError(ValueError("the label «سرّي» is wrong"))

    monkeypatch.setattr(xlsform, "convert", refuse)
    client = english(caseworker)
    with caplog.at_level(logging.ERROR, logger="awda.collect.views"):
        response = client.get("/collect/surveys/awda-default.xlsx")
    assert response.status_code == 302 and response["Location"] == "/collect/"
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and "awda_survey__awda-default__v1" in logged
    assert "سرّي" not in logged and "label" not in logged
    page = client.get("/collect/").content.decode()
    assert "cannot be turned into a valid XLSForm" in page
