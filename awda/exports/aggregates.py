"""Aggregate exports with HXL hashtags, for coordination bodies and donors: counts of the
whole programme (every organisation, as the dashboard shows) by governorate of origin, by
camp or by governorate of destination. Nothing about any one person.

The table: one row per place (and one for "not recorded"), its P-code and names in
English and Arabic, its country; households, households returned home, people, girls,
boys, women, men (under 18 / 18 and over on the day of the export), people whose age is
not recorded, people returned home; the date of the export. Under the header row, the
HXL row (`#adm1+code`, `#adm1+name+i_en`, `#affected+f+children`, ...), so that HXL
tools (libhxl, HDX) read it without a mapping.

Small counts are suppressed: an empty cell is a count from 1 to 4 (SMALL_CELL from
awda.reports.selectors), or a count hidden so that a small one cannot be worked out from
the others (secondary suppression, `suppress`). Zero is written as 0. HXL tools read an
empty cell as a missing number, which is what it is for them.

Secondary suppression, in steps, repeated until nothing changes:
1. In a row, people = girls + boys + women + men + age not recorded. If exactly one of
   these six cells is hidden, it could be worked out from the other five: hide the
   smallest other part (one above zero if there is one), or the total if no part is left.
2. In a column, the rows add up to the programme's total, which the dashboard and the
   other tables show. If exactly one cell of a column is hidden, hide the smallest other
   cell of the column (one above zero if there is one).
So no row and no column has exactly one hidden cell.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from awda.places.models import Place
from awda.registry.models import Household, Person
from awda.reports.selectors import SMALL_CELL

# (key, header, HXL hashtag) of the counted columns, in the file's order.
COUNTS: tuple[tuple[str, Promise, str], ...] = (
    ("households", _("Households"), "#affected+hh"),
    ("households_returned", _("Households returned home"), "#affected+hh+returnees"),
    ("people", _("People"), "#affected+ind+total"),
    ("girls", _("Girls (under 18)"), "#affected+f+children"),
    ("boys", _("Boys (under 18)"), "#affected+m+children"),
    ("women", _("Women (18 and over)"), "#affected+f+adults"),
    ("men", _("Men (18 and over)"), "#affected+m+adults"),
    ("age_unknown", _("Age not recorded"), "#affected+ind+age_unknown"),
    ("returnees", _("People returned home"), "#affected+ind+returnees"),
)
COUNT_KEYS = tuple(key for key, _header, _tag in COUNTS)
# A total and the parts that add up to it, in every row.
ADDITIVE = (("people", ("girls", "boys", "women", "men", "age_unknown")),)
ADULT_AGE = 18


@dataclass(frozen=True)
class Dimension:
    key: str
    title: Promise
    field: str  # the household's place, as a lookup on Household
    place_columns: tuple[tuple[Promise, str], ...]  # (header, hashtag)


DIMENSIONS: dict[str, Dimension] = {
    "origin": Dimension(
        "origin",
        _("By governorate of origin"),
        "origin__governorate",
        (
            (_("Governorate P-code"), "#adm1+code+origin"),
            (_("Governorate (English)"), "#adm1+name+i_en+origin"),
            (_("Governorate (Arabic)"), "#adm1+name+i_ar+origin"),
            (_("Country"), "#country+code+origin"),
        ),
    ),
    "camp": Dimension(
        "camp",
        _("By camp"),
        "camp",
        (
            (_("Camp P-code"), "#loc+code"),
            (_("Camp (English)"), "#loc+name+i_en"),
            (_("Camp (Arabic)"), "#loc+name+i_ar"),
            (_("Governorate P-code"), "#adm1+code"),
            (_("Country"), "#country+code"),
        ),
    ),
    "destination": Dimension(
        "destination",
        _("By governorate of destination"),
        "destination__governorate",
        (
            (_("Governorate P-code"), "#adm1+code+dest"),
            (_("Governorate (English)"), "#adm1+name+i_en+dest"),
            (_("Governorate (Arabic)"), "#adm1+name+i_ar+dest"),
            (_("Country"), "#country+code+dest"),
        ),
    ),
}
DATE_COLUMN = (_("Date"), "#date+reported")
NOT_RECORDED_EN, NOT_RECORDED_AR = "(not recorded)", "(غير مسجّل)"


@dataclass(frozen=True)
class Table:
    header: list[str]
    hxl: list[str]
    rows: list[list[Any]]  # a suppressed count is None


def _eighteen_years_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:  # 29 February
        return day.replace(year=day.year - ADULT_AGE, day=28)


def _counts(field: str, today: datetime.date) -> dict[int | None, dict[str, int]]:
    """Place pk (None: not recorded) -> count key -> count. Two queries."""
    cutoff = _eighteen_years_before(today)  # born after it: under 18 today
    child, adult = Q(date_of_birth__gt=cutoff), Q(date_of_birth__lte=cutoff)
    counts: dict[int | None, dict[str, int]] = {}
    households = (
        Household.objects.order_by()
        .values(field)
        .annotate(
            households=Count("id"),
            households_returned=Count("id", filter=Q(homecoming__isnull=False)),
        )
    )
    for row in households:
        counts.setdefault(row[field], dict.fromkeys(COUNT_KEYS, 0)).update(
            households=row["households"], households_returned=row["households_returned"]
        )
    people = (
        Person.objects.filter(household__isnull=False, merged_into__isnull=True)
        .order_by()
        .values(f"household__{field}")
        .annotate(
            people=Count("id"),
            girls=Count("id", filter=Q(sex=Person.Sex.FEMALE) & child),
            boys=Count("id", filter=Q(sex=Person.Sex.MALE) & child),
            women=Count("id", filter=Q(sex=Person.Sex.FEMALE) & adult),
            men=Count("id", filter=Q(sex=Person.Sex.MALE) & adult),
            age_unknown=Count("id", filter=Q(date_of_birth__isnull=True)),
            returnees=Count("id", filter=Q(household__homecoming__isnull=False)),
        )
    )
    for row in people:
        key = row.pop(f"household__{field}")
        counts.setdefault(key, dict.fromkeys(COUNT_KEYS, 0)).update(row)
    return counts


def suppress(rows: Sequence[Mapping[str, int]]) -> set[tuple[int, str]]:
    """The (row index, count key) cells to leave empty: small counts, and the cells hidden
    so that no small count can be worked out (see the module's docstring)."""
    hidden = {
        (r, key) for r, row in enumerate(rows) for key in COUNT_KEYS if 0 < row[key] < SMALL_CELL
    }

    def smallest(candidates: list[tuple[int, str]]) -> tuple[int, str] | None:
        candidates = [cell for cell in candidates if cell not in hidden]
        above_zero = [cell for cell in candidates if rows[cell[0]][cell[1]] > 0]
        pool = above_zero or candidates
        return min(pool, key=lambda cell: (rows[cell[0]][cell[1]], cell)) if pool else None

    changed = True
    while changed:
        changed = False
        for r in range(len(rows)):
            for total, parts in ADDITIVE:
                if sum((r, key) in hidden for key in (total, *parts)) != 1:
                    continue
                cell = smallest([(r, key) for key in parts]) or (r, total)
                if cell not in hidden:
                    hidden.add(cell)
                    changed = True
        for key in COUNT_KEYS:
            if sum((r, key) in hidden for r in range(len(rows))) != 1:
                continue
            found = smallest([(r, key) for r in range(len(rows))])
            if found is not None:
                hidden.add(found)
                changed = True
    return hidden


def _place_values(dimension: Dimension, place: Place | None) -> list[str]:
    if place is None:
        values = ["", NOT_RECORDED_EN, NOT_RECORDED_AR]
        return [*values, "", ""] if dimension.key == "camp" else [*values, ""]
    values = [place.pcode, place.name_en, place.name_ar]
    if dimension.key == "camp":
        values.append(place.governorate.pcode if place.governorate else "")
    return [*values, place.country]


def aggregate_table(by: str, today: datetime.date | None = None) -> Table:
    """The aggregate table by "origin", "camp" or "destination" (KeyError otherwise)."""
    dimension = DIMENSIONS[by]
    today = today or timezone.localdate()
    counts = _counts(dimension.field, today)
    places = Place.objects.select_related("governorate").in_bulk(
        [k for k in counts if k is not None]
    )
    keys = sorted(counts, key=lambda k: (k is None, places[k].pcode if k is not None else ""))
    numbers = [counts[k] for k in keys]
    hidden = suppress(numbers)
    rows = [
        [
            *_place_values(dimension, places.get(k) if k is not None else None),
            *(None if (r, key) in hidden else numbers[r][key] for key in COUNT_KEYS),
            today.isoformat(),
        ]
        for r, k in enumerate(keys)
    ]
    columns = [*dimension.place_columns, *((h, t) for _k, h, t in COUNTS), DATE_COLUMN]
    return Table(
        header=[str(header) for header, _tag in columns],
        hxl=[tag for _header, tag in columns],
        rows=rows,
    )
