"""Matching a tracing request against the whole registry and against other families'
requests. A pure module: it reads, it writes nothing, and it does not decide what a user
may see (the caller stores and shows the candidates).

Steps:
1. The sought person: the names the family gave, in either script or both; a field left
   empty is filled from the requester's own names when the relationship allows (the
   nasab runs father → son): a sought CHILD's father is the requester (a man) or the
   requester's husband (the head or spouse of her household, or else the father named on
   her children there), the grandfather that man's father, the family his family; a
   sought father is the requester's father, his father the requester's grandfather; a
   SIBLING shares father, grandfather and family; a paternal GRANDPARENT or GRANDCHILD
   shares what the nasab carries over; a SPOUSE or another relative, nothing. Inferred
   values are marked and weigh less.
2. Blocking, through the identity engine's name index (`NameKey`): people who share a
   first-name key with the sought first name AND a key with the father's, grandfather's
   or family name, of the sought sex, born within ten years of the sought age, not
   merged into another registration, not the requester or their household, and whose
   consent covers tracing (a tracing consent not revoked, not refused by the child; one
   EXISTS subquery). The coarse key (see `identity.names.coarse`) is used: it contains the
   skeleton, and carries a Latin spelling to an Arabic one and back.
3. Scoring, field by field, in Python, on the few hundred people blocked. Each name field
   falls on a level: `same` (one spelling in one script), `sounds_alike` (one skeleton, or
   across scripts one coarse skeleton), `close` (skeletons at Jaro-Winkler ≥ 0.88, as the
   duplicate detection uses), `different` (two common given names that share a skeleton,
   محمد and محمود, are different: brothers are named so), or `not_given` (either side
   empty). A registration whose family field holds the grandfather (or a request that
   did so) is compared shifted, the shifted fields counting as `close` at best. The first
   name must agree (same, sounds alike or close), and one of father, grandfather and
   family must too: the candidate shares more than a first name.
4. score = Σ weight × factor, clipped to 0..1:

       weight  first name 0.30, father 0.20, grandfather 0.10, family 0.15,
               age 0.15, sex 0.05, last known place 0.05              (sum 1.0)
       factor  same 1.0, sounds_alike 0.9, close 0.6 (age: within 3 years 0.5),
               different −0.5 (age: 4 to 8 years apart −0.3; place 0), not_given 0;
               an inferred name counts 0.9 of a given one.

   Sex must agree and ages more than 8 years apart exclude, once the vagueness of each
   side is allowed for (an age rather than a year: one year; an estimated date of birth:
   one more). Candidates at or above THRESHOLD (0.6) are kept: a true match described by
   first, father and family name scores about 0.85 (0.78 across scripts), and one
   described by its first name only with the rest inferred about 0.88; a namesake with
   the same first and family name and another father about 0.5; an agreement on the
   first name alone cannot reach it.
5. Two families looking for each other: another active request whose requester is a
   candidate for this request's sought person (step 2 and 3, consent or that request's
   supervisor override in place of the tracing consent), and whose own sought person
   fits this request's requester (sex, age, first name agreeing) with the relationships
   reciprocal (my CHILD seeks me as PARENT). Its score is this side's plus 0.2 × the
   other side's, capped at 1; it replaces the plain person candidate for the same
   requester.

The evidence lists, per field, the level and the value THIS request gave or inferred, in
its own spelling — never a value of the candidate's record, which the holding
organisation has not yet agreed to share.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jellyfish
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from awda.consent.models import Consent, Purpose
from awda.demo.names import FEMALE_FIRST, MALE_FIRST
from awda.identity.dedup import KNOWN_GIVEN_NAMES
from awda.identity.models import NameKey
from awda.identity.names import coarse, family_tokens, skeleton, strip_article, tokens
from awda.registry.models import Person
from awda.tracing.models import Relation, TracingRequest

THRESHOLD = 0.6
WEIGHTS = {
    "first_name": 0.30,
    "father_name": 0.20,
    "grandfather_name": 0.10,
    "family_name": 0.15,
    "age": 0.15,
    "sex": 0.05,
    "place": 0.05,
}
FACTORS = {"same": 1.0, "sounds_alike": 0.9, "close": 0.6, "different": -0.5, "not_given": 0.0}
AGE_FACTORS = {"same": 1.0, "close": 0.5, "different": -0.3, "not_given": 0.0}
INFERRED = 0.9
MUTUAL = 0.2
CLOSE_SKELETON = 0.88  # as the duplicate detection's "close skeleton"
MAX_YEARS_APART = 8
# A guard on the people read after blocking. The index does not know in which field a
# key stands, so a request made of the most common names (Mahmoud Hammoud al-Ali) blocks
# everyone who carries two of them anywhere: about 1,400 in a registry of 100,000.
MAX_BLOCKED = 5000

NAMES = ("first_name", "father_name", "grandfather_name", "family_name")
POSITIVE = frozenset({"same", "sounds_alike", "close"})
RECIPROCAL: dict[str, str] = {
    Relation.CHILD: Relation.PARENT,
    Relation.PARENT: Relation.CHILD,
    Relation.SIBLING: Relation.SIBLING,
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.GRANDCHILD: Relation.GRANDPARENT,
    Relation.GRANDPARENT: Relation.GRANDCHILD,
}
_PERSON_VALUES = (
    "id",
    "organisation_id",
    "household_id",
    "sex",
    *(f"{name}_{script}" for name in NAMES for script in ("ar", "lat")),
    "date_of_birth",
    "dob_precision",
    "household__camp__governorate_id",
    "household__origin__governorate_id",
)
# Common given names in Latin script, to the Arabic they spell: "Mahmoud" is not محمد.
_LATIN_GIVEN = {
    "".join(tokens(latin)): "".join(tokens(arabic))
    for arabic, latin, _w in (*MALE_FIRST, *FEMALE_FIRST)
}


@dataclass(frozen=True)
class Found:
    person_id: int | None  # a registered person, or
    request_id: int | None  # another active tracing request (two families seeking each other)
    holder_id: int  # the organisation holding that record
    score: float  # 0..1, higher is better
    evidence: list[dict[str, Any]]  # per field: what THIS request gave, and the level
    # For a mutual match, the same seen from the other request: its own values against
    # this request's requester, for the other organisation's eyes.
    reverse_evidence: list[dict[str, Any]] = field(default_factory=list)


# -- names ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    """One name field in one script, in the forms the comparisons read."""

    script: str
    normal: str
    skeleton: str
    coarse: str
    canonical: str | None  # the Arabic of a common given name, else None


def _spelling(parts: Iterable[str], script: str, *, given_name: bool) -> Spelling | None:
    parts = [p for p in parts if p]
    if not parts:
        return None
    normal = "".join(parts)
    sk = "".join(skeleton(p) for p in parts)
    canonical = None
    if given_name and script == "ar":
        canonical = normal if normal in KNOWN_GIVEN_NAMES else None
    elif given_name:
        canonical = _LATIN_GIVEN.get(normal)
    return Spelling(script, normal, sk, coarse(sk), canonical)


Field = tuple[Spelling, ...]


def _nasab(values: Mapping[str, str | None]) -> dict[str, Field]:
    """The four name fields of a record (keys `first_name_ar`, ...), each in the scripts
    written; "father grandfather" written in the father's field is split."""
    out: dict[str, list[Spelling]] = {name: [] for name in NAMES}
    for script in ("ar", "lat"):
        first = tokens(values.get(f"first_name_{script}"))
        father = tokens(values.get(f"father_name_{script}"))
        grandfather = tokens(values.get(f"grandfather_name_{script}"))
        family = family_tokens(values.get(f"family_name_{script}"))
        if len(father) > 1 and not grandfather:
            father, grandfather = father[:1], father[1:2]
        for name, parts in (
            ("first_name", first),
            ("father_name", father),
            ("grandfather_name", grandfather),
            ("family_name", family),
        ):
            spelling = _spelling(parts, script, given_name=name != "family_name")
            if spelling is not None:
                out[name].append(spelling)
    return {name: tuple(spellings) for name, spellings in out.items()}


def _block_keys(values: Iterable[tuple[str, bool]]) -> set[tuple[str, str]]:
    """Index keys of every token, as `identity.services.name_keys_of` writes them: the
    coarse key (which contains the skeleton), or the skeleton where the coarse key is
    empty (يحيى, Yahya: only the classes coarse drops)."""
    keys: set[tuple[str, str]] = set()
    for text, family in values:
        for part in family_tokens(text) if family else tokens(text):
            for form in {part, strip_article(part)}:
                sk = skeleton(form)[:40]
                co = coarse(sk)[:40] if sk else ""
                if co:
                    keys.add((NameKey.Kind.COARSE, co))
                elif sk:
                    keys.add((NameKey.Kind.SKELETON, sk))
    return keys


def compare(sought: Field, found: Field) -> str:
    """The level on which two spellings of one name field agree (module docstring)."""
    if not sought or not found:
        return "not_given"
    if any(a.script == b.script and a.normal == b.normal for a in sought for b in found):
        return "same"
    mine = {a.canonical for a in sought if a.canonical}
    theirs = {b.canonical for b in found if b.canonical}
    if mine and theirs and not mine & theirs:
        return "different"  # محمد and محمود, Mohammed and Mahmoud
    if any(
        a.skeleton == b.skeleton or (a.script != b.script and a.coarse == b.coarse)
        for a in sought
        for b in found
    ):
        return "sounds_alike"
    for a in sought:
        for b in found:
            left, right = (a.skeleton, b.skeleton) if a.script == b.script else (a.coarse, b.coarse)
            if left and right and jellyfish.jaro_winkler_similarity(left, right) >= CLOSE_SKELETON:
                return "close"
    return "different"


def _capped(level: str) -> str:
    return "close" if level in POSITIVE else level


# -- the sought person ----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    spellings: Field
    written: tuple[str, str]  # (Arabic, Latin) as given or inferred, for the blocking keys
    given: str | None  # in the request's spelling, for the evidence
    inferred: bool


@dataclass(frozen=True)
class Sought:
    names: dict[str, Part]
    sex: str
    birth_year: int | None
    by_age: bool
    age_given: int | None
    governorate_id: int | None
    place_given: str | None

    def keys(self, name: str) -> set[tuple[str, str]]:
        family = name == "family_name"
        return _block_keys((text, family) for text in self.names[name].written if text)


def _names_of(person: Person) -> dict[str, tuple[str, str]]:
    """A person's own nasab as (Arabic, Latin) per field, "father grandfather" split."""
    out = {name: (getattr(person, f"{name}_ar"), getattr(person, f"{name}_lat")) for name in NAMES}
    father, grandfather = list(out["father_name"]), list(out["grandfather_name"])
    for index in (0, 1):
        parts = tokens(father[index])
        if len(parts) > 1 and not grandfather[index]:
            father[index], grandfather[index] = parts[0], parts[1]
    out["father_name"] = (father[0], father[1])
    out["grandfather_name"] = (grandfather[0], grandfather[1])
    return out


def _father_of_children(requester: Person) -> dict[str, tuple[str, str]] | None:
    """The man whose children the requester's are, as (first, his father, family): the
    requester himself; for a woman, her husband in the household (head or spouse), or
    else the father's names most often written on the household's children."""
    own = _names_of(requester)
    if requester.sex == Person.Sex.MALE:
        return {
            "first_name": own["first_name"],
            "father_name": own["father_name"],
            "family_name": own["family_name"],
        }
    couple = (Person.Relationship.HEAD, Person.Relationship.SPOUSE)
    if requester.household_id is None or requester.relationship not in couple:
        return None
    members = list(
        Person.objects.filter(household_id=requester.household_id, merged_into__isnull=True)
        .exclude(pk=requester.pk)
        .filter(relationship__in=(*couple, Person.Relationship.CHILD))
        .order_by("id")
    )
    for member in members:
        if member.relationship in couple and member.sex == Person.Sex.MALE:
            names = _names_of(member)
            return {
                "first_name": names["first_name"],
                "father_name": names["father_name"],
                "family_name": names["family_name"],
            }
    lines = Counter(
        (names["father_name"], names["grandfather_name"], names["family_name"])
        for names in (_names_of(m) for m in members if m.relationship == Person.Relationship.CHILD)
        if any(names["father_name"])
    )
    if not lines:
        return None
    father, grandfather, family = lines.most_common(1)[0][0]
    return {"first_name": father, "father_name": grandfather, "family_name": family}


def _inferred(request: TracingRequest) -> dict[str, tuple[str, str]]:
    """Name fields of the sought person read from the requester's, by relationship."""
    requester = request.requester
    own = _names_of(requester)
    relation = request.relationship
    male = request.sought_sex == Person.Sex.MALE
    if relation == Relation.SIBLING:
        return {name: own[name] for name in ("father_name", "grandfather_name", "family_name")}
    if relation == Relation.PARENT and male:
        return {
            "first_name": own["father_name"],
            "father_name": own["grandfather_name"],
            "family_name": own["family_name"],
        }
    if relation == Relation.GRANDPARENT and male:
        return {"first_name": own["grandfather_name"], "family_name": own["family_name"]}
    if relation in (Relation.CHILD, Relation.GRANDCHILD):
        father = _father_of_children(requester)
        if father is None:
            return {}
        if relation == Relation.CHILD:
            return {
                "father_name": father["first_name"],
                "grandfather_name": father["father_name"],
                "family_name": father["family_name"],
            }
        return {"grandfather_name": father["first_name"], "family_name": father["family_name"]}
    return {}


def sought_of(request: TracingRequest, *, today: datetime.date | None = None) -> Sought:
    """The sought person as the matching reads them: given names, inferred names, age."""
    today = today or timezone.localdate()
    given = {name: (getattr(request, f"sought_{name}_ar"), getattr(request, f"sought_{name}_lat"))
             for name in NAMES}  # fmt: skip
    wrote_arabic = any(ar for ar, _lat in given.values())
    wrote_latin = any(lat for _ar, lat in given.values())
    # The evidence speaks the request's script; with nothing written, the requester's.
    arabic = wrote_arabic or (not wrote_latin and bool(request.requester.full_name_ar))
    inferred = _inferred(request)
    values: dict[str, str] = {}
    parts: dict[str, tuple[tuple[str, str], bool]] = {}
    for name in NAMES:
        if any(given[name]):
            parts[name] = (given[name], False)
        elif name in inferred and any(inferred[name]):
            parts[name] = (inferred[name], True)
        else:
            parts[name] = (("", ""), False)
        values[f"{name}_ar"], values[f"{name}_lat"] = parts[name][0]
    fields = _nasab(values)
    names = {}
    for name in NAMES:
        (ar, lat), was_inferred = parts[name]
        shown = (ar or lat) if arabic else (lat or ar)
        names[name] = Part(fields[name], (ar, lat), shown or None, was_inferred)
    birth_year, by_age, age_given = request.sought_birth_year, False, None
    if birth_year is not None:
        age_given = birth_year
    elif request.sought_age is not None:
        birth_year, by_age, age_given = today.year - request.sought_age, True, request.sought_age
    place = request.last_known_place
    return Sought(
        names=names,
        sex=request.sought_sex,
        birth_year=birth_year,
        by_age=by_age,
        age_given=age_given,
        governorate_id=place.governorate_id if place is not None else None,
        place_given=(place.name_ar if arabic else place.name_en) if place is not None else None,
    )


# -- scoring ------------------------------------------------------------------------------


def _age_level(sought: Sought, row: Mapping[str, Any]) -> str | None:
    """same / close / different / not_given, or None when the ages exclude."""
    born = row["date_of_birth"]
    if sought.birth_year is None or born is None:
        return "not_given"
    slack = int(sought.by_age) + int(row["dob_precision"] == Person.DobPrecision.ESTIMATED)
    apart = max(0, abs(born.year - sought.birth_year) - slack)
    if apart <= 1:
        return "same"
    if apart <= 3:
        return "close"
    if apart <= MAX_YEARS_APART:
        return "different"
    return None


def _line_levels(sought: Sought, found: dict[str, Field]) -> dict[str, str]:
    """Levels of father, grandfather and family: straight, or shifted where one side
    wrote the grandfather in the family field; the alignment that scores best."""
    s, f = sought.names, found
    straight = {
        "father_name": compare(s["father_name"].spellings, f["father_name"]),
        "grandfather_name": compare(s["grandfather_name"].spellings, f["grandfather_name"]),
        "family_name": compare(s["family_name"].spellings, f["family_name"]),
    }
    options = [straight]
    if straight["grandfather_name"] not in POSITIVE or straight["family_name"] not in POSITIVE:
        # The registration's family field holds the grandfather.
        options.append(
            {
                "father_name": straight["father_name"],
                "grandfather_name": _capped(
                    compare(s["grandfather_name"].spellings, f["family_name"])
                ),
                "family_name": "not_given",
            }
        )
        # The family gave the grandfather as the family name.
        options.append(
            {
                "father_name": straight["father_name"],
                "grandfather_name": "not_given",
                "family_name": _capped(compare(s["family_name"].spellings, f["grandfather_name"])),
            }
        )
    return max(options, key=lambda levels: _names_score(sought, levels))


def _names_score(sought: Sought, levels: Mapping[str, str]) -> float:
    total = 0.0
    for name, level in levels.items():
        factor = FACTORS[level] * (INFERRED if sought.names[name].inferred else 1.0)
        total += WEIGHTS[name] * factor
    return total


def score(
    sought: Sought, row: Mapping[str, Any], *, strict: bool = True
) -> tuple[float, list[dict[str, Any]]] | None:
    """The score of one person (a row of `_PERSON_VALUES`) for the sought person, with the
    evidence; None when the two cannot be one person or (`strict`) share no more than a
    first name."""
    if row["sex"] != sought.sex:
        return None
    age = _age_level(sought, row)
    if age is None:
        return None
    found = _nasab(row)
    levels = {"first_name": compare(sought.names["first_name"].spellings, found["first_name"])}
    if levels["first_name"] not in POSITIVE:
        return None
    levels |= _line_levels(sought, found)
    if strict and not any(levels[name] in POSITIVE for name in NAMES[1:]):
        return None
    places = {row["household__camp__governorate_id"], row["household__origin__governorate_id"]}
    places.discard(None)
    place = "not_given"
    if sought.governorate_id is not None and places:
        place = "same" if sought.governorate_id in places else "different"
    total = _names_score(sought, levels)
    total += WEIGHTS["age"] * AGE_FACTORS[age]
    total += WEIGHTS["sex"]
    total += WEIGHTS["place"] * (1.0 if place == "same" else 0.0)
    evidence: list[dict[str, Any]] = [
        {
            "field": name,
            "given": sought.names[name].given,
            "inferred": sought.names[name].inferred,
            "level": levels[name],
        }
        for name in NAMES
    ]
    evidence += [
        {"field": "sex", "given": sought.sex, "inferred": False, "level": "same"},
        {"field": "age", "given": sought.age_given, "inferred": False, "level": age},
        {"field": "place", "given": sought.place_given, "inferred": False, "level": place},
    ]
    return round(min(1.0, max(0.0, total)), 3), evidence


# -- the search -----------------------------------------------------------------------------


def _consents() -> QuerySet[Consent]:
    """Tracing consents in force (`consent.services.consent_in_force`, as a queryset)."""
    return Consent.objects.filter(purpose=Purpose.TRACING, revoked_at__isnull=True).exclude(
        child_assent=Consent.Assent.REFUSED
    )


def _excluded(request: TracingRequest) -> set[int]:
    """The requester and their household: the family already knows where they are."""
    requester = request.requester
    ids = {requester.pk}
    if requester.household_id is not None:
        ids |= set(
            Person.objects.filter(household_id=requester.household_id).values_list("pk", flat=True)
        )
    return ids


def _keys_q(keys: set[tuple[str, str]]) -> Q:
    condition = Q(pk__in=[])
    for kind in (NameKey.Kind.COARSE, NameKey.Kind.SKELETON):
        values = sorted(key for k, key in keys if k == kind)
        if values:
            condition |= Q(kind=kind, key__in=values)
    return condition


def _blocked(sought: Sought, excluded: set[int]) -> Q | None:
    """People worth scoring (step 2), as a filter on Person, or None when the request
    names too little to look for anyone.

    The index does not say which field a key came from, so a first name repeated as
    the father's or grandfather's (محمد محمد) is not asked for twice; and the rarer of
    the two key sets drives the query while the other is checked person by person
    (through the index on person, kind and key)."""
    first = sought.keys("first_name")
    others = set().union(*(sought.keys(name) for name in NAMES[1:]))
    others = (others - first) or others
    if not first or not others:
        return None
    sizes = {
        (row["kind"], row["key"]): row["n"]
        for row in NameKey.objects.filter(_keys_q(first | others))
        .values("kind", "key")
        .annotate(n=Count("id"))
    }
    weight = {
        "first": sum(sizes.get(k, 0) for k in first),
        "others": sum(sizes.get(k, 0) for k in others),
    }
    driver, checked = (first, others) if weight["first"] <= weight["others"] else (others, first)
    condition = Q(pk__in=NameKey.objects.filter(_keys_q(driver)).values("person_id")) & Q(
        Exists(NameKey.objects.filter(_keys_q(checked), person=OuterRef("pk")))
    )
    condition &= Q(sex=sought.sex, merged_into__isnull=True)
    if sought.birth_year is not None:
        reach = MAX_YEARS_APART + 2
        condition &= Q(date_of_birth__isnull=True) | Q(
            date_of_birth__gte=datetime.date(sought.birth_year - reach, 1, 1),
            date_of_birth__lte=datetime.date(sought.birth_year + reach, 12, 31),
        )
    return condition & ~Q(pk__in=sorted(excluded))


def find_candidates(
    request: TracingRequest, *, limit: int = 20, threshold: float = THRESHOLD
) -> list[Found]:
    """Registered people and other families' requests that may be the person this
    request seeks, best first (module docstring)."""
    sought = sought_of(request)
    excluded = _excluded(request)
    blocked = _blocked(sought, excluded)
    if blocked is None:
        return []
    found: dict[tuple[str, int], Found] = {}
    rows = (
        Person.objects.filter(blocked)
        .filter(Exists(_consents().filter(person=OuterRef("pk"))))
        .order_by("id")
        .values(*_PERSON_VALUES)[:MAX_BLOCKED]
    )
    for row in rows:
        result = score(sought, row)
        if result is not None and result[0] >= threshold:
            found[("person", row["id"])] = Found(
                person_id=row["id"],
                request_id=None,
                holder_id=row["organisation_id"],
                score=result[0],
                evidence=result[1],
            )
    for requester_id, match in _mutual(request, sought, blocked, threshold):
        # The other family's request says more than their registration alone.
        found.pop(("person", requester_id), None)
        found[("request", match.request_id or 0)] = match
    ranked = sorted(found.values(), key=lambda f: (-f.score, f.person_id or 0, f.request_id or 0))
    return ranked[:limit]


def _mutual(
    request: TracingRequest, sought: Sought, blocked: Q, threshold: float
) -> list[tuple[int, Found]]:
    """Other active requests, by a candidate for the sought person, that seek this
    request's requester (step 5); with the other request's requester id."""
    others = (
        TracingRequest.objects.filter(status__in=TracingRequest.ACTIVE)
        .exclude(pk=request.pk)
        .filter(requester__in=Person.objects.filter(blocked).values("pk"))
        .filter(Exists(_consents().filter(person=OuterRef("requester"))) | ~Q(consent_override=""))
        .select_related("requester", "last_known_place")
        .order_by("id")
    )
    wanted = RECIPROCAL.get(request.relationship)
    if wanted is not None:
        others = others.filter(relationship__in=(wanted, Relation.OTHER))
    candidates = list(others[:MAX_BLOCKED])
    if not candidates:
        return []
    rows = {
        row["id"]: row
        for row in Person.objects.filter(
            pk__in=[other.requester_id for other in candidates] + [request.requester_id]
        ).values(*_PERSON_VALUES)
    }
    me = rows[request.requester_id]
    out = []
    for other in candidates:
        forward = score(sought, rows[other.requester_id])
        if forward is None:
            continue
        # Their description of this requester may be thin (a mother's first name): it
        # must not contradict, and what agrees adds.
        backward = score(sought_of(other), me, strict=False)
        if backward is None:
            continue
        total = round(min(1.0, forward[0] + MUTUAL * backward[0]), 3)
        if total < threshold:
            continue
        match = Found(
            person_id=None,
            request_id=other.pk,
            holder_id=other.organisation_id,
            score=total,
            evidence=forward[1],
            reverse_evidence=backward[1],
        )
        out.append((other.requester_id, match))
    return out
