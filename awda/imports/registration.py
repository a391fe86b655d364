"""Registration lists: households with their members, from a flat sheet (one row per
person, rows of one household sharing a household number, or following their head) or
from Kobo/ODK submissions (one submission per household, members in a repeat group).

The check reads every row into the registry's terms, says what is wrong where, matches
place names to P-codes, skips what was imported before (submission ids; a household
number already in the registry) and flags people who look already registered — in the
registry or earlier in the file — so that a person decides, before anything is written.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.identity.dedup import find_duplicates
from awda.identity.names import is_arabic
from awda.identity.services import _registration
from awda.imports import mapping as values
from awda.imports.columns import HOUSEHOLD_COLUMNS
from awda.imports.kinds import Checked, Item, Problem, Progress, register
from awda.imports.models import ImportedSubmission
from awda.imports.places import PlaceIndex
from awda.imports.sources import Source, SourceRow
from awda.places.models import Place
from awda.registry import services as registry
from awda.registry import validation
from awda.registry.models import Household, Person

HOUSEHOLD_FIELDS = {*HOUSEHOLD_COLUMNS, "origin_governorate", "destination_governorate"}
PARTS = ("first_name", "father_name", "grandfather_name", "family_name")
NAME_FIELDS = (*validation.ARABIC_FIELDS, *validation.LATIN_FIELDS)
# Bidirectional controls (right-to-left override and the isolates) and other invisible
# controls: in a name they reorder what a reader sees, a known way to disguise text.
_CONTROLS = re.compile("[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA = ("=", "+", "-", "@")
MAX_NAME = 60


def _cut(value: str) -> str:
    value = _CONTROLS.sub("\N{REPLACEMENT CHARACTER}", value)
    return value if len(value) <= 60 else value[:57] + "…"


@dataclass
class _Person:
    row: int
    sheet: str
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Household:
    key: str
    rows: list[int] = field(default_factory=list)
    cells: dict[str, tuple[str, int, str]] = field(
        default_factory=dict
    )  # field -> value, row, sheet
    members: list[_Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    submission_id: str = ""


class Registration:
    code = "registration"

    def matches(self, source: Source) -> bool:
        return source.form_id in ("", "awda_registration")

    def guess_mapping(self, source: Source) -> dict[str, str]:
        return values.guess(
            [*source.headers, *source.member_headers], hxl=source.hxl, labels=source.labels
        )

    def check(
        self,
        source_rows: Iterable[SourceRow],
        source: Source,
        *,
        by: User | None,
        organisation: Organisation | None,
        mapping: dict[str, str],
        progress: Progress,
    ) -> Checked:
        if by is not None and not by.can(Can.REGISTER):
            return Checked(
                items=[],
                problems=[
                    Problem(1, "", _("your role does not register households; ask a registrar"))
                ],
            )
        return _Check(source, organisation, mapping).run(source_rows, progress)

    def commit(
        self,
        items: list[Item],
        *,
        by: User | None,
        organisation: Organisation,
        batch_pk: int,
        progress: Progress,
    ) -> dict[str, Any]:
        place_pks = {
            pk
            for item in items
            for name in ("camp", "camp_section", "camp_block", "origin", "destination")
            if (pk := item.data["household"].get(name))
        }
        places = Place.objects.in_bulk(place_pks)
        household_pks: list[int] = []
        person_pks: list[int] = []
        # Written a thousand households at a time (all in the engine's one transaction), so
        # that memory holds one chunk's records, not the whole list's.
        for start in range(0, len(items), COMMIT_CHUNK):
            chunk = items[start : start + COMMIT_CHUNK]
            progress(
                10 + int(85 * start / max(len(items), 1)),
                ngettext("writing %(n)s household", "writing %(n)s households", len(items))
                % {"n": len(items)},
            )
            households = registry.households_import(
                organisation=organisation,
                by=by,
                entries=[_entry(item, places) for item in chunk],
                details={"import": batch_pk},
            )
            chunk_pks = [h.pk for h in households]
            household_pks += chunk_pks
            person_pks += Person.objects.filter(household_id__in=chunk_pks).values_list(
                "pk", flat=True
            )
        return {"created": {"registry.household": household_pks, "registry.person": person_pks}}

    def rollback(self, created: dict[str, list[int]], *, by: User | None) -> None:
        registry.households_unimport(
            by=by,
            household_pks=created.get("registry.household", []),
            person_pks=created.get("registry.person", []),
            details={},
        )


register(Registration())

COMMIT_CHUNK = 1000


def _entry(
    item: Item, places: dict[int, Place]
) -> tuple[registry.HouseholdData, list[registry.PersonData]]:
    household = item.data["household"]
    data = registry.HouseholdData(
        camp=places[household["camp"]],
        nationality=household["nationality"],
        reference=household["reference"],
        camp_section=places.get(household.get("camp_section") or 0),
        camp_block=places.get(household.get("camp_block") or 0),
        tent=household["tent"],
        origin=places.get(household.get("origin") or 0),
        destination=places.get(household.get("destination") or 0),
        registered_on=(
            datetime.date.fromisoformat(household["registered_on"])
            if household.get("registered_on")
            else None
        ),
    )
    members = [
        registry.PersonData.from_mapping(
            {
                **member,
                "date_of_birth": (
                    datetime.date.fromisoformat(member["date_of_birth"])
                    if member.get("date_of_birth")
                    else None
                ),
                "needs": set(member.get("needs") or ()),
            }
        )
        for member in item.data["members"]
    ]
    return data, members


class _Check:
    def __init__(
        self, source: Source, organisation: Organisation | None, mapping: dict[str, str]
    ) -> None:
        self.source = source
        self.organisation = organisation
        self.mapping = {h: f for h, f in mapping.items() if f}
        self.column = {f: h for h, f in self.mapping.items()}
        self.places = PlaceIndex()
        self.today = timezone.localdate()

    # -- reading ------------------------------------------------------------------------

    def _value(self, cells: dict[str, str], name: str) -> str:
        header = self.column.get(name)
        return (cells.get(header) or "").strip() if header else ""

    def _problem(
        self,
        row: int,
        name: str,
        problem: str,
        value: str = "",
        suggestion: str = "",
        *,
        sheet: str = "",
        code: str = "",
    ) -> Problem:
        return Problem(
            row=row,
            column=self.column.get(name, name),
            problem=problem,
            value=_cut(value),
            suggestion=suggestion,
            sheet=sheet,
            code=code,
        )

    def _required_columns(self) -> list[Problem]:
        found = set(self.column)
        missing = []
        if not found & {
            "first_name",
            "first_name_ar",
            "first_name_lat",
            "full_name",
        }:
            missing.append(_("a first name (or a full name)"))
        if "sex" not in found:
            missing.append(_("sex"))
        if "camp" not in found:
            missing.append(_("camp"))
        if not found & {"nationality", "household_nationality"}:
            missing.append(_("nationality"))
        is_grouped = bool(self.source.member_headers)
        if not is_grouped and not found & {"household_reference", "relationship"}:
            missing.append(_("a household number or the relationship to the head"))
        return [
            Problem(
                row=1,
                column="",
                problem=_("no column for %(field)s") % {"field": name},
                suggestion=_("choose the column that holds it in the column mapping"),
            )
            for name in missing
        ]

    def _households(self, rows: Iterable[SourceRow]) -> Iterator[_Household]:
        """Rows gathered into households, in the order they end in the file."""
        if self.source.member_headers:
            for row in rows:
                household = _Household(key=row.submission_id or f"row {row.number}")
                household.rows.append(row.number)
                household.submission_id = row.submission_id or self._value(
                    row.cells, "submission_id"
                )
                self._take_household_cells(household, row.cells, row.number, "")
                for member in row.members:
                    self._take_household_cells(household, member.cells, member.number, member.sheet)
                    household.members.append(
                        self._person(member.cells, member.number, member.sheet)
                    )
                if not row.members:
                    household.problems.append(
                        Problem(row.number, "", _("a household without any member"))
                    )
                yield household
            return
        by_reference = "household_reference" in self.column
        open_households: dict[str, _Household] = {}
        current: _Household | None = None
        for row in rows:
            if by_reference:
                reference = self._value(row.cells, "household_reference")
                if not reference:
                    orphan = _Household(key=f"row {row.number}", rows=[row.number])
                    orphan.problems.append(
                        self._problem(
                            row.number,
                            "household_reference",
                            _("no household number"),
                            suggestion=_("give the number that ties the member to the household"),
                        )
                    )
                    yield orphan
                    continue
                household = open_households.setdefault(reference, _Household(key=reference))
            else:
                relationship = values.relationship(self._value(row.cells, "relationship"))
                if relationship == Person.Relationship.HEAD or current is None:
                    if current is not None:
                        yield current
                    current = _Household(key=f"row {row.number}")
                household = current
            household.rows.append(row.number)
            sid = row.submission_id or self._value(row.cells, "submission_id")
            if sid and not household.submission_id:
                household.submission_id = sid
            self._take_household_cells(household, row.cells, row.number, "")
            household.members.append(self._person(row.cells, row.number, ""))
        if current is not None:
            yield current
        yield from open_households.values()

    def _take_household_cells(
        self, household: _Household, cells: dict[str, str], row: int, sheet: str
    ) -> None:
        for name in HOUSEHOLD_FIELDS:
            header = self.column.get(name)
            if not header or header not in cells:
                continue
            value = (cells.get(header) or "").strip()
            if not value:
                continue
            earlier = household.cells.get(name)
            if earlier is None:
                household.cells[name] = (value, row, sheet)
            elif values.fold(earlier[0]) != values.fold(value):
                household.problems.append(
                    self._problem(
                        row,
                        name,
                        _("differs from row %(row)s of the same household") % {"row": earlier[1]},
                        value,
                        sheet=sheet,
                    )
                )

    # -- a person -------------------------------------------------------------------------

    def _person(self, cells: dict[str, str], row: int, sheet: str) -> _Person:
        person = _Person(row=row, sheet=sheet, data={})
        data = person.data
        source_column: dict[str, str] = {}

        def problem(name: str, text: str, value: str = "", suggestion: str = "") -> None:
            person.problems.append(self._problem(row, name, text, value, suggestion, sheet=sheet))

        full = self._value(cells, "full_name")
        full_parts = values.split_full_name(full) if full else ["", "", "", ""]
        for index, part in enumerate(PARTS):
            for script in ("ar", "lat"):
                explicit = self._value(cells, f"{part}_{script}")
                if explicit:
                    data[f"{part}_{script}"] = explicit
                    source_column[f"{part}_{script}"] = f"{part}_{script}"
            either = self._value(cells, part) or full_parts[index]
            if either:
                script = "ar" if is_arabic(either) else "lat"
                if not data.get(f"{part}_{script}"):
                    data[f"{part}_{script}"] = either
                    source_column[f"{part}_{script}"] = (
                        part if self._value(cells, part) else "full_name"
                    )
        for name in NAME_FIELDS:
            text = data.get(name, "")
            if not text:
                continue
            column = source_column.get(name, name)
            if _CONTROLS.search(text):
                problem(
                    column,
                    _("invisible control characters (such as a right-to-left override)"),
                    text,
                    _("retype the name"),
                )
            elif text.startswith(_FORMULA):
                problem(column, _("looks like a spreadsheet formula, not a name"), text)
            elif len(text) > MAX_NAME:
                problem(
                    column,
                    _("longer than %(n)s characters") % {"n": MAX_NAME},
                    text,
                )
        sex_text = self._value(cells, "sex")
        data["sex"] = values.sex(sex_text) or ""
        if not sex_text:
            problem("sex", _("missing"), suggestion=_("F or M (أنثى / ذكر)"))
        elif not data["sex"]:
            problem("sex", _("not understood"), sex_text, _("F or M (أنثى / ذكر)"))
        self._date_of_birth(cells, data, problem)
        relationship_text = self._value(cells, "relationship")
        data["relationship"] = values.relationship(relationship_text) or ""
        if relationship_text and not data["relationship"]:
            problem(
                "relationship",
                _("not understood"),
                relationship_text,
                _("one of: head, spouse, child, parent, sibling, grandchild, other_relative"),
            )
        nationality_text = self._value(cells, "nationality")
        data["nationality"] = values.nationality(nationality_text) or ""
        if nationality_text and not data["nationality"]:
            problem(
                "nationality", _("not understood"), nationality_text, _("a country code: SY, IQ")
            )
        documents, unknown = values.documents(self._value(cells, "documents"))
        data["documents"] = documents
        if unknown:
            problem(
                "documents",
                _("not understood"),
                "; ".join(unknown),
                _("kind:held or kind:missing, e.g. national_id:held"),
            )
        needs, unknown = values.needs(self._value(cells, "needs"))
        data["needs"] = sorted(needs)
        if unknown:
            problem("needs", _("not a specific-needs code"), " ".join(unknown), "CR, SC, DS, ...")
        if not person.problems:
            self._rules(person, source_column)
        return person

    def _date_of_birth(self, cells: dict[str, str], data: dict[str, Any], problem: Any) -> None:
        text = self._value(cells, "date_of_birth")
        precision_text = self._value(cells, "dob_precision")
        precision = (
            precision_text.lower()
            if precision_text.lower() in Person.DobPrecision.values
            else values.choice_label(Person.DobPrecision.choices, precision_text) or precision_text
        )
        age_text = self._value(cells, "age")
        data["date_of_birth"], data["dob_precision"] = None, ""
        if text:
            try:
                born, found_precision = values.date(text, today=self.today)
            except values.BadDate as bad:
                problem("date_of_birth", str(bad), text, bad.suggestion)
                return
            if precision and precision not in Person.DobPrecision.values:
                problem("dob_precision", _("not understood"), precision, "exact, year, estimated")
                return
            if born > self.today:
                problem("date_of_birth", _("in the future"), text)
                return
            if born.year < validation.OLDEST_BIRTH_YEAR:
                problem("date_of_birth", _("before 1900"), text)
                return
            data["date_of_birth"] = born.isoformat()
            data["dob_precision"] = precision or found_precision
        elif age_text:
            age = values.age(age_text)
            if age is None:
                problem("age", _("not an age in years"), age_text)
                return
            estimated, found_precision = validation.date_of_birth_from(
                exact=None, year=None, age=age, today=self.today
            )
            data["date_of_birth"] = estimated.isoformat() if estimated else None
            data["dob_precision"] = found_precision

    def _rules(self, person: _Person, source_column: dict[str, str]) -> None:
        """The registry's own rules for a person (names in their script, ...)."""
        checked = dict(person.data)
        if checked.get("date_of_birth"):
            checked["date_of_birth"] = datetime.date.fromisoformat(checked["date_of_birth"])
        for name, messages in validation.check_person(checked, today=self.today).items():
            if name in ("sex", "relationship"):
                continue  # said above, with the value
            column = source_column.get(name, name)
            for message in messages:
                person.problems.append(
                    self._problem(
                        person.row,
                        column,
                        message,
                        str(person.data.get(name) or ""),
                        sheet=person.sheet,
                    )
                )

    # -- a household ----------------------------------------------------------------------

    def _household(self, household: _Household) -> dict[str, Any]:
        cells = {name: value for name, (value, _row, _sheet) in household.cells.items()}
        first = household.rows[0]

        def where(name: str) -> tuple[int, str]:
            found = household.cells.get(name)
            return (found[1], found[2]) if found else (first, "")

        def problem(name: str, text: str, value: str = "", suggestion: str = "") -> None:
            row, sheet = where(name)
            household.problems.append(
                self._problem(row, name, text, value, suggestion, sheet=sheet)
            )

        data: dict[str, Any] = {
            "reference": cells.get("household_reference", ""),
            "tent": cells.get("tent", ""),
        }
        if len(data["reference"]) > 40:
            problem(
                "household_reference",
                _("longer than %(n)s characters") % {"n": 40},
                data["reference"],
            )
        if len(data["tent"]) > 20:
            problem("tent", _("longer than %(n)s characters") % {"n": 20}, data["tent"])
        camp = None
        if not cells.get("camp"):
            problem("camp", _("missing"))
        else:
            match = self.places.camp(cells["camp"])
            camp = match.place
            if camp is None:
                problem("camp", match.problem, cells["camp"], match.suggestion)
        data["camp"] = camp.pk if camp else None
        section = block = None
        if camp is not None and cells.get("camp_section"):
            match = self.places.camp_part(cells["camp_section"], camp, Place.Kind.CAMP_SECTION)
            section = match.place
            if section is None:
                problem("camp_section", match.problem, cells["camp_section"], match.suggestion)
        if camp is not None and cells.get("camp_block"):
            match = self.places.camp_part(
                cells["camp_block"], section or camp, Place.Kind.CAMP_BLOCK
            )
            block = match.place
            if block is None:
                problem("camp_block", match.problem, cells["camp_block"], match.suggestion)
            elif section is None:
                section = self.places.by_pk.get(block.parent_id or 0)
        data["camp_section"] = section.pk if section else None
        data["camp_block"] = block.pk if block else None
        for name in ("origin", "destination"):
            data[name] = None
            governorate = None
            governorate_text = cells.get(f"{name}_governorate", "")
            if governorate_text:
                match = self.places.governorate(governorate_text)
                governorate = match.place
                if governorate is None:
                    problem(
                        f"{name}_governorate", match.problem, governorate_text, match.suggestion
                    )
                    continue
            text = cells.get(name, "")
            if text:
                match = self.places.community(text, governorate)
                if match.place is None:
                    problem(name, match.problem, text, match.suggestion)
                else:
                    data[name] = match.place.pk
            elif governorate is not None:
                data[name] = governorate.pk
        nationality_text = cells.get("household_nationality", "")
        nationality = values.nationality(nationality_text) if nationality_text else None
        if nationality_text and not nationality:
            problem("household_nationality", _("not understood"), nationality_text, "SY, IQ")
        heads = [m for m in household.members if m.data.get("relationship") == "head"]
        if not nationality:
            nationality = next(
                (
                    m.data["nationality"]
                    for m in [*heads, *household.members]
                    if m.data.get("nationality")
                ),
                None,
            )
        if not nationality and not nationality_text:
            problem("nationality", _("missing for the household"), suggestion="SY, IQ")
        data["nationality"] = nationality or ""
        registered = cells.get("registered_on", "")
        data["registered_on"] = None
        if registered:
            try:
                day, _precision = values.date(registered, today=self.today)
            except values.BadDate as bad:
                problem("registered_on", str(bad), registered, bad.suggestion)
            else:
                if day > self.today:
                    problem("registered_on", _("in the future"), registered)
                else:
                    data["registered_on"] = day.isoformat()
        # One head: a household of one is its own head; otherwise the list must say.
        if len(household.members) == 1 and not household.members[0].data.get("relationship"):
            household.members[0].data["relationship"] = Person.Relationship.HEAD
        else:
            for member in household.members:
                if not member.data.get("relationship") and not member.problems:
                    member.problems.append(
                        self._problem(
                            member.row,
                            "relationship",
                            _("missing"),
                            suggestion=_("say how the member is related to the head"),
                            sheet=member.sheet,
                        )
                    )
        heads = [m for m in household.members if m.data.get("relationship") == "head"]
        if household.members and len(heads) != 1:
            household.problems.append(
                self._problem(
                    household.members[0].row,
                    "relationship",
                    _("the household has %(n)s heads; it needs exactly one") % {"n": len(heads)},
                    sheet=household.members[0].sheet,
                )
            )
        return data

    # -- the whole file ---------------------------------------------------------------------

    def run(self, rows: Iterable[SourceRow], progress: Progress) -> Checked:
        checked = Checked(items=[], problems=self._required_columns())
        if checked.problems:
            return checked
        total = self.source.total
        seen_rows = 0

        def counted() -> Iterator[SourceRow]:
            nonlocal seen_rows
            for row in rows:
                seen_rows += 1
                if seen_rows % 1000 == 0:
                    percent = 5 + int(45 * seen_rows / total) if total else 25
                    progress(min(percent, 50), _("reading row %(n)s") % {"n": seen_rows})
                yield row

        households = list(self._households(counted()))
        progress(
            50,
            ngettext("checking %(n)s household", "checking %(n)s households", len(households))
            % {"n": len(households)},
        )
        items = []
        seen_ids: dict[str, int] = {}
        for household in households:
            data = self._household(household)
            members = [m.data for m in household.members]
            problems = [*household.problems, *(p for m in household.members for p in m.problems)]
            sid = household.submission_id or self._fingerprint(data, members)
            if sid in seen_ids:
                problems.append(
                    Problem(
                        household.rows[0],
                        self.column.get("submission_id", ""),
                        _("the same submission as row %(row)s") % {"row": seen_ids[sid]},
                    )
                )
            seen_ids.setdefault(sid, household.rows[0])
            item = Item(
                rows=household.rows,
                submission_id=sid,
                data={
                    "household": data,
                    "members": members,
                    "member_rows": [[m.row, m.sheet] for m in household.members],
                },
                problems=sorted(problems, key=lambda p: (p.row, p.sheet, p.column)),
            )
            items.append(item)
        self._already(items)
        progress(60, _("looking for people already registered"))
        self._duplicates(items)
        checked.items = items
        fresh = [i for i in items if not i.data.get("already")]
        checked.summary = {
            "rows": seen_rows,
            "households": len(items),
            "people": sum(len(i.data["members"]) for i in items),
            "already": len(items) - len(fresh),
            "ready_households": sum(1 for i in fresh if not i.problems),
            "ready_people": sum(len(i.data["members"]) for i in fresh if not i.problems),
            "ignored_columns": [h for h in self.source.headers if h not in self.mapping],
        }
        return checked

    def _fingerprint(self, household: dict[str, Any], members: list[dict[str, Any]]) -> str:
        """A list without submission ids: its household number, or what it says."""
        if household.get("reference"):
            return f"ref:{household['reference']}"
        text = repr(
            (
                sorted((k, str(v)) for k, v in household.items()),
                [sorted((k, str(v)) for k, v in m.items()) for m in members],
            )
        )
        return "sha:" + hashlib.sha256(text.encode()).hexdigest()[:40]

    def _already(self, items: list[Item]) -> None:
        """Submissions imported before, and household numbers already in the registry
        (in this organisation; anywhere, on a dry run that names no organisation)."""
        sids = [i.submission_id for i in items]
        references = [
            i.data["household"]["reference"] for i in items if i.data["household"]["reference"]
        ]
        done: dict[str, int] = {}
        registered: set[str] = set()
        # A few thousand at a time: SQLite takes at most 32,766 parameters a statement.
        for start in range(0, max(len(sids), len(references)), 5000):
            imported = ImportedSubmission.objects.filter(
                submission_id__in=sids[start : start + 5000]
            )
            households = Household.objects.filter(reference__in=references[start : start + 5000])
            if self.organisation is not None:
                imported = imported.filter(organisation=self.organisation)
                households = households.filter(organisation=self.organisation)
            done.update(imported.values_list("submission_id", "batch_id"))
            registered.update(households.values_list("reference", flat=True))
        for item in items:
            batch = done.get(item.submission_id)
            if batch is not None:
                item.data["already"] = f"import #{batch}"
            elif item.data["household"]["reference"] in registered:
                item.data["already"] = "registry"
            if item.data.get("already"):
                item.problems = []

    def _duplicates(self, items: list[Item]) -> None:
        incoming: list[tuple[int, dict[str, str]]] = []
        where: dict[str, tuple[Item, int]] = {}
        for item in items:
            # A household still to correct is checked again once corrected.
            if item.data.get("already") or item.problems:
                continue
            for index, member in enumerate(item.data["members"]):
                uid = f"f:{len(where)}"
                where[uid] = (item, index)
                arabic = any(member.get(f) for f in validation.ARABIC_FIELDS)
                suffix = "_ar" if arabic else "_lat"
                dob = member.get("date_of_birth") or ""
                if dob and member.get("dob_precision") != Person.DobPrecision.EXACT:
                    dob = dob[:4]
                record = {f"{part}": member.get(f"{part}{suffix}", "") for part in PARTS}
                incoming.append(
                    (
                        item.rows[0],
                        {
                            "unique_id": uid,
                            **record,
                            "sex": member.get("sex", ""),
                            "dob": dob,
                            "camp": "",
                            "block": "",
                            "governorate": "",
                            "agency": "",
                        },
                    )
                )
        if not incoming:
            return
        registry_rows = []
        owners: dict[str, int] = {}
        people = Person.objects.filter(merged_into__isnull=True).filter(
            ~Q(first_name_ar="") | ~Q(first_name_lat="")
        )
        for person in people.iterator(chunk_size=5000):
            row = _registration(person)
            row["unique_id"] = f"r:{person.pk}"
            owners[row["unique_id"]] = person.organisation_id
            registry_rows.append((0, row))
        result = find_duplicates([*incoming, *registry_rows])
        groups: dict[str, list[str]] = {}
        for uid, cluster in result.clusters.items():
            groups.setdefault(cluster, []).append(uid)
        own = self.organisation.pk if self.organisation else None
        slugs = dict(Organisation.objects.values_list("pk", "slug"))
        for uid, (item, index) in where.items():
            group = groups.get(result.clusters.get(uid, uid), [])
            row, sheet = item.data["member_rows"][index]
            registered = sorted(
                int(u[2:]) for u in group if u.startswith("r:") and owners[u] == own
            )
            elsewhere = sorted(
                {slugs[owners[u]] for u in group if u.startswith("r:") and owners[u] != own}
            )
            earlier = [where[u] for u in group if u.startswith("f:") and int(u[2:]) < int(uid[2:])]
            texts = []
            if registered:
                texts.append(
                    _("looks like a person already registered: %(who)s")
                    % {"who": ", ".join(f"#{pk}" for pk in registered[:5])}
                )
            if elsewhere:
                texts.append(
                    _("looks like a person registered by %(org)s") % {"org": ", ".join(elsewhere)}
                )
            if earlier:
                other_item, other_index = earlier[0]
                texts.append(
                    _("looks like the person in row %(row)s")
                    % {"row": other_item.data["member_rows"][other_index][0]}
                )
            for text in texts:
                item.problems.append(
                    Problem(
                        row,
                        "",
                        text,
                        suggestion=_("skip the row, or import it anyway if it is someone else"),
                        sheet=sheet,
                        code="duplicate",
                    )
                )


def item_is_ready(item: Item, import_anyway: set[int]) -> bool:
    """Free of problems, counting a possible duplicate as none when the person importing
    has said to bring that row in anyway."""
    return all(p.code == "duplicate" and p.row in import_anyway for p in item.problems)


def explain_validation(error: ValidationError) -> str:
    return "; ".join(error.messages)[:300]
