"""Finding a person's names in free text, to take them out.

A note says "فاطمة asked for…" or "visited Fatima and her son": the names are written as
people write them, with or without hamza and diacritics, ة or ه, a prefix (وفاطمة,
لفاطمة), in either script. `Redactor` builds one pattern per name that accepts the
spellings a reader takes for the same written name (the folding of
`awda.identity.names.normalise`, run backwards), and replaces each match with
`PLACEHOLDER`.

It looks for the person's full names and first names: the father's, grandfather's and
family names alone are shared with their relatives, whose notes must stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from awda.identity.names import is_arabic, normalise
from awda.registry.models import Person

PLACEHOLDER = "[…]"

# A letter as `normalise` folds it → every letter that folds to it.
_ARABIC_VARIANTS = {
    "ا": "اأإآٱٲٳ",
    "ه": "هةۀہھ",
    "ي": "يىیېئ",
    "و": "وؤ",
    "ك": "كکگ",
}
# Diacritics, tatweel and a bare hamza may sit after any letter.
_BETWEEN = "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0621]*"
# One-letter prefixes written onto a name: and, so, with, for, like.
_PREFIX = "(?P<prefix>[وفبلك]?)"
_APART_OR_TOGETHER = r"[\s\-]*"
_APART = r"[\s\-]+"


def _arabic_pattern(name: str) -> str:
    words = []
    for word in normalise(name).split():
        letters = [
            f"[{_ARABIC_VARIANTS[c]}]" if c in _ARABIC_VARIANTS else re.escape(c) for c in word
        ]
        words.append("".join(f"{letter}{_BETWEEN}" for letter in letters))
    # Compounds are written apart or together (عبد الله, عبدالله).
    return r"(?<!\w)" + _PREFIX + _APART_OR_TOGETHER.join(words) + r"(?!\w)"


def _latin_pattern(name: str) -> str:
    words = [re.escape(word) for word in re.split(r"[\s\-]+", name.strip()) if word]
    return r"(?<!\w)(?P<prefix>)" + _APART.join(words) + r"(?!\w)"


def names_of(people: Iterable[Person]) -> list[str]:
    """The names to look for: each full name and first name, longest first."""
    found: set[str] = set()
    for person in people:
        for name in (
            person.full_name_ar,
            person.full_name_lat,
            person.first_name_ar,
            person.first_name_lat,
        ):
            if name.strip():
                found.add(" ".join(name.split()))
    return sorted(found, key=lambda n: (-len(n), n))


class Redactor:
    """`redactor(text)` is the text with the people's names replaced by PLACEHOLDER;
    `redactor.json(value)` does the same to every string inside a JSON value."""

    def __init__(self, names: Iterable[str]) -> None:
        patterns = [
            _arabic_pattern(name) if is_arabic(name) else _latin_pattern(name)
            for name in names
            if name.strip()
        ]
        self._patterns = [re.compile(p, re.IGNORECASE) for p in patterns]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for pattern in self._patterns:
            text = pattern.sub(lambda m: f"{m.group('prefix')}{PLACEHOLDER}", text)
        return text

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value


def wipe(text: str) -> str:
    """Text that is the person's own record: replaced whole (empty stays empty)."""
    return PLACEHOLDER if text else text
