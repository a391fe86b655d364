"""Place names in a list matched to the gazetteer's P-codes. A P-code is taken as it is; a
name is compared folded (awda.imports.mapping.fold) with the Arabic and English names; a
camp section or block may be given by its number ("3", "القطاع 3", "Phase 3", "B07").
When nothing matches exactly, the closest names are offered as suggestions; when a name
is shared by several places (many villages share one), the choice is left to the person,
who can add the governorate to tell them apart."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from awda.imports.mapping import digits, fold
from awda.places.models import CAMP_KINDS, Place

# A name that is this close to a gazetteer name is offered as a suggestion.
_CLOSE = 0.75
_ORDINALS = {
    "الاول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6,
    "السابع": 7, "الثامن": 8, "التاسع": 9, "العاشر": 10,
}  # fmt: skip
_QUALIFIED = re.compile(r"^(.+?)\s*\((.+)\)$")
_CAMP_WORDS = re.compile(r"^(مخيم|camp)\s+|\s+(camp|مخيم)$")


@dataclass
class Match:
    place: Place | None
    problem: str = ""
    suggestion: str = ""


def _label(place: Place) -> str:
    return f"{place.pcode} ({place.name_ar} / {place.name_en})"


def _number(text: str) -> int | None:
    folded = fold(digits(text))
    for word, value in _ORDINALS.items():
        if word in folded.split():
            return value
    found = re.findall(r"\d+", folded)
    return int(found[-1]) if found else None


class PlaceIndex:
    """Every place, read once per import."""

    def __init__(self) -> None:
        self.places = list(Place.objects.all())
        self.by_pcode = {p.pcode.upper(): p for p in self.places}
        self.by_pk = {p.pk: p for p in self.places}
        self.names: dict[str, list[Place]] = {}
        for place in self.places:
            for name in {fold(place.name_ar), fold(place.name_en)}:
                if name:
                    self.names.setdefault(name, []).append(place)
        self.children: dict[int, list[Place]] = {}
        for place in self.places:
            if place.parent_id:
                self.children.setdefault(place.parent_id, []).append(place)

    def _by_name(self, text: str, kinds: set[Any], within: Place | None = None) -> Match:
        # "Name (Parent)", as the XLSForm's choices label a sub-district or a camp section.
        qualified = _QUALIFIED.match(text.strip())
        if qualified:
            parents = [p for p in self.names.get(fold(qualified.group(2)), [])]
            for parent in parents:
                if within is None or self._under(parent, within):
                    found = self._by_name(qualified.group(1), kinds, within=parent)
                    if found.place is not None:
                        return found
        folded = fold(text)
        candidates = [
            p
            for p in self.names.get(folded, [])
            if p.kind in kinds and (within is None or self._under(p, within))
        ]
        if len(candidates) == 1:
            return Match(candidates[0])
        if len(candidates) > 1:
            shown = "; ".join(_label(p) for p in candidates[:5])
            return Match(
                None,
                _("several places have this name"),
                _("give the P-code or the governorate: %(places)s") % {"places": shown},
            )
        pool = {
            name: places
            for name, places in self.names.items()
            if any(p.kind in kinds and (within is None or self._under(p, within)) for p in places)
        }
        close = difflib.get_close_matches(folded, list(pool), n=3, cutoff=_CLOSE)
        suggestions = [
            _label(p)
            for name in close
            for p in pool[name]
            if p.kind in kinds and (within is None or self._under(p, within))
        ][:3]
        return Match(
            None,
            _("no place of this name in the gazetteer"),
            (
                _("did you mean %(places)s?") % {"places": _(" or ").join(suggestions)}
                if suggestions
                else _("give the P-code")
            ),
        )

    def _under(self, place: Place, ancestor: Place) -> bool:
        current: Place | None = place
        while current is not None:
            if current.pk == ancestor.pk:
                return True
            current = self.by_pk.get(current.parent_id) if current.parent_id else None
        return False

    def camp(self, text: str) -> Match:
        found = self.by_pcode.get(text.strip().upper())
        if found is not None:
            if found.kind != Place.Kind.CAMP:
                return Match(None, _("this P-code is not a camp's"))
            return Match(found)
        match = self._by_name(text, {Place.Kind.CAMP})
        if match.place is None:
            bare = _CAMP_WORDS.sub("", fold(text)).removeprefix("al ").removeprefix("ال")
            for place in self.places:
                if (
                    place.kind == Place.Kind.CAMP
                    and bare
                    and (bare in fold(place.name_ar) or bare in fold(place.name_en))
                ):
                    return Match(place)
        return match

    def camp_part(self, text: str, parent: Place, kind: str) -> Match:
        """A section of a camp, or a block of a section (or of a camp, when the list has
        blocks but no sections: blocks are numbered within their section, so a block
        number alone is ambiguous — the problem says so)."""
        found = self.by_pcode.get(text.strip().upper())
        if found is not None:
            if found.kind != kind or not self._under(found, parent):
                return Match(None, _("this P-code is not in that camp"))
            return Match(found)
        match = self._by_name(text, {kind}, within=parent)
        if match.place is not None:
            return match
        number = _number(text)
        if number is not None:
            options = [
                p
                for p in self.places
                if p.kind == kind
                and self._under(p, parent)
                and (n := re.findall(r"\d+", p.pcode.rsplit("-", 1)[-1]))
                and int(n[-1]) == number
            ]
            if len(options) == 1:
                return Match(options[0])
            if len(options) > 1:
                return Match(
                    None,
                    _("this number is in several sections"),
                    _("give the section too, or the P-code"),
                )
        return match

    def community(self, text: str, governorate: Place | None = None) -> Match:
        found = self.by_pcode.get(text.strip().upper())
        if found is not None:
            if found.kind in CAMP_KINDS:
                return Match(None, _("a camp, not a place of origin or return"))
            return Match(found)
        kinds = {
            Place.Kind.GOVERNORATE,
            Place.Kind.DISTRICT,
            Place.Kind.SUBDISTRICT,
            Place.Kind.COMMUNITY,
        }
        match = self._by_name(text, kinds, within=governorate)
        if match.place is None and governorate is None:
            # "Deir-ez-Zor" names a governorate, a district and a sub-district: the widest.
            same = [p for p in self.names.get(fold(text), []) if p.kind in kinds]
            if same and len({p.governorate_id or p.pk for p in same}) == 1:
                return Match(min(same, key=lambda p: p.level))
        return match

    def governorate(self, text: str) -> Match:
        found = self.by_pcode.get(text.strip().upper())
        if found is not None and found.kind == Place.Kind.GOVERNORATE:
            return Match(found)
        return self._by_name(text, {Place.Kind.GOVERNORATE})
