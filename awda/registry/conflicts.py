"""Reconciling an edit that was refused because someone else saved the record meanwhile.

The edit page keeps the editor's values and marks each one that differs from the record
as saved now: beside the field it shows the saved value with a choice, keep mine or take
the saved one. The form then carries the current version and the list of marked fields;
the next submit applies the choices (a field whose saved value is taken gets it back in
the posted data) and is refused until every marked field has one. Nobody's change is
overwritten without having been seen.

A marked "field" can stand for several inputs that change together: the place of origin
is its governorate and its sub-district; a date of birth is a date, a year or an age.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.forms import BaseForm
from django.http import QueryDict
from django.utils.translation import get_language

from awda.places.models import Place
from awda.registry.countries import NATIONALITIES
from awda.registry.forms import HouseholdForm, PersonForm
from awda.registry.models import CivilDocument, Household, Person, SpecificNeed
from awda.registry.services import HouseholdData, PersonData
from awda.registry.validation import ARABIC_FIELDS, LATIN_FIELDS

# The posted names: the list of marked fields, and one choice per field.
MARKED = "conflicts"
CHOICE = "resolve-"
MINE, THEIRS = "mine", "theirs"
# The attribute of a form's field that _field.html shows beside it.
ON_FIELD = "conflict"

HOUSEHOLD_INPUTS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    "nationality": ("nationality",),
    "registered_on": ("registered_on",),
    "camp": ("camp",),
    "camp_section": ("camp_section",),
    "camp_block": ("camp_block",),
    "tent": ("tent",),
    "origin": ("origin_governorate", "origin"),
    "destination": ("destination_governorate", "destination"),
}
PERSON_INPUTS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in (*ARABIC_FIELDS, *LATIN_FIELDS)},
    "sex": ("sex",),
    "relationship": ("relationship",),
    "date_of_birth": ("date_of_birth", "birth_year", "age"),
    "nationality": ("nationality",),
    "needs": ("needs",),
    **{f"doc_{kind}": (f"doc_{kind}",) for kind in CivilDocument.Kind.values},
}
# Marked fields shown inside the person form's folded section, which opens for them.
PERSON_FOLDED = {
    *LATIN_FIELDS,
    "nationality",
    "needs",
    *(f"doc_{kind}" for kind in CivilDocument.Kind.values),
}


@dataclass
class Saved:
    """One field's value as saved now: readable, and as the form posts it."""

    shown: str
    posted: dict[str, list[str]]


@dataclass
class Difference:
    """A field whose saved value differs from the editor's, and the editor's choice."""

    key: str
    saved: Saved
    mine: dict[str, list[str]]
    choice: str = ""

    @property
    def take_theirs(self) -> str:
        """For the page's script: the inputs to fill when the saved value is chosen."""
        return json.dumps(self.saved.posted, ensure_ascii=False)

    @property
    def keep_mine(self) -> str:
        return json.dumps(self.mine, ensure_ascii=False)


@dataclass
class Resolution:
    """What a submit says about the marked fields: the data with the saved values taken
    where chosen, the fields marked, and the choices made."""

    data: QueryDict
    marked: list[str] = field(default_factory=list)
    choices: dict[str, str] = field(default_factory=dict)

    @property
    def undecided(self) -> bool:
        return any(key not in self.choices for key in self.marked)


def resolve(post: QueryDict, saved: Mapping[str, Saved]) -> Resolution:
    """Apply the choices of a submit that answers a conflict: a field whose saved value
    is taken gets the saved value; a field kept keeps the editor's."""
    data = post.copy()
    marked = [key for key in dict.fromkeys(post.get(MARKED, "").split(",")) if key in saved]
    choices: dict[str, str] = {}
    for key in marked:
        choice = post.get(CHOICE + key, "")
        if choice == THEIRS:
            for name, values in saved[key].posted.items():
                data.setlist(name, values)
        if choice in (MINE, THEIRS):
            choices[key] = choice
    return Resolution(data=data, marked=marked, choices=choices)


def differences(
    keys: Iterable[str],
    saved: Mapping[str, Saved],
    posted: QueryDict,
    choices: Mapping[str, str] | None = None,
) -> list[Difference]:
    choices = choices or {}
    return [
        Difference(
            key=key,
            saved=saved[key],
            mine={name: posted.getlist(name) for name in saved[key].posted},
            choice=choices.get(key, ""),
        )
        for key in keys
        if key in saved
    ]


def mark(form: BaseForm, found: Iterable[Difference]) -> None:
    """Put each difference on the form's field it is shown beside (see _field.html; the
    form's fields are its own copies)."""
    for difference in found:
        if difference.key in form.fields:
            setattr(form.fields[difference.key], ON_FIELD, difference)


# --- Households --------------------------------------------------------------------------


def household_saved(household: Household) -> dict[str, Saved]:
    initial = HouseholdForm.initial_for(household)
    shown = {
        "reference": household.reference,
        "nationality": _nationality(household.nationality),
        "registered_on": _date(household.registered_on),
        "tent": household.tent,
        **{
            name: _place(getattr(household, name))
            for name in ("camp", "camp_section", "camp_block", "origin", "destination")
        },
    }
    return {
        key: Saved(shown=shown[key] or "—", posted=_posted(initial, inputs))
        for key, inputs in HOUSEHOLD_INPUTS.items()
    }


def household_changed(data: HouseholdData, household: Household) -> list[str]:
    """The fields whose submitted value differs from the saved one (an empty reference or
    registration date keeps the saved one: they are not a difference)."""
    mine = _household_values(data)
    theirs = _household_values(household)
    if not data.reference:
        mine.pop("reference")
    if data.registered_on is None:
        mine.pop("registered_on")
    return [key for key in HOUSEHOLD_INPUTS if key in mine and mine[key] != theirs[key]]


def _household_values(record: Household | HouseholdData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(record, name) for name in ("reference", "nationality", "registered_on")
    }
    values["tent"] = (record.tent or "").strip()
    for name in ("camp", "camp_section", "camp_block", "origin", "destination"):
        place = getattr(record, name)
        values[name] = place.pk if place is not None else None
    return values


# --- People ------------------------------------------------------------------------------


def person_saved(person: Person) -> dict[str, Saved]:
    initial = PersonForm.initial_for(person)
    values = _person_values(person)
    shown: dict[str, str] = {name: values[name] for name in (*ARABIC_FIELDS, *LATIN_FIELDS)}
    shown["sex"] = _label(Person.Sex, person.sex)
    shown["relationship"] = _label(Person.Relationship, person.relationship)
    shown["nationality"] = _nationality(person.nationality)
    shown["date_of_birth"] = _birth(person.date_of_birth, person.dob_precision)
    comma = "، " if (get_language() or "ar").startswith("ar") else ", "
    shown["needs"] = comma.join(_label(SpecificNeed.Code, code) for code in sorted(values["needs"]))
    for kind in CivilDocument.Kind.values:
        shown[f"doc_{kind}"] = _label(CivilDocument.Status, values[f"doc_{kind}"])
    return {
        key: Saved(shown=shown[key] or "—", posted=_posted(initial, inputs))
        for key, inputs in PERSON_INPUTS.items()
    }


def person_changed(data: PersonData, person: Person) -> list[str]:
    """The fields whose submitted value differs from the saved one (no relationship
    keeps the saved one)."""
    mine = _person_values(data)
    theirs = _person_values(person)
    if not data.relationship:
        mine.pop("relationship")
    return [key for key in PERSON_INPUTS if key in mine and mine[key] != theirs[key]]


def _person_values(record: Person | PersonData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(record, name)
        for name in (*ARABIC_FIELDS, *LATIN_FIELDS, "sex", "relationship", "nationality")
    }
    values["date_of_birth"] = (record.date_of_birth, record.dob_precision or "")
    if isinstance(record, Person):
        needs = {n.code for n in record.needs.all()}
        documents = {d.kind: d.status for d in record.documents.all()}
    else:
        needs, documents = set(record.needs), dict(record.documents)
    values["needs"] = frozenset(needs)
    for kind in CivilDocument.Kind.values:
        values[f"doc_{kind}"] = documents.get(kind, "")
    return values


# --- Shown and posted values -------------------------------------------------------------


def _posted(initial: Mapping[str, Any], inputs: Iterable[str]) -> dict[str, list[str]]:
    """The saved value as the form would post it (a field left empty posts "")."""
    posted: dict[str, list[str]] = {}
    for name in inputs:
        value = initial.get(name)
        if isinstance(value, list | tuple | set | frozenset):
            posted[name] = [str(v) for v in sorted(value)]
        elif value is None:
            posted[name] = [""]
        elif isinstance(value, datetime.date):
            posted[name] = [value.isoformat()]
        else:
            posted[name] = [str(value)]
    return posted


def _place(place: Place | None) -> str:
    return place.name if place is not None else ""


def _date(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def _nationality(code: str) -> str:
    return str(dict(NATIONALITIES).get(code, code)) if code else ""


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _birth(born: datetime.date | None, precision: str) -> str:
    if born is None:
        return ""
    if precision == Person.DobPrecision.EXACT:
        return born.isoformat()
    return f"{born.year} ({_label(Person.DobPrecision, precision)})"
