"""KoboToolbox exports of forms collected with Awda's XLSForms, through the import engine
as the import page runs it: a survey is read, recognised although KoboToolbox replaced the
form id with its own, checked, committed once, and importing it again changes nothing; a
registration's question names are the layout the registration import reads."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from awda.accounts.models import User
from awda.collect import xlsform
from awda.collect.tests.conftest import ARRIVED, no_progress
from awda.imports import services
from awda.imports.models import ImportBatch
from awda.registry.models import Household
from awda.reintegration.models import Survey, SurveyInstrument


def kobo_export(folder: Path) -> Path:
    on = (ARRIVED + datetime.timedelta(days=35)).isoformat()
    submissions = [
        {
            "_id": 101,
            "_uuid": "5b0c1d2e-0000-4000-8000-000000000101",
            "_xform_id_string": "aVr7Kq9zXy2LmN3oPq4RsT",  # Kobo's asset id, not Awda's
            "_submission_time": "2025-03-01T10:00:00",
            "formhub/uuid": "f00",
            "meta/instanceID": "uuid:5b0c1d2e-0000-4000-8000-000000000101",
            "awda_form": "awda_survey__awda-default__v1",
            "household_reference": "A-0001",
            "months": "1",
            "conducted_on": on,
            "group_economic/income_source": "irregular_work",  # a group, as Kobo names it
            "debts": "repayable",
        }
    ]
    path = folder / "survey.json"
    path.write_text(json.dumps(submissions), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_kobo_export_of_a_survey_comes_back_once(
    tmp_path: Path, caseworker: User, home_household: Household, instrument: SurveyInstrument
) -> None:
    path = kobo_export(tmp_path)
    organisation = caseworker.organisation
    assert organisation is not None
    _source, kind, _mapping, checked = services.check_file(
        path, by=caseworker, organisation=organisation, file_name="survey.json"
    )
    assert kind is not None and kind.code == "survey"
    assert not services.all_problems(checked), services.all_problems(checked)
    assert checked.items[0].data["answers"] == {
        "income_source": "irregular_work",
        "debts": "repayable",
    }
    batch = ImportBatch.objects.create(
        organisation=organisation, file_name="survey.json", file_sha256="0" * 64
    )
    result = services.commit_items(
        kind=kind,
        items=checked.items,
        problems=checked.problems,
        batch=batch,
        by=caseworker,
        skip_bad_rows=False,
        import_anyway=set(),
        progress=no_progress,
    )
    assert result["imported"] == 1
    survey = Survey.objects.get()
    assert result["created"] == {"reintegration.survey": [survey.pk]}
    # the same export again: the submission id is known, nothing is left to import
    _source, _kind, _mapping, again = services.check_file(
        path, by=caseworker, organisation=organisation, file_name="survey.json"
    )
    assert not again.items and not services.all_problems(again)
    assert again.summary.get("already_submissions") == 1


# What a registration collected with Awda's form holds, question by question (a Kobo JSON
# export names a repeat's questions by their path, "members/sex").
HOUSEHOLD = {
    "household_reference": "",
    "camp": "SY080006-HOL",
    "camp_section": "SY080006-HOL-P2",
    "camp_block": "SY080006-HOL-P2-B03",
    "tent": "12",
    "origin_governorate": "IQG01",
    "origin": "IQG01Q01N01",
    "destination_governorate": "",
    "destination": "",
    "household_nationality": "IQ",
    "registered_on": "2025-01-05",
}
HEAD = {
    "relationship": "head",
    "first_name_ar": "فاطمة",
    "father_name_ar": "أحمد",
    "grandfather_name_ar": "",
    "family_name_ar": "الجبوري",
    "first_name_lat": "Fatima",
    "father_name_lat": "",
    "grandfather_name_lat": "",
    "family_name_lat": "",
    "sex": "F",
    "date_of_birth": "1990-03-14",
    "dob_precision": "exact",
    "nationality": "",
    "doc_national_id": "held",
    "doc_family_booklet": "missing",
    # what the form's `documents` calculation makes of the two answers above
    "documents": "national_id:held;family_booklet:missing",
    "needs": "SP DS",  # a select_multiple: its choices separated by spaces
}


@pytest.mark.django_db
def test_a_registration_collected_with_the_form_reads_into_the_registry_layout(
    tmp_path: Path, supervisor: User
) -> None:
    names = xlsform.question_names(xlsform.build(xlsform.registration_form()))
    asked = set(names[""]) - {"no_head"}
    assert asked == set(HOUSEHOLD)
    member_questions = set(names[xlsform.MEMBERS])
    assert {k for k in HEAD if not k.startswith("doc_")} <= member_questions
    submission = {
        "_uuid": "5b0c1d2e-0000-4000-8000-000000000202",
        "_xform_id_string": "aKoboAssetId",
        **HOUSEHOLD,
        "members": [{f"members/{k}": v for k, v in HEAD.items() if k in member_questions}],
    }
    path = tmp_path / "registration.json"
    path.write_text(json.dumps([submission], ensure_ascii=False), encoding="utf-8")
    _source, kind, _mapping, checked = services.check_file(
        path, by=supervisor, organisation=supervisor.organisation, file_name="registration.json"
    )
    assert kind is not None and kind.code == "registration"
    assert not services.all_problems(checked), [p.line() for p in services.all_problems(checked)]
    [member] = checked.items[0].data["members"]
    assert member["documents"] == {"national_id": "held", "family_booklet": "missing"}
    assert sorted(member["needs"]) == ["DS", "SP"]
