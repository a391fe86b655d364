"""Domain rules for households and people, shared by the pages' forms, the API's
serializers and the services (which check again before writing).

Each check returns {field: [message, ...]}; messages are translated, so a caseworker reads
them in Arabic or English.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.places.models import CAMP_KINDS, Place
from awda.registry.models import Person

Errors = dict[str, list[str]]

# Arabic letters (no digits), with spaces between names; diacritics and tatweel are allowed
# because people type them, and identity resolution strips them.
_ARABIC_LETTERS = r"[\u0621-\u063A\u0641-\u064A\u064B-\u0652\u0640\u0670\u0671]"
ARABIC_NAME = re.compile(rf"^{_ARABIC_LETTERS}+(?: {_ARABIC_LETTERS}+)*$")
# Apostrophes (straight and typographic) stand for ain and hamza: Sa'id, Ma\u2019mun.
_LATIN_LETTERS = "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff'\u2019]"
LATIN_NAME = re.compile(rf"^{_LATIN_LETTERS}+(?:[ -]{_LATIN_LETTERS}+)*$")
ARABIC_FIELDS = ("first_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar")
LATIN_FIELDS = ("first_name_lat", "father_name_lat", "grandfather_name_lat", "family_name_lat")
OLDEST_BIRTH_YEAR = 1900


def clean_name(value: str) -> str:
    """Trim and collapse spaces; names are compared and shown in this form."""
    return " ".join((value or "").split())


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_person(data: dict[str, Any], *, today: datetime.date | None = None) -> Errors:
    today = today or timezone.localdate()
    errors: Errors = {}
    for field in ARABIC_FIELDS:
        value = clean_name(data.get(field, ""))
        if value and not ARABIC_NAME.match(value):
            _add(errors, field, _("Write this name in Arabic letters only."))
    for field in LATIN_FIELDS:
        value = clean_name(data.get(field, ""))
        if value and not LATIN_NAME.match(value):
            _add(errors, field, _("Write this name in Latin letters only."))
    if not clean_name(data.get("first_name_ar", "")) and not clean_name(
        data.get("first_name_lat", "")
    ):
        _add(errors, "first_name_ar", _("A first name is required, in Arabic or Latin letters."))
    has_second = any(
        clean_name(data.get(f, ""))
        for f in ("father_name_ar", "family_name_ar", "father_name_lat", "family_name_lat")
    )
    if not has_second:
        _add(errors, "father_name_ar", _("Give the father's name or the family name."))
    if data.get("sex") not in Person.Sex.values:
        _add(errors, "sex", _("Choose female or male."))
    born = data.get("date_of_birth")
    precision = data.get("dob_precision") or ""
    if born is not None:
        if born > today:
            _add(errors, "date_of_birth", _("The date of birth is in the future."))
        elif born.year < OLDEST_BIRTH_YEAR:
            _add(
                errors,
                "date_of_birth",
                _("The date of birth is before %(year)s.") % {"year": OLDEST_BIRTH_YEAR},
            )
        if precision not in Person.DobPrecision.values:
            _add(errors, "dob_precision", _("Say whether the date is exact, a year or estimated."))
    elif precision:
        _add(errors, "date_of_birth", _("Give the date of birth, the year, or the age."))
    relationship = data.get("relationship") or ""
    if relationship and relationship not in Person.Relationship.values:
        _add(errors, "relationship", _("Choose a relationship from the list."))
    return errors


def check_members(members: Iterable[dict[str, Any]]) -> Errors:
    """A household has exactly one head."""
    heads = sum(1 for m in members if m.get("relationship") == Person.Relationship.HEAD)
    if heads != 1:
        return {
            "members": [
                ngettext(
                    "A household needs exactly one head; this one has %(n)s.",
                    "A household needs exactly one head; this one has %(n)s.",
                    heads,
                )
                % {"n": heads}
            ]
        }
    return {}


def check_camp_address(camp: Place | None, section: Place | None, block: Place | None) -> Errors:
    errors: Errors = {}
    if camp is None or camp.kind != Place.Kind.CAMP:
        _add(errors, "camp", _("Choose a camp."))
        return errors
    if section is not None and (
        section.kind != Place.Kind.CAMP_SECTION or section.parent_id != camp.pk
    ):
        _add(errors, "camp_section", _("This section is not in the chosen camp."))
    if block is not None:
        if block.kind != Place.Kind.CAMP_BLOCK:
            _add(errors, "camp_block", _("Choose a block."))
        elif section is None:
            _add(errors, "camp_section", _("Choose the section of the block."))
        elif block.parent_id != section.pk:
            _add(errors, "camp_block", _("This block is not in the chosen section."))
    return errors


def check_community(place: Place | None, field: str) -> Errors:
    if place is not None and place.kind in CAMP_KINDS:
        return {
            field: [_("Choose a governorate, district, sub-district or community, not a camp.")]
        }
    return {}


def date_of_birth_from(
    *, exact: datetime.date | None, year: int | None, age: int | None, today: datetime.date
) -> tuple[datetime.date | None, str]:
    """One of an exact date, a year of birth or an age, as a date and its precision.

    A year alone is stored as 1 July of that year and an age as 1 July of the year it
    points to: the middle of the year is the smallest error on average."""
    if exact is not None:
        return exact, Person.DobPrecision.EXACT
    if year is not None:
        return min(datetime.date(year, 7, 1), today), Person.DobPrecision.YEAR
    if age is not None:
        return min(datetime.date(today.year - age, 7, 1), today), Person.DobPrecision.ESTIMATED
    return None, ""
