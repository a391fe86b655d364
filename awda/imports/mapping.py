# ruff: noqa: E501 (the tables of names people write read best one field a line)
"""Which column fills which field: the file's headers (Arabic or English, a Kobo question
name or its label, an HXL hashtag) matched to the registration fields, and the values
people actually type (ذكر, أنثى, 15/03/1990, ١٩٩٠, رب الأسرة, سورية ...) read into the
registry's codes.

A header is compared in a folded form: lower case, without Arabic diacritics and tatweel,
alef, ya and ta marbuta forms made one, punctuation and underscores made spaces.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from awda.imports.columns import COLUMNS
from awda.registry.countries import NATIONALITIES
from awda.registry.models import CivilDocument, Person, SpecificNeed

# Fields a column can fill. Besides the layout's own columns: name parts in whichever
# script the cell is written in, a full name to split, an age, and the governorate of
# origin to tell apart places of the same name.
EXTRA_FIELDS = (
    "first_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "full_name",
    "age",
    "origin_governorate",
    "destination_governorate",
)
FIELDS = (*COLUMNS, *EXTRA_FIELDS)

FIELD_LABELS = {
    "household_reference": _("household number"),
    "camp": _("camp"),
    "camp_section": _("camp section"),
    "camp_block": _("block"),
    "tent": _("tent"),
    "origin": _("place of origin"),
    "origin_governorate": _("governorate of origin"),
    "destination": _("destination"),
    "destination_governorate": _("governorate of destination"),
    "household_nationality": _("household's nationality"),
    "registered_on": _("registration date"),
    "relationship": _("relationship to the head"),
    "first_name_ar": _("first name (Arabic)"),
    "father_name_ar": _("father's name (Arabic)"),
    "grandfather_name_ar": _("grandfather's name (Arabic)"),
    "family_name_ar": _("family name (Arabic)"),
    "first_name_lat": _("first name (Latin)"),
    "father_name_lat": _("father's name (Latin)"),
    "grandfather_name_lat": _("grandfather's name (Latin)"),
    "family_name_lat": _("family name (Latin)"),
    "first_name": _("first name (either script)"),
    "father_name": _("father's name (either script)"),
    "grandfather_name": _("grandfather's name (either script)"),
    "family_name": _("family name (either script)"),
    "full_name": _("full name (split into its parts)"),
    "sex": _("sex"),
    "date_of_birth": _("date of birth"),
    "age": _("age"),
    "dob_precision": _("date of birth is"),
    "nationality": _("nationality"),
    "documents": _("civil documents"),
    "needs": _("specific needs"),
    "submission_id": _("submission id"),
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "household_reference": (
        "household reference", "household number", "household no", "household id",
        "hh id", "hh number", "hh no", "family number", "family id", "case number",
        "رقم العائله", "رقم الاسره", "رقم الاسرة", "رقم العائلة", "رقم الحاله", "رقم الملف",
        "#household+id", "#household+code",
    ),
    "camp": ("camp", "camp name", "المخيم", "اسم المخيم", "#loc+camp", "#loc+name+camp"),
    "camp_section": (
        "camp section", "section", "phase", "القطاع", "المرحله", "القسم", "الفاز",
    ),
    "camp_block": ("camp block", "block", "البلوك", "الكتله", "المربع"),
    "tent": ("tent", "tent number", "الخيمه", "رقم الخيمه"),
    "origin": (
        "origin", "place of origin", "area of origin", "community of origin", "sub district",
        "subdistrict", "مكان الاصل", "المنطقه الاصليه", "الناحيه", "منطقه الاصل",
        "#adm3+code", "#adm3+name",
    ),
    "origin_governorate": (
        "governorate", "governorate of origin", "origin governorate", "المحافظه",
        "محافظه الاصل", "المحافظه الاصليه", "#adm1+name", "#adm1+code",
    ),
    "destination": (
        "destination", "place of return", "intended destination", "وجهه العوده",
        "مكان العوده", "الوجهه",
    ),
    "destination_governorate": ("destination governorate", "محافظه العوده", "محافظه الوجهه"),
    "household_nationality": ("household nationality", "جنسيه الاسره", "جنسيه العائله"),
    "registered_on": ("registered on", "registration date", "date of registration", "تاريخ التسجيل"),
    "relationship": (
        "relationship", "relation", "relationship to head", "relation to head",
        "صله القرابه", "الصله", "القرابه", "العلاقه برب الاسره",
    ),
    "first_name": ("first name", "given name", "name", "الاسم", "الاسم الاول", "#affected+name+first"),
    "father_name": ("father name", "fathers name", "father s name", "اسم الاب", "#affected+name+father"),
    "grandfather_name": (
        "grandfather name", "grandfathers name", "grandfather s name", "اسم الجد",
    ),
    "family_name": (
        "family name", "last name", "surname", "الكنيه", "النسبه", "اسم العائله", "العائله",
        "اللقب", "#affected+name+family",
    ),
    "full_name": ("full name", "name in full", "الاسم الكامل", "الاسم الثلاثي", "الاسم الرباعي"),
    "sex": ("sex", "gender", "الجنس", "#affected+sex"),
    "date_of_birth": ("date of birth", "dob", "birth date", "birthdate", "تاريخ الميلاد", "تاريخ الولاده", "المواليد"),
    "age": ("age", "العمر", "السن", "#affected+age"),
    "dob_precision": ("dob precision", "date of birth is", "دقه تاريخ الميلاد"),
    "nationality": ("nationality", "citizenship", "الجنسيه", "#affected+nationality"),
    "documents": ("documents", "civil documents", "الوثائق", "الاوراق الثبوتيه"),
    "needs": ("needs", "specific needs", "specific needs codes", "الاحتياجات الخاصه"),
    "submission_id": ("submission id", "_uuid", "uuid", "instanceid", "meta instanceid", "key"),
}  # fmt: skip

_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    if text.startswith("#"):  # an HXL hashtag: compare without spaces
        return re.sub(r"\s+", "", text)
    text = _DIACRITICS.sub("", text).translate(_FOLD)
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


_BY_ALIAS: dict[str, str] = {}
for _field in FIELDS:
    _BY_ALIAS[fold(_field)] = _field
for _field, _names in _ALIASES.items():
    for _name in _names:
        _BY_ALIAS.setdefault(fold(_name), _field)


@functools.cache
def _labels_as_aliases() -> dict[str, str]:
    """The fields' own labels, in Arabic and English, and the registration XLSForm's
    question labels (a Kobo export labelled with them, or a list someone headed from
    Awda's own pages)."""
    from awda.collect.xlsform import registration_form

    found: dict[str, str] = {}
    for language in ("ar", "en"):
        with translation.override(language):
            for field, label in FIELD_LABELS.items():
                found.setdefault(fold(str(label)), field)
                found.setdefault(fold(re.sub(r"\s*\(.*\)$", "", str(label))), field)
    for question in registration_form().questions:
        if question.name in FIELDS:
            for text in question.label:
                if text:
                    found.setdefault(fold(str(text)), question.name)
    return found


def guess(
    headers: Iterable[str], *, hxl: dict[str, str] | None = None, labels: dict[str, str] | None
) -> dict[str, str]:
    """The file's header -> field, for the headers recognised; each field once (the first
    column that names it wins)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    known = {**_labels_as_aliases(), **_BY_ALIAS}
    for header in headers:
        candidates = [header, (labels or {}).get(header, ""), (hxl or {}).get(header, "")]
        for candidate in candidates:
            field = known.get(fold(candidate)) if candidate else None
            if field and field not in taken:
                mapping[header] = field
                taken.add(field)
                break
    return mapping


# -- values ---------------------------------------------------------------------------------

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def digits(text: str) -> str:
    return (text or "").translate(_ARABIC_DIGITS)


_SEX = {
    "f": "F", "female": "F", "woman": "F", "girl": "F", "انثي": "F", "انثى": "F", "ا": "F",
    "امراه": "F", "بنت": "F", "m": "M", "male": "M", "man": "M", "boy": "M", "ذكر": "M",
    "ذ": "M", "رجل": "M", "ولد": "M",
}  # fmt: skip


@functools.cache
def _choice_labels(choices: tuple[tuple[str, object], ...]) -> dict[str, str]:
    """A model's choices by their Arabic and English labels (a labelled Kobo export)."""
    found: dict[str, str] = {}
    for value, label in choices:
        for language in ("ar", "en"):
            with translation.override(language):
                found.setdefault(fold(str(label)), value)
    return found


def choice_label(choices: Sequence[tuple[str, Any]], value: str) -> str | None:
    return _choice_labels(tuple(choices)).get(fold(value))


def sex(value: str) -> str | None:
    return _SEX.get(fold(value)) or _choice_labels(tuple(Person.Sex.choices)).get(fold(value))


_RELATIONSHIPS = {
    "head": ("head", "head of household", "hoh", "رب الاسره", "ربه الاسره", "رب العائله", "ربه العائله", "المعيل"),
    "spouse": ("spouse", "wife", "husband", "زوج", "زوجه", "الزوجه", "الزوج"),
    "child": ("child", "son", "daughter", "ابن", "ابنه", "بنت", "الابن", "الابنه", "ولد"),
    "stepchild": ("stepchild", "stepson", "stepdaughter", "ربيب", "ربيبه"),
    "grandchild": ("grandchild", "grandson", "granddaughter", "حفيد", "حفيده"),
    "parent": ("parent", "father", "mother", "اب", "ام", "الاب", "الام", "والد", "والده"),
    "sibling": ("sibling", "brother", "sister", "اخ", "اخت", "الاخ", "الاخت"),
    "nephew_niece": ("nephew", "niece", "nephew niece", "ابن الاخ", "ابن الاخت", "بنت الاخ", "بنت الاخت"),
    "uncle_aunt": ("uncle", "aunt", "uncle aunt", "عم", "عمه", "خال", "خاله"),
    "in_law": ("in law", "daughter in law", "son in law", "كنه", "صهر", "حماه", "حمو", "زوجه الابن"),
    "other_relative": ("other relative", "relative", "قريب", "قريبه", "اخرى"),
    "unrelated": ("unrelated", "not related", "foster child", "غير قريب", "بدون قرابه"),
}  # fmt: skip
_RELATIONSHIP_BY_NAME = {
    fold(name): code for code, names in _RELATIONSHIPS.items() for name in (code, *names)
}


def relationship(value: str) -> str | None:
    return _RELATIONSHIP_BY_NAME.get(fold(value)) or _choice_labels(
        tuple(Person.Relationship.choices)
    ).get(fold(value))


_NATIONALITY_NAMES = {
    "SY": ("syria", "syrian", "سوريا", "سوريه", "سوري", "سوريه العربيه"),
    "IQ": ("iraq", "iraqi", "العراق", "عراق", "عراقي", "عراقيه"),
}
_NATIONALITY_BY_NAME = {fold(code): code for code, _label in NATIONALITIES}
for _code, _label in NATIONALITIES:
    _NATIONALITY_BY_NAME.setdefault(fold(str(_label)), _code)
for _code, _names in _NATIONALITY_NAMES.items():
    for _name in _names:
        _NATIONALITY_BY_NAME[fold(_name)] = _code


def nationality(value: str) -> str | None:
    return _NATIONALITY_BY_NAME.get(fold(value)) or _choice_labels(tuple(NATIONALITIES)).get(
        fold(value)
    )


def documents(value: str) -> tuple[dict[str, str], list[str]]:
    """`national_id:held;family_booklet:missing` -> ({kind: status}, [what was not understood])."""
    found: dict[str, str] = {}
    unknown = []
    for part in re.split(r"[;,\n]+", value or ""):
        part = part.strip()
        if not part:
            continue
        kind, _sep, status = part.partition(":")
        kind, status = kind.strip().lower(), (status.strip().lower() or "held")
        if kind in CivilDocument.Kind.values and status in CivilDocument.Status.values:
            found[kind] = status
        else:
            unknown.append(part)
    return found, unknown


def needs(value: str) -> tuple[set[str], list[str]]:
    found: set[str] = set()
    unknown = []
    for part in re.split(r"[;,\s]+", value or ""):
        code = part.strip().upper()
        if not code:
            continue
        if code in SpecificNeed.Code.values:
            found.add(code)
        else:
            unknown.append(part)
    return found, unknown


class BadDate(ValueError):
    def __init__(self, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.suggestion = suggestion


_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def date(value: str, *, today: datetime.date) -> tuple[datetime.date, str]:
    """A date as people write it -> (date, precision). YYYY-MM-DD, DD/MM/YYYY (the
    region's order), YYYY alone, Arabic-Indic digits, an Excel day number. Raises BadDate
    saying what is wrong."""
    text = digits(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 7, 1), Person.DobPrecision.YEAR
    if re.fullmatch(r"\d{5}", text):  # an Excel serial day number that lost its format
        return _EXCEL_EPOCH + datetime.timedelta(days=int(text)), Person.DobPrecision.EXACT
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
        if not match:
            raise BadDate(str(_("not a date")), str(_("write it as YYYY-MM-DD or DD/MM/YYYY")))
        day, month, year = (int(g) for g in match.groups())
    try:
        return datetime.date(year, month, day), Person.DobPrecision.EXACT
    except ValueError:
        suggestion = ""
        if month > 12 and day <= 12:
            try:
                swapped = datetime.date(year, day, month)
                suggestion = str(_("did you mean %(d)s?")) % {"d": swapped.isoformat()}
            except ValueError:
                suggestion = ""
        raise BadDate(str(_("no such date")), suggestion) from None


def age(value: str) -> int | None:
    text = digits(value).strip()
    text = re.sub(r"\s*(years?|سنه|سنة|سنوات|عام|y)$", "", text, flags=re.IGNORECASE)
    if re.fullmatch(r"\d{1,3}", text) and int(text) <= 120:
        return int(text)
    return None


_AR_FIRST_HALVES = ("عبد", "ابو", "أبو", "ام", "أم")
_AR_SECOND_HALVES = ("الدين", "الله", "الهدى", "الرحمن", "الرحيم", "الاسلام", "الإسلام", "الزمان")
_LAT_FIRST_HALVES = ("abd", "abdul", "abdel", "abu", "abou", "umm", "um")
_LAT_SECOND_HALVES = ("al-din", "ad-din", "el-din", "allah", "ullah", "uddin", "eddin")


def split_full_name(value: str) -> list[str]:
    """A full name in its parts — first, father, grandfather, family — keeping compound
    given names (عبد الله, نور الدين, Abdul Rahman) together. Three parts are first,
    father and family; two are first and family; beyond four, the rest is the family."""
    words = value.split()
    parts: list[str] = []
    for word in words:
        lower = word.lower()
        if parts and (
            parts[-1] in _AR_FIRST_HALVES
            or parts[-1].lower() in _LAT_FIRST_HALVES
            or word in _AR_SECOND_HALVES
            or lower in _LAT_SECOND_HALVES
        ):
            parts[-1] = f"{parts[-1]} {word}"
        else:
            parts.append(word)
    if len(parts) == 2:
        return [parts[0], "", "", parts[1]]
    if len(parts) == 3:
        return [parts[0], parts[1], "", parts[2]]
    if len(parts) >= 4:
        return [parts[0], parts[1], parts[2], " ".join(parts[3:])]
    return [parts[0] if parts else "", "", "", ""]
