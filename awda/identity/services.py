"""Keeping the search keys of people's names."""

from __future__ import annotations

from collections.abc import Iterable

from awda.identity.models import NameKey
from awda.identity.names import coarse, family_tokens, skeleton, tokens
from awda.registry.models import Person

NAME_FIELDS = (
    "first_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
    "first_name_lat",
    "father_name_lat",
    "grandfather_name_lat",
    "family_name_lat",
)


def name_keys_of(person: Person) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for field in NAME_FIELDS:
        value = getattr(person, field)
        parts = family_tokens(value) if field.startswith("family") else tokens(value)
        for part in parts:
            sk = skeleton(part)
            if sk:
                keys.add((NameKey.Kind.SKELETON, sk[:40]))
                keys.add((NameKey.Kind.COARSE, coarse(sk)[:40]))
    return keys


def name_keys_refresh(persons: Iterable[Person]) -> None:
    """Write the keys of these people's names, replacing what was there."""
    persons = list(persons)
    NameKey.objects.filter(person__in=persons).delete()
    NameKey.objects.bulk_create(
        [
            NameKey(person=person, kind=kind, key=key)
            for person in persons
            for kind, key in sorted(name_keys_of(person))
        ],
        batch_size=2000,
    )
