"""Every form exports to an XLSForm that pyxform (and ODK Validate, where Java is
installed) accepts, with the right form id, question names, choices and Arabic labels."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from awda.cases.models import FormDefinition
from awda.collect import xlsform
from awda.imports.columns import COLUMNS, HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from awda.mhpss.instruments import INSTRUMENTS
from awda.registry.models import CivilDocument, Person, SpecificNeed
from awda.reintegration.models import SurveyInstrument

ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def _odk_validate_available() -> bool:
    import pyxform

    jar = Path(pyxform.__file__).parent / "validators/odk_validate/bin/ODK_Validate.jar"
    return shutil.which("java") is not None and jar.exists()


ODK_VALIDATE = _odk_validate_available()


def checked(form: xlsform.XLSForm) -> bytes:
    """The workbook, through pyxform and, where Java is installed, ODK Validate (the
    JavaRosa engine of ODK Collect) — which finds what pyxform lets through, such as a
    quote inside an expression or a cycle between questions."""
    content = xlsform.build(form)
    if ODK_VALIDATE:
        xlsform.convert(content, odk_validate=True)
    return content


def sheets(content: bytes) -> dict[str, list[dict[str, Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    found = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        found[sheet.title] = [
            {k: ("" if v is None else str(v)) for k, v in zip(header, row, strict=False)}
            for row in rows[1:]
        ]
    return found


def survey_row(book: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    return next(r for r in book["survey"] if r["name"] == name)


def choices_of(book: dict[str, list[dict[str, Any]]], list_name: str) -> list[dict[str, Any]]:
    return [c for c in book["choices"] if c["list_name"] == list_name]


def labelled_in_arabic(book: dict[str, list[dict[str, Any]]]) -> None:
    for row in book["survey"]:
        if row["type"] in ("calculate", "end_repeat", "end_group"):
            continue
        assert ARABIC_LETTER.search(row["label::Arabic (ar)"]), row["name"]
        assert row["label::English (en)"], row["name"]
    for choice in book["choices"]:
        assert choice["label::Arabic (ar)"] and choice["label::English (en)"], choice


@pytest.mark.django_db
def test_the_registration_form_asks_every_column_the_import_reads() -> None:
    content = checked(xlsform.registration_form())
    names = xlsform.question_names(content)
    assert set(HOUSEHOLD_COLUMNS) <= set(names[""])
    assert set(PERSON_COLUMNS) <= set(names[xlsform.MEMBERS])
    assert set(COLUMNS) - {"submission_id"} <= set(names[""]) | set(names[xlsform.MEMBERS])
    # the governorates filter the places; one question per civil document
    assert {"origin_governorate", "destination_governorate"} <= set(names[""])
    assert {f"doc_{kind}" for kind in CivilDocument.Kind.values} <= set(names["members"])


@pytest.mark.django_db
def test_the_registration_form_has_its_settings_choices_and_arabic_labels() -> None:
    book = sheets(checked(xlsform.registration_form()))
    settings = book["settings"][0]
    assert settings["form_id"] == "awda_registration"
    assert settings["default_language"] == "Arabic (ar)"
    assert settings["version"].startswith("1.")
    labelled_in_arabic(book)
    # places by P-code, sections filtered by camp and blocks by section
    camps = {c["name"] for c in choices_of(book, "camps")}
    assert "SY080006-HOL" in camps
    section = next(c for c in choices_of(book, "camp_sections") if c["name"] == "SY080006-HOL-P2")
    assert section["camp"] == "SY080006-HOL"
    block = next(c for c in choices_of(book, "camp_blocks") if c["name"] == "SY080006-HOL-P2-B03")
    assert block["section"] == "SY080006-HOL-P2"
    assert survey_row(book, "camp_section")["choice_filter"] == "camp=${camp}"
    assert survey_row(book, "camp_block")["choice_filter"] == "section=${camp_section}"
    # origin: a sub-district's P-code, filtered by its governorate
    origin = next(c for c in choices_of(book, "subdistricts") if c["name"] == "IQG01Q01N01")
    assert origin["gov"] == "IQG01"
    assert origin["label::Arabic (ar)"].startswith("العامرية")
    assert survey_row(book, "origin")["choice_filter"] == "gov=${origin_governorate}"
    # the registry's codes, labelled in both languages
    relationships = choices_of(book, "relationships")
    assert [c["name"] for c in relationships] == Person.Relationship.values
    head = relationships[0]
    assert (head["label::Arabic (ar)"], head["label::English (en)"]) == (
        "رب الأسرة",
        "Head of household",
    )
    assert [c["name"] for c in choices_of(book, "sexes")] == ["F", "M"]
    assert [c["name"] for c in choices_of(book, "specific_needs")] == SpecificNeed.Code.values
    assert survey_row(book, "needs")["type"] == "select_multiple specific_needs"
    assert {c["name"] for c in choices_of(book, "nationalities")} >= {"SY", "IQ", "FR"}
    assert survey_row(book, "camp")["required"] == "yes"
    assert survey_row(book, "members")["type"] == "begin_repeat"


def test_documents_are_folded_into_the_column_the_import_reads() -> None:
    expression = xlsform.documents_calculation()
    for kind in CivilDocument.Kind.values:
        assert f"concat(';{kind}:', ${{doc_{kind}}})" in expression
    # the first ";" goes: "national_id:held;family_booklet:missing"
    assert expression.startswith("substr(concat(") and expression.endswith("), 1)")


@pytest.mark.django_db
def test_each_survey_instrument_exports_with_its_questions_and_choices(
    instrument: SurveyInstrument,
) -> None:
    form = xlsform.survey_form(instrument)
    book = sheets(checked(form))
    assert book["settings"][0]["form_id"] == "awda_survey__awda-default__v1"
    questions = instrument.definition["questions"]
    names = [r["name"] for r in book["survey"]]
    assert names == [
        "awda_form",
        "household_reference",
        "months",
        "conducted_on",
        *(q["name"] for q in questions),
    ]
    assert survey_row(book, "awda_form")["calculation"] == "'awda_survey__awda-default__v1'"
    assert survey_row(book, "household_reference")["required"] == "yes"
    assert [c["name"] for c in choices_of(book, "months")] == ["1", "3", "6", "12"]
    assert survey_row(book, "conducted_on")["constraint"] == ". <= today()"
    first = questions[0]
    row = survey_row(book, first["name"])
    assert row["label::Arabic (ar)"] == first["label_ar"]
    assert row["type"] == f"select_one {first['name']}_choices"
    assert [c["name"] for c in choices_of(book, f"{first['name']}_choices")] == [
        c["value"] for c in first["choices"]
    ]
    labelled_in_arabic(book)


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_each_screening_instrument_exports_with_its_items(code: str) -> None:
    instrument = INSTRUMENTS[code]
    book = sheets(checked(xlsform.screening_form(code)))
    assert book["settings"][0]["form_id"] == f"awda_screening__{code}"
    names = [r["name"] for r in book["survey"]]
    items = [f"item_{i}" for i in range(1, len(instrument.items) + 1)]
    head = ["awda_form", "person_id", "household_reference", "screened_on", "instructions"]
    assert names == [*head, *items]
    assert survey_row(book, "person_id")["type"] == "integer"
    for index, (arabic, english) in enumerate(instrument.items, start=1):
        row = survey_row(book, f"item_{index}")
        assert row["required"] == "yes"
        assert arabic in row["label::Arabic (ar)"] and english in row["label::English (en)"]
    scale = choices_of(book, f"{code}_scale")
    assert [int(c["name"]) for c in scale] == list(range(instrument.low, instrument.high + 1))
    assert [c["label::Arabic (ar)"] for c in scale] == [a for a, _e in instrument.choices]
    labelled_in_arabic(book)


@pytest.mark.django_db
def test_each_assessment_form_exports_with_its_skip_logic() -> None:
    forms = list(FormDefinition.objects.all())
    assert forms
    for form in forms:
        version = form.latest()
        assert version is not None
        book = sheets(checked(xlsform.assessment_form(version)))
        assert book["settings"][0]["form_id"] == f"awda_assessment__{form.slug}__v{version.number}"
        names = [r["name"] for r in book["survey"]]
        assert names == [
            "awda_form",
            "case_reference",
            "assessed_on",
            *(f["name"] for f in version.fields),
        ]
        for field in version.fields:
            row = survey_row(book, field["name"])
            assert row["relevant"] == (field.get("relevant") or "")
            assert row["required"] == ("yes" if field.get("required") else "")
        labelled_in_arabic(book)
    version = FormDefinition.objects.get(slug="household-vulnerability").latest()
    assert version is not None
    vulnerability = sheets(checked(xlsform.assessment_form(version)))
    assert survey_row(vulnerability, "income_source")["relevant"] == "${income} = 'yes'"
    assert survey_row(vulnerability, "needs")["type"] == "select_multiple needs_choices"


@pytest.mark.django_db
def test_a_form_pyxform_refuses_is_refused_with_the_error_class_only(
    instrument: SurveyInstrument,
) -> None:
    definition = dict(instrument.definition)
    clash = dict(definition["questions"][0], name="months")  # the survey's own question
    definition["questions"] = [clash, *definition["questions"][1:]]
    broken = SurveyInstrument(code="broken", version=1, name_ar="م", name_en="B")
    broken.definition = definition
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.build(xlsform.survey_form(broken))
    assert str(error.value) == "PyXFormError"
