"""Submissions collected offline come back onto the right households, people and cases:
each kind's check finds every problem by row and column and writes nothing; the commit
records through the apps' services (scored, encrypted, audited); a rollback undoes it
unless the records were used since; and another organisation's references are unknown."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from awda.accounts.models import User
from awda.audit.models import Action, AuditEntry
from awda.audit.services import audit_record
from awda.cases.models import Alert, Assessment, Case, FormVersion
from awda.collect.kinds import ASSESSMENTS, SCREENINGS, SURVEYS
from awda.collect.tests.conftest import ARRIVED, TODAY, no_progress, raw, source
from awda.conftest import register
from awda.imports.kinds import KINDS, Checked, Problem
from awda.imports.models import ImportBatch, ImportedSubmission
from awda.mhpss.models import Screening
from awda.mhpss.services import alert_resolve
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, Survey, SurveyInstrument
from awda.reintegration.services import follow_ups_schedule, instrument_load, survey_record
from awda.reintegration.tests.conftest import home

DAY = datetime.timedelta(days=1)
SURVEY_ID = "awda_survey__awda-default__v1"


def check(kind: Any, src: Any, by: User) -> Checked:
    return kind.check(
        src.rows, src, by=by, organisation=by.organisation, mapping={}, progress=no_progress
    )


def commit(kind: Any, checked: Checked, by: User, batch: int = 7) -> dict[str, list[int]]:
    assert by.organisation is not None
    ready = [i for i in checked.items if not i.problems]
    result = kind.commit(
        ready, by=by, organisation=by.organisation, batch_pk=batch, progress=no_progress
    )
    return result["created"]


def where(checked: Checked) -> set[tuple[int, str]]:
    return {(p.row, p.column) for i in checked.items for p in i.problems}


def problems_at(checked: Checked, row: int) -> list[Problem]:
    return [p for i in checked.items for p in i.problems if p.row == row]


def counts() -> tuple[int, ...]:
    return (
        Survey.objects.count(),
        Screening.objects.count(),
        Assessment.objects.count(),
        Alert.objects.count(),
        AuditEntry.objects.count(),
        FollowUp.objects.filter(status=FollowUp.Status.DONE).count(),
    )


def survey_row(**cells: str) -> dict[str, str]:
    row = {
        "awda_form": SURVEY_ID,
        "household_reference": "A-0001",
        "months": "1",
        "conducted_on": (ARRIVED + 35 * DAY).isoformat(),
        "income_source": "regular_work",
        "debts": "no_debts",
        "_id": "1234",  # Kobo's own columns are left alone
    }
    row.update(cells)
    return row


# -- the kinds are registered and recognise their files -----------------------------------------


def test_the_kinds_are_registered_with_the_engine() -> None:
    assert KINDS["survey"] is SURVEYS
    assert KINDS["screening"] is SCREENINGS
    assert KINDS["assessment"] is ASSESSMENTS


def test_a_kind_recognises_its_form_id_or_else_its_columns() -> None:
    assert SURVEYS.matches(source(SURVEY_ID, [survey_row()]))
    assert not SCREENINGS.matches(source(SURVEY_ID, [survey_row()]))
    assert not SURVEYS.matches(source("awda_registration", [survey_row()]))
    # KoboToolbox replaces the form id with its own: the columns tell
    assert SURVEYS.matches(source("", [survey_row()]))
    screening = {"person_id": "1", "household_reference": "A", "screened_on": "2025-01-01"}
    assert SCREENINGS.matches(source("", [screening]))
    assert not SURVEYS.matches(source("", [screening]))
    assert ASSESSMENTS.matches(source("", [{"case_reference": "C", "assessed_on": "2025-01-01"}]))


# -- reintegration surveys ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_survey_check_finds_each_problem_by_row_and_column_and_writes_nothing(
    caseworker: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    second = register(caseworker, reference="A-0002")
    home(second, ARRIVED, caseworker)
    follow_ups_schedule(by=caseworker, household=second, arrived_on=ARRIVED)
    before = counts()
    checked = check(
        SURVEYS,
        source(
            SURVEY_ID,
            [
                survey_row(),  # row 2: good
                survey_row(household_reference="A-9999"),  # 3
                survey_row(months="2"),  # 4
                survey_row(months="3", conducted_on=(TODAY + DAY).isoformat()),  # 5
                survey_row(months="6", income_source="rich"),  # 6
                survey_row(),  # 7: the same follow-up as row 2
                survey_row(household_reference="A-0002", conducted_on="2024-02-30"),  # 8
                survey_row(household_reference="A-0002", months="3", conducted_on=""),  # 9
                survey_row(
                    household_reference="A-0002",
                    months="6",
                    conducted_on=(ARRIVED - DAY).isoformat(),
                ),  # 10
                survey_row(
                    household_reference="A-0002", months="12", income_source="", debts=""
                ),  # 11
            ],
        ),
        caseworker,
    )
    assert counts() == before
    assert not checked.problems
    assert checked.summary["submissions"] == 10
    assert checked.summary["form_id"] == SURVEY_ID
    assert "_id" in checked.summary["ignored_columns"]
    assert where(checked) == {
        (3, "household_reference"),
        (4, "months"),
        (5, "conducted_on"),
        (6, "income_source"),
        (7, "months"),
        (8, "conducted_on"),
        (9, "conducted_on"),
        (10, "conducted_on"),
        (11, ""),
    }
    assert not checked.items[0].problems
    unknown = problems_at(checked, 3)[0]
    assert unknown.problem == "no household with this reference in your organisation"
    assert unknown.value == "A-9999"
    assert "one of: 1, 3, 6, 12" in problems_at(checked, 4)[0].suggestion
    assert "regular_work" in problems_at(checked, 6)[0].suggestion
    assert "row 2" in problems_at(checked, 7)[0].problem
    assert problems_at(checked, 8)[0].problem == "no such date"
    assert problems_at(checked, 9)[0].problem == "required, and empty"
    assert ARRIVED.isoformat() in problems_at(checked, 10)[0].problem
    plan = checked.items[0].data
    follow_up = FollowUp.objects.get(household=home_household, months=1)
    assert plan == {
        "household": home_household.pk,
        "instrument": instrument.pk,
        "follow_up": follow_up.pk,
        "months": 1,
        "conducted_on": (ARRIVED + 35 * DAY).isoformat(),
        "answers": {"income_source": "regular_work", "debts": "no_debts"},
    }


@pytest.mark.django_db
def test_a_follow_up_already_done_is_named(
    caseworker: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    done_on = ARRIVED + 95 * DAY
    survey_record(
        by=caseworker,
        household=home_household,
        instrument=instrument,
        answers={"income_source": "none"},
        conducted_on=done_on,
        follow_up=FollowUp.objects.get(household=home_household, months=3),
    )
    checked = check(SURVEYS, source(SURVEY_ID, [survey_row(months="3")]), caseworker)
    [problem] = problems_at(checked, 2)
    assert problem.column == "months"
    assert problem.problem == "the 3-month follow-up of this household is already done"
    assert done_on.isoformat() in problem.suggestion


@pytest.mark.django_db
def test_a_household_not_home_yet_cannot_be_surveyed(
    caseworker: User, household: Household, instrument: SurveyInstrument
) -> None:
    checked = check(SURVEYS, source(SURVEY_ID, [survey_row()]), caseworker)
    [problem] = problems_at(checked, 2)
    assert problem.column == "household_reference"
    assert "arrival home is not recorded" in problem.problem


@pytest.mark.django_db
def test_another_organisations_household_is_unknown(
    caseworker: User, home_household: Household, other_household: Household, instrument: Any
) -> None:
    checked = check(
        SURVEYS,
        source(
            SURVEY_ID,
            [survey_row(household_reference="B-0001"), survey_row(household_reference="B-0002")],
        ),
        caseworker,
    )
    first, second = problems_at(checked, 2), problems_at(checked, 3)
    assert [p.problem for p in first] == [p.problem for p in second]
    assert first[0].problem == "no household with this reference in your organisation"
    assert not checked.items[0].data


@pytest.mark.django_db
def test_the_survey_commit_records_through_the_service_and_the_rollback_undoes_it(
    caseworker: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    checked = check(
        SURVEYS,
        source(
            SURVEY_ID,
            [survey_row(), survey_row(months="3", conducted_on=(ARRIVED + 92 * DAY).isoformat())],
        ),
        caseworker,
    )
    assert not any(i.problems for i in checked.items)
    created = commit(SURVEYS, checked, caseworker)
    pks = created["reintegration.survey"]
    assert len(pks) == 2
    survey = Survey.objects.get(pk=pks[0])
    assert survey.answers == {"income_source": "regular_work", "debts": "no_debts"}
    assert survey.economic == 1.0 and survey.composite == 1.0  # scored by the service
    assert survey.conducted_by == caseworker
    for column in ("answers", "economic", "composite"):
        assert raw("reintegration_survey", column, survey.pk).startswith("gAAAAA"), column
    assert FollowUp.objects.get(household=home_household, months=1).status == "done"
    home_household.refresh_from_db()
    assert home_household.status == Household.Status.FOLLOWED_UP
    imported = AuditEntry.objects.filter(action=Action.IMPORT, object_type="reintegration.survey")
    assert {e.details["import_batch"] for e in imported} == {7}
    assert {e.details["submission"] for e in imported} == {
        f"uuid:{SURVEY_ID}-2",
        f"uuid:{SURVEY_ID}-3",
    }

    SURVEYS.rollback(created, by=caseworker)
    assert not Survey.objects.exists()
    assert set(
        FollowUp.objects.filter(household=home_household).values_list("status", flat=True)
    ) == {"due"}
    home_household.refresh_from_db()
    assert home_household.status == Household.Status.ARRIVED
    deleted = AuditEntry.objects.filter(action=Action.DELETE, object_type="reintegration.survey")
    assert sorted(int(e.object_id) for e in deleted) == sorted(pks)


@pytest.mark.django_db
def test_a_survey_changed_since_is_not_undone(
    caseworker: User, supervisor: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    created = commit(
        SURVEYS, check(SURVEYS, source(SURVEY_ID, [survey_row()]), caseworker), caseworker
    )
    [pk] = created["reintegration.survey"]
    audit_record(actor=supervisor, action=Action.UPDATE, obj=Survey.objects.get(pk=pk))
    with pytest.raises(ValidationError) as error:
        SURVEYS.rollback(created, by=caseworker)
    assert f"#{pk}" in " ".join(error.value.messages)
    assert Survey.objects.filter(pk=pk).exists()
    assert FollowUp.objects.get(household=home_household, months=1).status == "done"


@pytest.mark.django_db
def test_another_organisation_cannot_undo_the_import(
    caseworker: User, other_caseworker: User, home_household: Household, instrument: Any
) -> None:
    created = commit(
        SURVEYS, check(SURVEYS, source(SURVEY_ID, [survey_row()]), caseworker), caseworker
    )
    with pytest.raises(PermissionDenied):
        SURVEYS.rollback(created, by=other_caseworker)
    assert Survey.objects.count() == 1


@pytest.mark.django_db
def test_the_form_id_comes_from_the_awda_form_answer_when_kobo_replaced_it(
    caseworker: User, home_household: Household, instrument: Any
) -> None:
    checked = check(SURVEYS, source("", [survey_row()]), caseworker)
    assert not checked.problems and not checked.items[0].problems
    other = check(
        SURVEYS, source("", [survey_row(), survey_row(awda_form="awda_survey__x__v1")]), caseworker
    )
    assert (3, "awda_form") in where(other)
    unknown = check(
        SURVEYS,
        source("", [{k: v for k, v in survey_row().items() if k != "awda_form"}]),
        caseworker,
    )
    assert unknown.problems and unknown.problems[0].column == "awda_form"


@pytest.mark.django_db
def test_a_labelled_export_is_read_through_the_forms_labels(
    caseworker: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    question = instrument.definition["questions"][0]
    labels = {
        "household_reference": "رقم الأسرة",
        "months": "المتابعة",
        "conducted_on": "تاريخ الاستبيان",
        question["name"]: question["label_ar"],
    }
    row = {
        "رقم الأسرة": "A-0001",
        "المتابعة": "بعد شهر من الوصول",
        "تاريخ الاستبيان": (ARRIVED + 35 * DAY).isoformat(),
        question["label_ar"]: question["choices"][0]["label_ar"],
    }
    src = source(SURVEY_ID, [row], labels=labels)
    mapping = SURVEYS.guess_mapping(src)
    assert mapping["رقم الأسرة"] == "household_reference"
    checked = SURVEYS.check(
        src.rows,
        src,
        by=caseworker,
        organisation=caseworker.organisation,
        mapping=mapping,
        progress=no_progress,
    )
    assert not checked.items[0].problems
    assert checked.items[0].data["answers"] == {question["name"]: question["choices"][0]["value"]}
    assert checked.items[0].data["months"] == 1


@pytest.mark.django_db
def test_a_survey_version_replaced_since_cannot_be_recorded(
    caseworker: User, home_household: Household, instrument: SurveyInstrument, org_a: Any
) -> None:
    from awda.accounts.roles import Role
    from awda.conftest import make_user

    newer = dict(instrument.definition, version=2, default=False)
    instrument_load(by=make_user("adam", org_a, Role.ADMIN), definition=newer, activate=True)
    checked = check(SURVEYS, source(SURVEY_ID, [survey_row()]), caseworker)
    assert checked.problems and "replaced by version 2" in checked.problems[0].problem
    assert not checked.items


@pytest.mark.django_db
def test_roles_that_cannot_record_surveys_are_refused_and_the_command_line_needs_a_user(
    registrar: User, caseworker: User, home_household: Household, instrument: Any
) -> None:
    checked = check(SURVEYS, source(SURVEY_ID, [survey_row()]), registrar)
    assert checked.problems and not checked.items
    # a dry run on the command line names the organisation only: it checks
    src = source(SURVEY_ID, [survey_row()])
    dry = SURVEYS.check(
        src.rows,
        src,
        by=None,
        organisation=caseworker.organisation,
        mapping={},
        progress=no_progress,
    )
    assert not dry.problems and not dry.items[0].problems
    with pytest.raises(ValidationError):
        assert caseworker.organisation is not None
        SURVEYS.commit(
            dry.items,
            by=None,
            organisation=caseworker.organisation,
            batch_pk=1,
            progress=no_progress,
        )
    with pytest.raises(PermissionDenied):
        assert caseworker.organisation is not None
        SURVEYS.commit(
            dry.items,
            by=registrar,
            organisation=caseworker.organisation,
            batch_pk=1,
            progress=no_progress,
        )


@pytest.mark.django_db
def test_a_sheet_without_submission_ids_is_not_imported_twice(
    caseworker: User, home_household: Household, instrument: Any
) -> None:
    rows = [survey_row()]
    first = check(SURVEYS, source(SURVEY_ID, rows, ids=False), caseworker)
    sid = first.items[0].submission_id
    assert sid.startswith("survey:sha:")
    commit(SURVEYS, first, caseworker)
    # what the engine records after a commit
    organisation = caseworker.organisation
    assert organisation is not None
    batch = ImportBatch.objects.create(
        organisation=organisation, file_name="survey.csv", file_sha256="0" * 64
    )
    ImportedSubmission.objects.create(organisation=organisation, submission_id=sid, batch=batch)
    again = check(SURVEYS, source(SURVEY_ID, rows, ids=False), caseworker)
    assert again.items[0].data == {"already": True} and not again.items[0].problems
    assert again.summary["already"] == 1


# -- MHPSS screenings ---------------------------------------------------------------------------


def screening_row(person: Any, **cells: str) -> dict[str, str]:
    row = {
        "awda_form": "awda_screening__k6",
        "person_id": str(person.pk),
        "household_reference": person.household.reference,
        "screened_on": (TODAY - DAY).isoformat(),
        **{f"item_{i}": "1" for i in range(1, 7)},
    }
    row.update(cells)
    return row


@pytest.mark.django_db
def test_the_screening_check_finds_each_problem_and_writes_nothing(
    mhpss_worker: User, household: Household, other_household: Household
) -> None:
    head, child = household.members.order_by("pk")
    stranger = other_household.members.get()
    Screening.objects.create(
        person=child,
        organisation=household.organisation,
        instrument="k6",
        answers=[0] * 6,
        raw_score=0,
        score=0,
        band="below_threshold",
        administered_on=TODAY - DAY,
        administered_by=mhpss_worker,
    )
    before = counts()
    checked = check(
        SCREENINGS,
        source(
            "awda_screening__k6",
            [
                screening_row(head),  # 2: good
                screening_row(head, person_id="999999"),  # 3
                screening_row(head, person_id=str(stranger.pk), household_reference="B-0001"),  # 4
                screening_row(head, household_reference="A-0002"),  # 5
                screening_row(
                    head, item_3="", item_5="7", screened_on=(TODAY - 2 * DAY).isoformat()
                ),  # 6
                screening_row(head),  # 7: same person and date as row 2
                screening_row(child),  # 8: already recorded
                screening_row(head, person_id="abc", screened_on=(TODAY + DAY).isoformat()),  # 9
            ],
        ),
        mhpss_worker,
    )
    assert counts() == before
    assert where(checked) == {
        (3, "person_id"),
        (4, "person_id"),
        (5, "household_reference"),
        (6, "item_3"),
        (6, "item_5"),
        (7, "screened_on"),
        (8, "screened_on"),
        (9, "person_id"),
        (9, "screened_on"),
    }
    assert problems_at(checked, 3)[0].problem == problems_at(checked, 4)[0].problem
    assert problems_at(checked, 3)[0].problem == "no person with this number in your organisation"
    assert "0 to 4" in next(p.problem for p in problems_at(checked, 6) if p.column == "item_5")
    assert "already recorded" in problems_at(checked, 8)[0].problem
    assert checked.items[0].data == {
        "person": head.pk,
        "instrument": "k6",
        "answers": [1] * 6,
        "screened_on": (TODAY - DAY).isoformat(),
    }


@pytest.mark.django_db
def test_the_screening_commit_scores_encrypts_alerts_and_the_rollback_undoes_it(
    mhpss_worker: User, household: Household
) -> None:
    head, child = household.members.order_by("pk")
    rows = [screening_row(head), screening_row(child, **{f"item_{i}": "4" for i in range(1, 7)})]
    checked = check(SCREENINGS, source("awda_screening__k6", rows), mhpss_worker)
    created = commit(SCREENINGS, checked, mhpss_worker)
    pks = created["mhpss.screening"]
    calm, distressed = Screening.objects.get(pk=pks[0]), Screening.objects.get(pk=pks[1])
    assert calm.answers == [1] * 6 and calm.raw_score == 6 and calm.flags == []
    assert distressed.raw_score == 24 and distressed.flags == ["serious_distress"]
    assert calm.administered_on == TODAY - DAY and calm.administered_by == mhpss_worker
    for column in ("answers", "raw_score", "score", "band", "flags"):
        assert raw("mhpss_screening", column, distressed.pk).startswith("gAAAAA"), column
    alert = Alert.objects.get(object_id=str(distressed.pk))
    assert alert.person == child
    assert AuditEntry.objects.filter(action=Action.SCREEN).count() == 2

    SCREENINGS.rollback(created, by=mhpss_worker)
    assert not Screening.objects.exists() and not Alert.objects.exists()
    assert (
        AuditEntry.objects.filter(action=Action.DELETE, object_type="mhpss.screening").count() == 2
    )


@pytest.mark.django_db
def test_a_screening_whose_alert_was_dealt_with_is_not_undone(
    mhpss_worker: User, household: Household
) -> None:
    head = household.members.order_by("pk").first()
    rows = [screening_row(head, **{f"item_{i}": "4" for i in range(1, 7)})]
    created = commit(
        SCREENINGS,
        check(SCREENINGS, source("awda_screening__k6", rows), mhpss_worker),
        mhpss_worker,
    )
    alert_resolve(alert=Alert.objects.get(), by=mhpss_worker)
    with pytest.raises(ValidationError) as error:
        SCREENINGS.rollback(created, by=mhpss_worker)
    assert "alert" in " ".join(error.value.messages)
    assert Screening.objects.count() == 1 and Alert.objects.count() == 1


@pytest.mark.django_db
def test_a_caseworker_cannot_import_screenings(caseworker: User, household: Household) -> None:
    head = household.members.first()
    checked = check(SCREENINGS, source("awda_screening__k6", [screening_row(head)]), caseworker)
    assert checked.problems and not checked.items


# -- case assessments ---------------------------------------------------------------------------


def assessment_row(case: Case, version: FormVersion, **cells: str) -> dict[str, str]:
    row = {
        "awda_form": f"awda_assessment__{version.form.slug}__v{version.number}",
        "case_reference": case.reference,
        "assessed_on": TODAY.isoformat(),
        "income": "yes",
        "income_source": "بيع الخبز",
        "debts": "no",
        "meals": "2",
        "shelter": "damaged",
        "needs": "health food",
    }
    row.update(cells)
    return row


@pytest.mark.django_db
def test_the_assessment_check_follows_the_forms_types_required_answers_and_skip_logic(
    caseworker: User, case: Case, vulnerability: FormVersion, other_caseworker: User
) -> None:
    other_household = register(other_caseworker, reference="B-0001")
    from awda.cases.services import case_open

    other_case = case_open(by=other_caseworker, household=other_household)
    form_id = f"awda_assessment__household-vulnerability__v{vulnerability.number}"
    before = counts()
    checked = check(
        ASSESSMENTS,
        source(
            form_id,
            [
                assessment_row(case, vulnerability),  # 2: good
                assessment_row(
                    case,
                    vulnerability,
                    case_reference="C-NOPE",
                    assessed_on=(TODAY - DAY).isoformat(),
                ),  # 3
                assessment_row(
                    case,
                    vulnerability,
                    case_reference=other_case.reference,
                    assessed_on=(TODAY - 2 * DAY).isoformat(),
                ),  # 4
                assessment_row(
                    case,
                    vulnerability,
                    income="",
                    meals="many",
                    assessed_on=(TODAY - 3 * DAY).isoformat(),
                ),  # 5
                assessment_row(
                    case,
                    vulnerability,
                    shelter="palace",
                    needs="food fuel",
                    assessed_on=(TODAY - 4 * DAY).isoformat(),
                ),  # 6
                assessment_row(case, vulnerability),  # 7: same case and date as row 2
                assessment_row(
                    case,
                    vulnerability,
                    income_source='=HYPERLINK("http://x")',
                    assessed_on=(TODAY - 5 * DAY).isoformat(),
                ),  # 8
                assessment_row(case, vulnerability, assessed_on=(TODAY + DAY).isoformat()),  # 9
            ],
        ),
        caseworker,
    )
    assert counts() == before
    assert where(checked) == {
        (3, "case_reference"),
        (4, "case_reference"),
        (5, "income"),
        (5, "meals"),
        (6, "shelter"),
        (6, "needs"),
        (7, "assessed_on"),
        (8, "income_source"),
        (9, "assessed_on"),
    }
    assert problems_at(checked, 3)[0].problem == problems_at(checked, 4)[0].problem
    formula = problems_at(checked, 8)[0]
    assert formula.problem == "a formula, not an answer" and formula.value == ""
    assert next(p for p in problems_at(checked, 6) if p.column == "needs").value == "fuel"
    assert checked.items[0].data == {
        "case": case.pk,
        "version": vulnerability.pk,
        "assessed_on": TODAY.isoformat(),
        "answers": {
            "income": "yes",
            "income_source": "بيع الخبز",
            "debts": "no",
            "meals": 2,
            "shelter": "damaged",
            "needs": ["food", "health"],
        },
    }
    # the skip logic drops what does not apply, as the service does
    skipped = check(
        ASSESSMENTS,
        source(form_id, [assessment_row(case, vulnerability, income="no")]),
        caseworker,
    )
    assert not skipped.items[0].problems
    assert "income_source" not in skipped.items[0].data["answers"]


@pytest.mark.django_db
def test_a_closed_case_and_a_date_before_the_case_are_refused(
    caseworker: User, case: Case, vulnerability: FormVersion
) -> None:
    form_id = f"awda_assessment__household-vulnerability__v{vulnerability.number}"
    early = check(
        ASSESSMENTS,
        source(
            form_id,
            [assessment_row(case, vulnerability, assessed_on=(TODAY - 31 * DAY).isoformat())],
        ),
        caseworker,
    )
    assert "before the case was opened" in problems_at(early, 2)[0].problem
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    closed = check(ASSESSMENTS, source(form_id, [assessment_row(case, vulnerability)]), caseworker)
    assert problems_at(closed, 2)[0].problem == "the case is closed"


@pytest.mark.django_db
def test_the_assessment_commit_records_encrypted_answers_and_the_rollback_undoes_it(
    caseworker: User, supervisor: User, case: Case, vulnerability: FormVersion
) -> None:
    form_id = f"awda_assessment__household-vulnerability__v{vulnerability.number}"
    rows = [
        assessment_row(case, vulnerability, assessed_on=(TODAY - DAY).isoformat()),
        assessment_row(case, vulnerability, income="no"),
    ]
    checked = check(ASSESSMENTS, source(form_id, rows), caseworker)
    created = commit(ASSESSMENTS, checked, caseworker, batch=11)
    pks = created["cases.assessment"]
    first, second = Assessment.objects.get(pk=pks[0]), Assessment.objects.get(pk=pks[1])
    assert first.answers["income_source"] == "بيع الخبز" and first.answers["meals"] == 2
    assert "income_source" not in second.answers
    assert first.form_version == vulnerability and first.recorded_by == caseworker
    assert raw("cases_assessment", "answers", first.pk).startswith("gAAAAA")
    imported = AuditEntry.objects.get(action=Action.IMPORT, object_id=str(first.pk))
    assert imported.details["assessed_on"] == (TODAY - DAY).isoformat()
    assert imported.details["import_batch"] == 11

    audit_record(actor=supervisor, action=Action.UPDATE, obj=second)  # changed since
    with pytest.raises(ValidationError):
        ASSESSMENTS.rollback(created, by=caseworker)
    assert Assessment.objects.count() == 2
    ASSESSMENTS.rollback({"cases.assessment": [first.pk]}, by=caseworker)
    assert list(Assessment.objects.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_an_assessment_form_version_must_exist(caseworker: User, case: Case) -> None:
    checked = check(
        ASSESSMENTS,
        source(
            "awda_assessment__household-vulnerability__v99", [{"case_reference": case.reference}]
        ),
        caseworker,
    )
    assert checked.problems and not checked.items


def test_dates_are_read_as_the_tools_and_people_write_them() -> None:
    from awda.collect.kinds import _day

    assert _day("2025-03-01")[0] == datetime.date(2025, 3, 1)
    assert _day("2025-03-01T10:00:00.000+03:00")[0] == datetime.date(2025, 3, 1)
    assert _day("01/03/2025")[0] == datetime.date(2025, 3, 1)
    assert _day("٢٠٢٥-٠٣-٠١")[0] == datetime.date(2025, 3, 1)
    assert _day("2025-02-30")[1] == "no such date"
    assert _day("next week")[1] == "not a date"
    assert timezone.localdate()  # the check compares with the local day
