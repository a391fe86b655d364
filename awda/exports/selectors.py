"""What the person-level and pseudonymised exports read: the organisation's people, one
row at a time, with flat memory.

The people are read with `values_list(...).iterator(chunk_size=2000)` (a server-side
cursor on PostgreSQL, chunked reads on SQLite), one query for the whole table joined to
the household and its places; documents and specific needs are read per chunk of 2,000
people (two queries a chunk), never for the whole table and never per person.

Which people: those currently in a household of the organisation (`household` set, the
household's organisation and the person's own being the organisation), not merged into
another registration (`merged_into` set: the survivor stands for them).

Consent (see `withdrawn_registration_consent`): registering a household does not record a
consent per person — the registry holds people on the organisation's registration basis,
and a consent or other legal basis for registration is recorded on the person's consent
page when there is one to record. What stops a person-level export is a registration
basis that was recorded and is no longer in force: every registration record of the
person revoked (or the child's assent refused). Those people are left out unless the
person exporting overrides with a reason.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from awda.accounts.models import Organisation
from awda.consent.models import Consent, Purpose
from awda.registry import validation
from awda.registry.models import CivilDocument, Person, SpecificNeed

CHUNK_SIZE = 2000

# The values read for a person-level row, in the order `_person_row` takes them.
_PERSON_FIELDS = (
    "pk",
    "household__reference",
    "household__camp__pcode",
    "household__camp_section__pcode",
    "household__camp_block__pcode",
    "household__tent",
    "household__origin__pcode",
    "household__destination__pcode",
    "household__nationality",
    "household__registered_on",
    "relationship",
    *validation.ARABIC_FIELDS,
    *validation.LATIN_FIELDS,
    "sex",
    "date_of_birth",
    "dob_precision",
    "nationality",
)


def people_of(organisation: Organisation) -> QuerySet[Person]:
    """The organisation's people in a household now, merged registrations left out; the
    head first in each household, households in the order they were registered."""
    return (
        Person.objects.filter(
            organisation_id=organisation.pk,
            household__organisation_id=organisation.pk,
            household__isnull=False,
            merged_into__isnull=True,
        )
        .annotate(
            _head_first=Case(
                When(relationship=Person.Relationship.HEAD, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("household_id", "_head_first", "pk")
    )


def withdrawn_registration_consent(organisation: Organisation) -> set[int]:
    """The organisation's people (as in `people_of`) whose registration was recorded on a
    legal basis (consent, or public, vital or legitimate interest) and no record of it is
    in force any more: all revoked, or the child refused. One query over the consents."""
    in_force = Q(revoked_at__isnull=True) & ~Q(child_assent=Consent.Assent.REFUSED)
    rows = (
        Consent.objects.filter(
            purpose=Purpose.REGISTRATION,
            person__organisation_id=organisation.pk,
            person__household__organisation_id=organisation.pk,
            person__merged_into__isnull=True,
        )
        .values("person_id")
        .annotate(live=Count("id", filter=in_force))
        .filter(live=0)
        .values_list("person_id", flat=True)
    )
    return set(rows)


@dataclass(frozen=True)
class Selection:
    """Who an export takes: the people, and those of them left out for consent."""

    organisation: Organisation
    left_out: frozenset[int]
    total: int  # the organisation's people, before leaving anyone out
    withdrawn: int  # of them, those whose registration consent was withdrawn

    @property
    def rows(self) -> int:
        return self.total - len(self.left_out)


def selection_for(organisation: Organisation, *, include_withdrawn: bool = False) -> Selection:
    withdrawn = withdrawn_registration_consent(organisation)
    return Selection(
        organisation=organisation,
        left_out=frozenset() if include_withdrawn else frozenset(withdrawn),
        total=people_of(organisation).count(),
        withdrawn=len(withdrawn),
    )


def _chunks(selection: Selection, fields: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The selected people's values, in lists of at most CHUNK_SIZE."""
    rows = people_of(selection.organisation).values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        if row[0] in selection.left_out:
            continue
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _documents_and_needs(ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    documents: dict[int, list[str]] = defaultdict(list)
    for person_id, kind, status in (
        CivilDocument.objects.filter(person_id__in=ids)
        .order_by("person_id", "kind")
        .values_list("person_id", "kind", "status")
    ):
        documents[person_id].append(f"{kind}:{status}")
    needs: dict[int, list[str]] = defaultdict(list)
    for person_id, code in (
        SpecificNeed.objects.filter(person_id__in=ids)
        .order_by("person_id", "code")
        .values_list("person_id", "code")
    ):
        needs[person_id].append(code)
    return (
        {k: ";".join(v) for k, v in documents.items()},
        {k: ";".join(v) for k, v in needs.items()},
    )


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def date_of_birth_text(born: datetime.date | None, precision: str) -> str:
    """YYYY-MM-DD, or YYYY when only the year is known (awda/imports/columns.py)."""
    if born is None:
        return ""
    if precision == Person.DobPrecision.YEAR:
        return f"{born.year:04d}"
    return born.isoformat()


def person_rows(selection: Selection) -> Iterator[list[str]]:
    """One row per person in the layout of awda/imports/columns.py (COLUMNS, in order)."""
    for chunk in _chunks(selection, _PERSON_FIELDS):
        documents, needs = _documents_and_needs([row[0] for row in chunk])
        for (
            pk,
            reference,
            camp,
            section,
            block,
            tent,
            origin,
            destination,
            household_nationality,
            registered_on,
            relationship,
            *names,
            sex,
            born,
            precision,
            nationality,
        ) in chunk:
            yield [
                reference,
                camp or "",
                section or "",
                block or "",
                tent,
                origin or "",
                destination or "",
                household_nationality,
                _date(registered_on),
                relationship,
                *names,
                sex,
                date_of_birth_text(born, precision),
                precision,
                nationality,
                documents.get(pk, ""),
                needs.get(pk, ""),
                "",  # submission_id: the export is not a submission
            ]


# -- Pseudonymised ---------------------------------------------------------------------------

_PSEUDONYMISED_FIELDS = (
    "pk",
    "household_id",
    "sex",
    "date_of_birth",
    "nationality",
    "household__nationality",
    "household__camp__pcode",
    "household__origin__governorate__pcode",
    "household__destination__governorate__pcode",
    "household__status",
    "relationship",
)

# Age groups as humanitarian reporting uses them (years on the day of the export).
AGE_GROUPS = ((0, 4, "0-4"), (5, 11, "5-11"), (12, 17, "12-17"), (18, 59, "18-59"))


def age_group(born: datetime.date | None, today: datetime.date) -> str:
    if born is None:
        return ""
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for low, high, label in AGE_GROUPS:
        if low <= age <= high:
            return label
    return "60+" if age >= 60 else ""


def pseudonymised_values(
    selection: Selection, today: datetime.date | None = None
) -> Iterator[tuple[int, int, list[str]]]:
    """(person pk, household pk, the row's values after the two pseudonyms) per person:
    sex, year of birth, age group, nationality, camp P-code, governorates of origin and
    destination (P-codes), household status, relationship. No names, contacts, references,
    tents, exact dates or specific needs."""
    today = today or timezone.localdate()
    for chunk in _chunks(selection, _PSEUDONYMISED_FIELDS):
        for (
            pk,
            household_id,
            sex,
            born,
            nationality,
            household_nationality,
            camp,
            origin,
            destination,
            status,
            relationship,
        ) in chunk:
            yield (
                pk,
                household_id,
                [
                    sex,
                    f"{born.year:04d}" if born else "",
                    age_group(born, today),
                    nationality or household_nationality,
                    camp or "",
                    origin or "",
                    destination or "",
                    status,
                    relationship,
                ],
            )
