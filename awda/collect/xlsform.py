"""Awda's forms as XLSForm workbooks, for collecting offline in KoboToolbox or ODK: the
household registration, the reintegration surveys, the MHPSS screenings and the case
assessment forms. Each workbook has a `survey`, a `choices` and a `settings` sheet,
labels in Arabic (the default language) and English, and is checked with pyxform — the
converter KoboToolbox and ODK run on upload — before anyone gets it.

The question names are the contract with the import: the registration form's are the
person-level columns of awda/imports/columns.py (plus the governorates that filter the
places and one question per civil document, folded into `documents`); the other forms'
submissions come back through the import kinds in awda/collect/kinds.py, which read the
names given here (HOUSEHOLD_REFERENCE, MONTHS, ...). The non-registration forms carry a
calculated `awda_form` holding their form id, because KoboToolbox replaces the form id
with its own when a form is uploaded.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from awda.cases.models import FormVersion
from awda.mhpss.instruments import INSTRUMENTS
from awda.places.models import Place
from awda.registry.countries import NATIONALITIES
from awda.registry.models import CivilDocument, Person, SpecificNeed
from awda.reintegration import instruments as survey_instruments
from awda.reintegration.models import FollowUp, SurveyInstrument

ARABIC, ENGLISH = "Arabic (ar)", "English (en)"
LANGUAGES = (ARABIC, ENGLISH)

REGISTRATION_FORM_ID = "awda_registration"
SURVEY_PREFIX = "awda_survey__"
SCREENING_PREFIX = "awda_screening__"
ASSESSMENT_PREFIX = "awda_assessment__"

# Question names the import kinds read.
FORM_QUESTION = "awda_form"
HOUSEHOLD_REFERENCE = "household_reference"
MONTHS = "months"
CONDUCTED_ON = "conducted_on"
PERSON_ID = "person_id"
SCREENED_ON = "screened_on"
CASE_REFERENCE = "case_reference"
ASSESSED_ON = "assessed_on"
MEMBERS = "members"
DOCUMENT_PREFIX = "doc_"

NOT_IN_FUTURE = ". <= today()"
FUTURE = ("التاريخ في المستقبل.", "The date is in the future.")

# Names are checked in XLSForm too, as the registry checks them (registry/validation.py).
_ARABIC_LETTERS = "[\u0621-\u063a\u0641-\u064a\u064b-\u0652\u0640\u0670\u0671]"
_LATIN_LETTERS = "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff'\u2019]"
_ARABIC_NAME = f"^{_ARABIC_LETTERS}+( {_ARABIC_LETTERS}+)*$"
_LATIN_NAME = f"^{_LATIN_LETTERS}+([ -]{_LATIN_LETTERS}+)*$"

SURVEY_COLUMNS = (
    "type",
    "name",
    f"label::{ARABIC}",
    f"label::{ENGLISH}",
    f"hint::{ARABIC}",
    f"hint::{ENGLISH}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{ARABIC}",
    f"constraint_message::{ENGLISH}",
    "choice_filter",
    "calculation",
    "default",
    "appearance",
)


class XLSFormError(Exception):
    """pyxform refused the workbook. `cause` is the original exception (its class name is
    what gets logged: its message may quote labels)."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


Text = tuple[str, str]  # (Arabic, English)


def _both(label: Any) -> Text:
    """A translatable label (a model's choice label) in Arabic and in English."""
    with translation.override("ar"):
        arabic = str(label)
    with translation.override("en"):
        english = str(label)
    return arabic, english


@dataclass
class Question:
    type: str
    name: str
    label: Text = ("", "")
    hint: Text = ("", "")
    required: str = ""
    relevant: str = ""
    constraint: str = ""
    constraint_message: Text = ("", "")
    choice_filter: str = ""
    calculation: str = ""
    default: str = ""
    appearance: str = ""

    def row(self) -> list[str]:
        return [
            self.type,
            self.name,
            *self.label,
            *self.hint,
            self.required,
            self.relevant,
            self.constraint,
            *self.constraint_message,
            self.choice_filter,
            self.calculation,
            self.default,
            self.appearance,
        ]


@dataclass
class Choice:
    list_name: str
    name: str
    label: Text
    # Extra columns a choice_filter reads (camp, section, gov).
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class XLSForm:
    form_id: str
    title: Text
    version_base: str
    questions: list[Question]
    choices: list[Choice]
    # What the form is for, for the list page and the audit trail.
    kind: str = ""
    filename: str = ""

    @property
    def filter_columns(self) -> list[str]:
        seen: list[str] = []
        for choice in self.choices:
            for column in choice.filters:
                if column not in seen:
                    seen.append(column)
        return seen

    def survey_rows(self) -> list[list[str]]:
        return [q.row() for q in self.questions]

    def choice_rows(self) -> list[list[str]]:
        columns = self.filter_columns
        return [
            [c.list_name, c.name, *c.label, *(c.filters.get(k, "") for k in columns)]
            for c in self.choices
        ]

    @property
    def version(self) -> str:
        """The form's version: its base (the instrument's or the form's version) and a
        digest of its content, so that a changed form (a new camp block, a relabelled
        question) uploads to ODK Central as a new version and an unchanged one does not."""
        content = json.dumps(
            [self.form_id, self.title, self.survey_rows(), self.choice_rows()],
            ensure_ascii=False,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:8]
        return f"{self.version_base}.{digest}"

    def workbook(self) -> bytes:
        """The XLSX workbook, unchecked (see `build`)."""
        import openpyxl

        book = openpyxl.Workbook()
        survey = book.active
        survey.title = "survey"
        survey.append(list(SURVEY_COLUMNS))
        for row in self.survey_rows():
            survey.append(row)
        choices = book.create_sheet("choices")
        choices.append(
            ["list_name", "name", f"label::{ARABIC}", f"label::{ENGLISH}", *self.filter_columns]
        )
        for row in self.choice_rows():
            choices.append(row)
        settings = book.create_sheet("settings")
        settings.append(["form_title", "form_id", "version", "default_language"])
        settings.append([f"{self.title[0]} — {self.title[1]}", self.form_id, self.version, ARABIC])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def convert(content: bytes, *, odk_validate: bool = False) -> Any:
    """pyxform's conversion of a workbook to an XForm (`ConvertResult`), as KoboToolbox
    and ODK Central run it on upload; with `odk_validate`, also ODK Validate (JavaRosa,
    needs Java: slow, for tests). XLSFormError if either refuses it."""
    from pyxform.xls2xform import convert as pyxform_convert

    try:
        return pyxform_convert(
            xlsform=content, warnings=[], file_type=".xlsx", validate=odk_validate
        )
    except Exception as error:  # pyxform raises several kinds; all mean "refused"
        raise XLSFormError(error) from error


def build(form: XLSForm) -> bytes:
    """The workbook, checked by pyxform (XLSFormError if refused)."""
    content = form.workbook()
    convert(content)
    return content


def _form_marker(form_id: str) -> Question:
    return Question("calculate", FORM_QUESTION, calculation=f"'{form_id}'")


def _date(name: str, label: Text, *, required: bool = True) -> Question:
    return Question(
        "date",
        name,
        label,
        required="yes" if required else "",
        constraint=NOT_IN_FUTURE,
        constraint_message=FUTURE,
    )


def _choices(list_name: str, pairs: Iterable[tuple[str, Any]]) -> list[Choice]:
    return [Choice(list_name, str(value), _both(label)) for value, label in pairs]


# -- (a) household registration -------------------------------------------------------------


def _place_label(place: Place, parent: Place | None = None) -> Text:
    if parent is None:
        return place.name_ar, place.name_en
    return f"{place.name_ar} ({parent.name_ar})", f"{place.name_en} ({parent.name_en})"


def _place_choices() -> list[Choice]:
    places = list(
        Place.objects.filter(
            kind__in=(
                Place.Kind.CAMP,
                Place.Kind.CAMP_SECTION,
                Place.Kind.CAMP_BLOCK,
                Place.Kind.GOVERNORATE,
                Place.Kind.DISTRICT,
                Place.Kind.SUBDISTRICT,
            )
        ).order_by("pcode")
    )
    by_pk = {p.pk: p for p in places}
    choices: list[Choice] = []
    for kind, list_name in (
        (Place.Kind.CAMP, "camps"),
        (Place.Kind.CAMP_SECTION, "camp_sections"),
        (Place.Kind.CAMP_BLOCK, "camp_blocks"),
        (Place.Kind.GOVERNORATE, "governorates"),
        (Place.Kind.SUBDISTRICT, "subdistricts"),
    ):
        for place in (p for p in places if p.kind == kind):
            parent = by_pk.get(place.parent_id) if place.parent_id else None
            filters: dict[str, str] = {}
            label = _place_label(place)
            if kind == Place.Kind.CAMP_SECTION and parent is not None:
                filters = {"camp": parent.pcode}
            elif kind == Place.Kind.CAMP_BLOCK and parent is not None:
                filters = {"section": parent.pcode}
            elif kind == Place.Kind.SUBDISTRICT:
                governorate = by_pk.get(place.governorate_id) if place.governorate_id else None
                filters = {"gov": governorate.pcode if governorate else ""}
                # names repeat across districts: the district tells them apart
                label = _place_label(place, parent)
            choices.append(Choice(list_name, place.pcode, label, filters))
    return choices


def _name_question(name: str, label: Text, arabic: bool, required: str = "") -> Question:
    return Question(
        "text",
        name,
        label,
        required=required,
        # in double quotes: the Latin letters include the apostrophe
        constraint=f'regex(., "{_ARABIC_NAME if arabic else _LATIN_NAME}")',
        constraint_message=(
            ("اكتب هذا الاسم بالحروف العربية فقط.", "Write this name in Arabic letters only.")
            if arabic
            else ("اكتب هذا الاسم بالحروف اللاتينية فقط.", "Write this name in Latin letters only.")
        ),
    )


def documents_calculation() -> str:
    """`kind:status` pairs joined by `;` (columns.py's `documents`), from one question
    per document kind: each answered one adds `;kind:status`, and the first `;` goes."""
    refs = {kind: f"${{{DOCUMENT_PREFIX}{kind}}}" for kind in CivilDocument.Kind.values}
    parts = [f"if({ref} != '', concat(';{kind}:', {ref}), '')" for kind, ref in refs.items()]
    return f"substr(concat({', '.join(parts)}), 1)"


def registration_form() -> XLSForm:
    """Household registration: the household's questions, then a repeat of its members,
    named as the person-level columns the import reads (awda/imports/columns.py)."""
    names = {
        "first_name": ("الاسم الأول", "First name"),
        "father_name": ("اسم الأب", "Father's name"),
        "grandfather_name": ("اسم الجد", "Grandfather's name"),
        "family_name": ("اسم العائلة", "Family name"),
    }
    # A first name in either script, and the father's or the family name in either: asked
    # of the Latin ones when the others are empty (one way only: ODK refuses a cycle).
    required = {
        "first_name_lat": "${first_name_ar} = ''",
        "family_name_lat": (
            "${father_name_ar} = '' and ${family_name_ar} = '' and ${father_name_lat} = ''"
        ),
    }
    member_names = [
        _name_question(
            f"{part}{suffix}",
            (f"{ar} {script_ar}", f"{en} {script_en}"),
            suffix == "_ar",
            required.get(f"{part}{suffix}", ""),
        )
        for suffix, script_ar, script_en in (
            ("_ar", "(بالعربية)", "(Arabic)"),
            ("_lat", "(بالحروف اللاتينية)", "(Latin letters)"),
        )
        for part, (ar, en) in names.items()
    ]
    documents = [
        Question(
            "select_one document_status",
            f"{DOCUMENT_PREFIX}{kind}",
            _both(label),
            hint=(
                "هل يحمل الشخص هذه الوثيقة أم هي مفقودة؟ اتركه فارغاً إن لم يُسأل عنها.",
                "Does the person hold this document, or is it missing? Leave empty if not asked.",
            ),
        )
        for kind, label in CivilDocument.Kind.choices
    ]
    questions = [
        Question(
            "text",
            "household_reference",
            ("رقم الأسرة", "Household reference number"),
            hint=(
                "اتركه فارغاً لأسرة جديدة: يعطيها نظام عودة رقماً.",
                "Leave empty for a new household: Awda gives it a number.",
            ),
        ),
        Question("select_one camps", "camp", ("المخيم", "Camp"), required="yes"),
        Question(
            "select_one camp_sections",
            "camp_section",
            ("القطاع", "Camp section"),
            choice_filter="camp=${camp}",
        ),
        Question(
            "select_one camp_blocks",
            "camp_block",
            ("البلوك", "Block"),
            relevant="${camp_section} != ''",
            choice_filter="section=${camp_section}",
        ),
        Question("text", "tent", ("رقم الخيمة", "Tent")),
        Question(
            "select_one governorates",
            "origin_governorate",
            ("محافظة المنشأ", "Governorate of origin"),
        ),
        Question(
            "select_one subdistricts",
            "origin",
            ("الناحية الأصلية", "Sub-district of origin"),
            relevant="${origin_governorate} != ''",
            choice_filter="gov=${origin_governorate}",
        ),
        Question(
            "select_one governorates",
            "destination_governorate",
            ("محافظة الوجهة المقصودة", "Governorate of the intended destination"),
        ),
        Question(
            "select_one subdistricts",
            "destination",
            ("ناحية الوجهة المقصودة", "Sub-district of the intended destination"),
            relevant="${destination_governorate} != ''",
            choice_filter="gov=${destination_governorate}",
        ),
        Question(
            "select_one nationalities",
            "household_nationality",
            ("جنسية الأسرة", "The household's nationality"),
            required="yes",
        ),
        Question(
            "date",
            "registered_on",
            ("تاريخ التسجيل", "Registration date"),
            required="yes",
            constraint=NOT_IN_FUTURE,
            constraint_message=FUTURE,
            default="today()",
        ),
        Question("begin_repeat", MEMBERS, ("أفراد الأسرة", "Household members")),
        Question(
            "select_one relationships",
            "relationship",
            ("صلة القرابة برب الأسرة", "Relationship to the head"),
            required="yes",
            constraint=f". != 'head' or count(${{{MEMBERS}}}[relationship = 'head']) <= 1",
            constraint_message=(
                "للأسرة رب واحد فقط.",
                "A household has only one head.",
            ),
        ),
        *member_names,
        Question("select_one sexes", "sex", ("الجنس", "Sex"), required="yes"),
        Question(
            "date",
            "date_of_birth",
            ("تاريخ الميلاد", "Date of birth"),
            hint=(
                "إن لم تُعرف إلا السنة فأدخل الأول من تموز من تلك السنة واختر «السنة فقط».",
                "If only the year is known, enter 1 July of that year and choose “Year only”.",
            ),
            constraint=". <= today() and . >= date('1900-01-01')",
            constraint_message=(
                "تاريخ الميلاد في المستقبل أو قبل عام 1900.",
                "The date of birth is in the future or before 1900.",
            ),
        ),
        Question(
            "select_one dob_precisions",
            "dob_precision",
            ("تاريخ الميلاد", "The date of birth is"),
            required="yes",
            relevant="${date_of_birth} != ''",
        ),
        Question(
            "select_one nationalities",
            "nationality",
            ("الجنسية", "Nationality"),
            hint=(
                "اتركها فارغة إن كانت جنسية الأسرة.",
                "Leave empty when it is the household's.",
            ),
        ),
        *documents,
        Question("calculate", "documents", calculation=documents_calculation()),
        Question(
            "select_multiple specific_needs",
            "needs",
            ("الاحتياجات الخاصة", "Specific needs"),
        ),
        Question("end_repeat", ""),
        Question(
            "note",
            "no_head",
            (
                "لم يُسجَّل رب للأسرة: اختر رب الأسرة بين الأفراد.",
                "No head of household is recorded: choose the head among the members.",
            ),
            relevant=f"count(${{{MEMBERS}}}[relationship = 'head']) = 0",
        ),
    ]
    choices = [
        *_place_choices(),
        *_choices("nationalities", NATIONALITIES),
        *_choices("sexes", Person.Sex.choices),
        *_choices("dob_precisions", Person.DobPrecision.choices),
        *_choices("relationships", Person.Relationship.choices),
        *_choices("document_status", CivilDocument.Status.choices),
        *_choices("specific_needs", SpecificNeed.Code.choices),
    ]
    return XLSForm(
        form_id=REGISTRATION_FORM_ID,
        title=("تسجيل الأسر", "Household registration"),
        version_base="1",
        questions=questions,
        choices=choices,
        kind="registration",
        filename="awda_registration.xlsx",
    )


# -- (b) reintegration surveys --------------------------------------------------------------


def survey_form_id(code: str, version: int) -> str:
    return f"{SURVEY_PREFIX}{code}__v{version}"


MONTH_LABELS: dict[int, Text] = {
    1: ("بعد شهر من الوصول", "1 month after arrival"),
    3: ("بعد 3 أشهر", "3 months after arrival"),
    6: ("بعد 6 أشهر", "6 months after arrival"),
    12: ("بعد 12 شهراً", "12 months after arrival"),
}


def survey_form(instrument: SurveyInstrument) -> XLSForm:
    """A reintegration survey: which household, which follow-up, when, then the
    instrument's questions with their choices."""
    parsed = survey_instruments.parse(instrument.definition)
    form_id = survey_form_id(instrument.code, instrument.version)
    questions = [
        _form_marker(form_id),
        Question(
            "text",
            HOUSEHOLD_REFERENCE,
            ("رقم الأسرة", "Household reference number"),
            required="yes",
        ),
        Question("select_one months", MONTHS, ("المتابعة", "Follow-up"), required="yes"),
        _date(CONDUCTED_ON, ("تاريخ الاستبيان", "Date of the survey")),
    ]
    choices = [Choice("months", str(m), MONTH_LABELS[m]) for m in FollowUp.MONTHS]
    for question in parsed.questions:
        list_name = f"{question.name}_choices"
        questions.append(
            Question(
                f"select_one {list_name}", question.name, (question.label_ar, question.label_en)
            )
        )
        choices += [Choice(list_name, c.value, (c.label_ar, c.label_en)) for c in question.choices]
    return XLSForm(
        form_id=form_id,
        title=(instrument.name_ar, instrument.name_en),
        version_base=str(instrument.version),
        questions=questions,
        choices=choices,
        kind="survey",
        filename=f"{form_id}.xlsx",
    )


# -- (c) MHPSS screenings -------------------------------------------------------------------

_STEMS: dict[str, Text] = {
    "who5": (
        "خلال الأسبوعين الماضيين، كم من الوقت انطبقت عليك كل عبارة مما يلي؟",
        "Over the last two weeks, how much of the time did each statement apply to you?",
    ),
    "k10": (
        "خلال الثلاثين يوماً الماضية، كم مرة شعرت بما يلي؟",
        "During the last 30 days, about how often did you feel…",
    ),
    "k6": (
        "خلال الثلاثين يوماً الماضية، كم مرة شعرت بما يلي؟",
        "During the last 30 days, about how often did you feel…",
    ),
}


def screening_form_id(code: str) -> str:
    return f"{SCREENING_PREFIX}{code}"


def item_name(index: int) -> str:
    """The question of the instrument's item `index` (from 1)."""
    return f"item_{index}"


def screening_form(code: str) -> XLSForm:
    """A screening: the person's number in Awda (checked against the household's
    reference), the date, then the instrument's items, every one required."""
    instrument = INSTRUMENTS[code]
    form_id = screening_form_id(code)
    scale = f"{code}_scale"
    questions = [
        _form_marker(form_id),
        Question(
            "integer",
            PERSON_ID,
            ("رقم الشخص في نظام عودة", "The person's number in Awda"),
            hint=(
                "الرقم في عنوان صفحة الشخص في عودة (‎…/persons/123/‎).",
                "The number in the address of the person's page in Awda (…/persons/123/).",
            ),
            required="yes",
            constraint=". > 0",
        ),
        Question(
            "text",
            HOUSEHOLD_REFERENCE,
            ("رقم الأسرة", "Household reference number"),
            hint=(
                "للتأكد من أن رقم الشخص صحيح.",
                "To make sure that the person's number is right.",
            ),
            required="yes",
        ),
        _date(SCREENED_ON, ("تاريخ الفحص", "Date of the screening")),
        Question("note", "instructions", _STEMS.get(code, ("", instrument.name))),
    ]
    for index, (arabic, english) in enumerate(instrument.items, start=1):
        questions.append(
            Question(
                f"select_one {scale}",
                item_name(index),
                (f"{index}. {arabic}", f"{index}. {english}"),
                required="yes",
            )
        )
    choices = [
        Choice(scale, str(value), label)
        for value, label in zip(
            range(instrument.low, instrument.high + 1), instrument.choices, strict=True
        )
    ]
    return XLSForm(
        form_id=form_id,
        title=(f"فحص {instrument.name}", f"{instrument.name} screening"),
        version_base="1",
        questions=questions,
        choices=choices,
        kind="screening",
        filename=f"{form_id}.xlsx",
    )


# -- (d) case assessments -------------------------------------------------------------------


def assessment_form_id(slug: str, number: int) -> str:
    return f"{ASSESSMENT_PREFIX}{slug}__v{number}"


def _text(label: Any) -> Text:
    label = label if isinstance(label, dict) else {}
    arabic, english = str(label.get("ar") or ""), str(label.get("en") or "")
    return arabic or english, english or arabic


def assessment_form(version: FormVersion) -> XLSForm:
    """A case assessment form's version: which case, when, then its questions. The skip
    logic is XLSForm's own syntax already (awda/cases/relevance.py is a subset of it), so
    it goes into `relevant` as it is."""
    form = version.form
    form_id = assessment_form_id(form.slug, version.number)
    questions = [
        _form_marker(form_id),
        Question(
            "text",
            CASE_REFERENCE,
            ("رقم الحالة", "Case reference number"),
            required="yes",
        ),
        _date(ASSESSED_ON, ("تاريخ التقييم", "Date of the assessment")),
    ]
    choices: list[Choice] = []
    for item in version.fields:
        kind = str(item["type"])
        name = str(item["name"])
        if kind in ("select_one", "select_multiple"):
            list_name = f"{name}_choices"
            kind = f"{kind} {list_name}"
            choices += [
                Choice(list_name, str(c["name"]), _text(c.get("label")))
                for c in item.get("choices") or []
            ]
        questions.append(
            Question(
                kind,
                name,
                _text(item.get("label")),
                required="yes" if item.get("required") and kind != "note" else "",
                relevant=str(item.get("relevant") or ""),
            )
        )
    return XLSForm(
        form_id=form_id,
        title=(form.title_ar, form.title_en),
        version_base=str(version.number),
        questions=questions,
        choices=choices,
        kind="assessment",
        filename=f"{form_id}.xlsx",
    )


def question_names(content: bytes) -> dict[str, list[str]]:
    """The question names of a workbook as pyxform reads them: {"": top level, "<repeat>":
    its questions} (groups flattened, the `meta` group left out)."""
    survey = convert(content)._pyxform
    found: dict[str, list[str]] = {"": []}

    def walk(children: Sequence[dict[str, Any]], into: str) -> None:
        for child in children:
            kind = child.get("type", "")
            if kind == "repeat":
                found[child["name"]] = []
                walk(child.get("children", []), child["name"])
            elif kind == "group":
                if child.get("name") != "meta":
                    walk(child.get("children", []), into)
            else:
                found[into].append(child["name"])

    walk(survey.get("children", []), "")
    return found
