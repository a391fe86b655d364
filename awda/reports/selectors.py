"""Aggregates: counts only, with small cells suppressed, safe for donor viewers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.places.models import Place
from awda.registry.models import Household, Person

# Cells under this count are shown as "<5": small counts can identify a family.
SMALL_CELL = 5


@dataclass(frozen=True)
class Cell:
    count: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.count < SMALL_CELL

    def __str__(self) -> str:
        return f"<{SMALL_CELL}" if self.suppressed else str(self.count)


@dataclass(frozen=True)
class Row:
    label: str
    households: Cell
    people: Cell


def _rows(pairs: dict[str, tuple[int, int]]) -> list[Row]:
    return [Row(label, Cell(h), Cell(p)) for label, (h, p) in pairs.items()]


def _by(field: str, labels: dict[str, str]) -> list[Row]:
    households = dict(
        Household.objects.values_list(field).annotate(n=Count("id")).values_list(field, "n")
    )
    people = dict(
        Person.objects.filter(household__isnull=False)
        .values_list(f"household__{field}")
        .annotate(n=Count("id"))
        .values_list(f"household__{field}", "n")
    )
    keys = sorted(set(households) | set(people), key=lambda k: -(households.get(k) or 0))
    unknown = _("not recorded")
    return _rows(
        {
            (labels.get(k, str(k)) if k is not None else unknown): (
                households.get(k, 0),
                people.get(k, 0),
            )
            for k in keys
        }
    )


def programme_totals() -> dict[str, list[Row]]:
    statuses = {str(k): str(v) for k, v in Household.Status.choices}
    camps = {p.pk: p.name for p in Place.objects.filter(kind=Place.Kind.CAMP)}
    governorates = {p.pk: p.name for p in Place.objects.filter(kind=Place.Kind.GOVERNORATE)}
    by_governorate = _by("origin__governorate", governorates)  # type: ignore[arg-type]
    return {
        "status": _by("status", statuses),
        "camp": _by("camp", camps),  # type: ignore[arg-type]
        "governorate": by_governorate,
    }


def people_by_sex_and_age(today: datetime.date | None = None) -> list[Row]:
    """People in households by sex and age group (children under 18, adults, age unknown)."""
    today = today or timezone.localdate()
    cutoff = datetime.date(today.year - 18, today.month, min(today.day, 28))
    groups = {
        "child": (Q(date_of_birth__gt=cutoff), _("children")),
        "adult": (Q(date_of_birth__lte=cutoff), _("adults")),
        "unknown": (Q(date_of_birth__isnull=True), _("age unknown")),
    }
    counts: dict[str, dict[str, Any]] = {
        row["sex"]: dict(row)
        for row in Person.objects.filter(household__isnull=False)
        .values("sex")
        .annotate(**{key: Count("id", filter=condition) for key, (condition, _l) in groups.items()})
    }
    rows = []
    for sex, sex_label in Person.Sex.choices:
        for key, (_condition, group_label) in groups.items():
            count = int(counts.get(sex, {}).get(key, 0))
            rows.append(Row(f"{sex_label} · {group_label}", Cell(0), Cell(count)))
    return rows
