"""Audit entries as a person reads them: field labels instead of column names, place
names instead of ids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from awda.audit.models import AuditEntry
from awda.audit.services import SENSITIVE
from awda.places.models import Place


@dataclass(frozen=True)
class Change:
    label: str
    old: Any
    new: Any
    sensitive: bool


def _field(object_type: str, name: str) -> models.Field[Any, Any] | None:
    try:
        model = apps.get_model(object_type)
        field = model._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return field if isinstance(field, models.Field) else None


def readable_changes(entries: Iterable[AuditEntry]) -> dict[int, list[Change]]:
    """{entry id: [Change, ...]} for the entries given."""
    entries = list(entries)
    place_ids: set[int] = set()
    for entry in entries:
        for name, change in entry.changes.items():
            field = _field(entry.object_type, name)
            if field is not None and field.related_model is Place and isinstance(change, list):
                place_ids.update(v for v in change if isinstance(v, int))
    places: dict[Any, str] = {
        p.pk: f"{p.name} ({p.pcode})" for p in Place.objects.filter(pk__in=place_ids)
    }
    readable: dict[int, list[Change]] = {}
    for entry in entries:
        rows = []
        for name, change in entry.changes.items():
            field = _field(entry.object_type, name)
            label = str(field.verbose_name) if field is not None else name.replace("_", " ")
            if change == SENSITIVE:
                rows.append(Change(label, None, None, sensitive=True))
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            if field is not None and field.related_model is Place:
                old, new = places.get(old, old), places.get(new, new)
            elif field is not None and field.choices:
                choices = {str(k): str(v) for k, v in field.flatchoices}
                old, new = choices.get(str(old), old), choices.get(str(new), new)
            rows.append(Change(label, old, new, sensitive=False))
        readable[entry.pk] = rows
    return readable
