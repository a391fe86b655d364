"""The demo programme: three organisations, their staff and a synthetic caseload.

Everything here is invented. Names are composed from the hand-written lists in
`awda.demo.names`; organisations are fictional. Households are written through
`household_register` and referrals through the case services, so the audit trail holds
what a real programme's would. The output depends only on the seed and the number of
households (and, if the clock is earlier than `REFERENCE_DATE`, on today).
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar, overload

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Role
from awda.audit.models import Action
from awda.audit.services import audit_record_many, event_for
from awda.cases.models import Referral
from awda.cases.services import referral_accept, referral_create, referral_decline
from awda.common.models import Task
from awda.common.tasks import task_run
from awda.consent.services import is_child
from awda.demo import names
from awda.demo.imports import load_imports
from awda.demo.returns import load_returns
from awda.demo.tracing import load_tracing
from awda.places.models import Place
from awda.registry.models import CivilDocument, Household, Person, SpecificNeed
from awda.registry.services import HouseholdData, PersonData, household_register

T = TypeVar("T")

# Registration dates run from FIRST_REGISTRATION to the reference date; fixed, so that the
# same seed gives the same programme whatever the day it is loaded.
FIRST_REGISTRATION = datetime.date(2024, 1, 7)
REFERENCE_DATE = datetime.date(2026, 10, 31)
# Most children born after this were born in the camp, where births were rarely registered.
CAMP_BIRTHS_FROM = datetime.date(2019, 3, 1)

HOL = "SY080006-HOL"
HOL_ANNEX = "SY080006-HOL-AX"
ROJ = "SY080300-ROJ"

Sex = Person.Sex
Rel = Person.Relationship
Precision = Person.DobPrecision
Doc = CivilDocument.Kind
Held = CivilDocument.Status
Need = SpecificNeed.Code


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    letter: str
    name_ar: str
    name_en: str
    kind: str


ORGANISATIONS = (
    DemoOrganisation(
        "org-a",
        "a",
        "منظمة درب الخابور",
        "Darb al-Khabur Organisation",
        Organisation.Kind.NATIONAL_NGO,
    ),
    DemoOrganisation(
        "org-b",
        "b",
        "نورثبريدج للإغاثة الدولية",
        "Northbridge Relief International",
        Organisation.Kind.INTERNATIONAL_NGO,
    ),
    DemoOrganisation(
        "org-c",
        "c",
        "مؤسسة ضفاف الرافدين",
        "Difaf al-Rafidain Foundation",
        Organisation.Kind.NATIONAL_NGO,
    ),
)

# Origin governorates (English names as in the gazetteer) and their weights.
ORIGINS = {
    "IQ": (("Al-Anbar", 27), ("Ninewa", 30), ("Salah Al-Din", 27), ("Diyala", 8), ("Kirkuk", 8)),
    "SY": (
        ("Deir-ez-Zor", 40),
        ("Ar-Raqqa", 20),
        ("Aleppo", 14),
        ("Al-Hasakeh", 16),
        ("Homs", 5),
        ("Idleb", 5),
    ),
}
THIRD_COUNTRIES = (
    ("RU", 12),
    ("TR", 9),
    ("TJ", 8),
    ("UZ", 7),
    ("KZ", 5),
    ("AZ", 3),
    ("KG", 3),
    ("TN", 8),
    ("MA", 6),
    ("EG", 5),
    ("DZ", 3),
    ("SA", 3),
    ("JO", 3),
    ("LB", 2),
    ("YE", 2),
    ("FR", 5),
    ("DE", 4),
    ("NL", 2),
    ("BE", 2),
    ("SE", 2),
    ("GB", 2),
    ("UA", 2),
    ("ID", 3),
    ("PK", 2),
    ("AF", 2),
    ("TT", 1),
    ("US", 1),
)
ARAB_COUNTRIES = frozenset({"TN", "MA", "EG", "DZ", "SA", "JO", "LB", "YE", "LY"})
STATUSES = (
    (Household.Status.REGISTERED, 68),
    (Household.Status.ELIGIBLE, 13),
    (Household.Status.SCHEDULED, 7),
    (Household.Status.DEPARTED, 6),
    (Household.Status.ARRIVED, 6),
)
REFERRAL_SERVICES = (
    (Referral.Service.MHPSS, "طلب دعم نفسي واجتماعي للأم والأطفال."),
    (Referral.Service.LEGAL_AID, "Needs legal counselling before return (family status)."),
    (Referral.Service.CIVIL_DOCUMENTATION, "أطفال مولودون في المخيم بلا شهادات ميلاد."),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str


@dataclass
class DemoSummary:
    organisations: int
    users: int
    households: int
    people: int
    planted_duplicates: int  # only known when this run created the data; else 0
    referrals: int
    created: bool
    logins: list[DemoLogin] = field(default_factory=list)
    # The answer key for identity resolution: (original, duplicate) household references,
    # each as (organisation slug, reference). Kept out of the database on purpose.
    duplicate_pairs: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)


class DemoError(Exception):
    """The demo cannot be loaded (places missing, a username taken by someone else)."""


# --- names -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    ar: str
    lat: str


class _Pool:
    """Weighted draws from one of the name lists."""

    def __init__(self, entries: Sequence[tuple[str, str, int]]) -> None:
        self.names = [Name(ar, lat) for ar, lat, _w in entries]
        self.cum = list(itertools.accumulate(w for _a, _l, w in entries))

    def draw(self, rng: random.Random) -> Name:
        return rng.choices(self.names, cum_weights=self.cum)[0]


MALE = _Pool(names.MALE_FIRST)
FEMALE = _Pool(names.FEMALE_FIRST)
FAMILY = {"SY": _Pool(names.FAMILY_NAMES_SY), "IQ": _Pool(names.FAMILY_NAMES_IQ)}


def _weighted(rng: random.Random, options: Sequence[tuple[T, int]]) -> T:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


# --- the plan: households and people before they are written ---------------------------


@dataclass
class _Member:
    first: Name
    father: Name | None
    grandfather: Name | None
    family: Name | None
    sex: str
    relationship: str
    born: datetime.date
    precision: str
    nationality: str = ""
    documents: dict[str, str] = field(default_factory=dict)
    needs: set[str] = field(default_factory=set)

    def age_on(self, day: datetime.date) -> int:
        born = self.born
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class _Household:
    org: str
    nationality: str
    camp: Place
    section: Place
    block: Place
    tent: str
    origin: Place | None
    destination: Place | None
    status: str
    registered_on: datetime.date
    members: list[_Member]
    arabic: bool
    latin: bool


@dataclass
class _Places:
    camps: dict[str, Place]
    sections: dict[str, list[Place]]  # "HOL", "AX", "ROJ"
    blocks: dict[int, list[Place]]  # section id -> blocks
    origins: dict[tuple[str, str], list[Place]]  # (country, governorate) -> sub-districts


def _load_places() -> _Places:
    camps = {p.pcode: p for p in Place.objects.filter(pcode__in=[HOL, ROJ])}
    if len(camps) != 2:
        raise DemoError("The camps are not loaded: run `awda load_places` first.")
    sections: dict[str, list[Place]] = {"HOL": [], "AX": [], "ROJ": []}
    for section in Place.objects.filter(kind=Place.Kind.CAMP_SECTION, parent__in=camps.values()):
        key = (
            "AX"
            if section.pcode == HOL_ANNEX
            else ("ROJ" if section.parent_id == camps[ROJ].pk else "HOL")
        )
        sections[key].append(section)
    blocks: dict[int, list[Place]] = {}
    for block in Place.objects.filter(kind=Place.Kind.CAMP_BLOCK).order_by("pcode"):
        if block.parent_id is not None:
            blocks.setdefault(block.parent_id, []).append(block)
    if not all(sections.values()) or any(s.pk not in blocks for v in sections.values() for s in v):
        raise DemoError(
            "al-Hol's and Roj's sections and blocks are not loaded: run `awda load_places`."
        )
    origins: dict[tuple[str, str], list[Place]] = {}
    for country, governorates in ORIGINS.items():
        for governorate, _weight in governorates:
            found = list(
                Place.objects.filter(
                    kind=Place.Kind.SUBDISTRICT,
                    country=country,
                    governorate__name_en=governorate,
                ).order_by("pcode")
            )
            if not found:
                raise DemoError(
                    f"No sub-districts of {governorate} ({country}): run `awda load_places`."
                )
            origins[(country, governorate)] = found
    return _Places(camps=camps, sections=sections, blocks=blocks, origins=origins)


class _Planner:
    def __init__(self, rng: random.Random, places: _Places, end: datetime.date) -> None:
        self.rng = rng
        self.places = places
        self.end = end
        self.span = (end - FIRST_REGISTRATION).days

    # -- dates

    def _dob(self, age: int, on: datetime.date) -> tuple[datetime.date, str]:
        """A date of birth for someone `age` years old on `on`, with a precision."""
        rng = self.rng
        if (on.month, on.day) == (2, 29):
            on = on.replace(day=28)
        latest = on.replace(year=on.year - age)
        born = latest - datetime.timedelta(days=rng.randrange(365))
        kind = rng.random()
        if kind < 0.60:
            return born, Precision.EXACT
        if kind < 0.85:
            return min(datetime.date(born.year, 7, 1), on), Precision.YEAR
        return min(datetime.date(on.year - age, 7, 1), on), Precision.ESTIMATED

    def _member(
        self,
        *,
        first: Name,
        father: Name | None,
        grandfather: Name | None,
        family: Name | None,
        sex: str,
        relationship: str,
        age: int,
        on: datetime.date,
    ) -> _Member:
        born, precision = self._dob(age, on)
        return _Member(first, father, grandfather, family, sex, relationship, born, precision)

    # -- one household

    def household(self, org: str) -> _Household:
        rng = self.rng
        roll = rng.random()
        nationality = "IQ" if roll < 0.48 else ("SY" if roll < 0.88 else "")
        if not nationality:
            nationality = _weighted(rng, THIRD_COUNTRIES)
        local = nationality in ("SY", "IQ")
        status = (
            _weighted(rng, STATUSES)
            if local
            else (Household.Status.ELIGIBLE if rng.random() < 0.1 else Household.Status.REGISTERED)
        )
        # Families already on the move were registered in the first two years.
        moving = status not in (Household.Status.REGISTERED, Household.Status.ELIGIBLE)
        span = min(self.span, 640) if moving else self.span
        registered_on = FIRST_REGISTRATION + datetime.timedelta(days=rng.randrange(span + 1))

        # Where they live in the camp.
        if local:
            key = "ROJ" if rng.random() < 0.012 else "HOL"
        else:
            key = "ROJ" if rng.random() < 0.5 else "AX"
        section = rng.choice(self.places.sections[key])
        block = rng.choice(self.places.blocks[section.pk])
        camp = self.places.camps[ROJ if key == "ROJ" else HOL]
        tent = str(rng.randint(1, 240)) + (rng.choice("ABCD") if rng.random() < 0.25 else "")

        origin = destination = None
        if local:
            governorate = _weighted(rng, ORIGINS[nationality])
            origin = rng.choice(self.places.origins[(nationality, governorate)])
            if status != Household.Status.REGISTERED:
                destination = origin
                if rng.random() < 0.2:
                    destination = rng.choice(self.places.origins[(nationality, governorate)])

        families = FAMILY["IQ" if nationality == "IQ" else "SY"]
        members = self._family(nationality, families, registered_on)
        if not local and nationality not in ARAB_COUNTRIES and rng.random() < 0.5:
            # Often registered by first, father's and grandfather's names only.
            for member in members:
                member.family = None
        self._documents(members, nationality, registered_on)
        if local:
            arabic, latin = True, rng.random() < 0.33
        else:
            arabic = rng.random() < (0.7 if nationality in ARAB_COUNTRIES else 0.12)
            latin = True
        return _Household(
            org=org,
            nationality=nationality,
            camp=camp,
            section=section,
            block=block,
            tent=tent,
            origin=origin,
            destination=destination,
            status=status,
            registered_on=registered_on,
            members=members,
            arabic=arabic,
            latin=latin,
        )

    def _children(
        self,
        count: int,
        *,
        mother_age: int,
        father: Name,
        grandfather: Name | None,
        family: Name | None,
        on: datetime.date,
        relationship: str = Rel.CHILD,
        taken: set[str] | None = None,
    ) -> list[_Member]:
        rng = self.rng
        oldest = max(0, min(17, mother_age - 16))
        # Births one to four years apart (sometimes twins), from the youngest up, none before
        # the mother was about 16 nor after about 45.
        youngest = max(0, mother_age - 45)
        if youngest > oldest:
            return []  # her children are grown up
        count = min(count, (oldest - youngest) // 2 + 1)
        age = rng.randint(youngest, max(youngest, oldest - 2 * (count - 1)))
        ages = []
        for _ in range(count):
            if age > oldest:
                break
            ages.append(age)
            age += _weighted(rng, ((0, 3), (1, 20), (2, 40), (3, 25), (4, 12)))
        ages.reverse()
        children = []
        taken = {father.lat, *(taken or ())}  # brothers and sisters do not share a first name
        for age in ages:
            sex = Sex.MALE if rng.random() < 0.51 else Sex.FEMALE
            pool = MALE if sex == Sex.MALE else FEMALE
            first = pool.draw(rng)
            for _retry in range(20):
                if first.lat not in taken:
                    break
                first = pool.draw(rng)
            taken.add(first.lat)
            children.append(
                self._member(
                    first=first,
                    father=father,
                    grandfather=grandfather,
                    family=family,
                    sex=sex,
                    relationship=relationship,
                    age=age,
                    on=on,
                )
            )
        return children

    def _child_count(self) -> int:
        return _weighted(
            self.rng, ((0, 3), (1, 13), (2, 20), (3, 22), (4, 18), (5, 12), (6, 8), (7, 4))
        )

    def _family(self, nationality: str, families: _Pool, on: datetime.date) -> list[_Member]:
        rng = self.rng
        shape = rng.random()
        if shape < 0.015:
            return self._children_alone(families, on)
        if shape < 0.70:
            return self._woman_headed(nationality, families, on)
        return self._couple(nationality, families, on)

    def _children_alone(self, families: _Pool, on: datetime.date) -> list[_Member]:
        """Unaccompanied children: the oldest is registered as head."""
        rng = self.rng
        father, grandfather, family = MALE.draw(rng), MALE.draw(rng), families.draw(rng)
        head_sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
        head_age = rng.randint(14, 17)
        head = self._member(
            first=(MALE if head_sex == Sex.MALE else FEMALE).draw(rng),
            father=father,
            grandfather=grandfather,
            family=family,
            sex=head_sex,
            relationship=Rel.HEAD,
            age=head_age,
            on=on,
        )
        kids = self._children(
            rng.randint(1, 3),
            mother_age=head_age + 16,
            father=father,
            grandfather=grandfather,
            family=family,
            on=on,
            relationship=Rel.SIBLING,
            taken={head.first.lat},
        )
        members = [head, *kids]
        for member in members:
            member.needs.add(Need.UNACCOMPANIED_CHILD)
        return members

    def _woman_headed(self, nationality: str, families: _Pool, on: datetime.date) -> list[_Member]:
        """A mother whose husband is detained, missing or dead, and her children."""
        rng = self.rng
        age = min(60, max(18, int(rng.gauss(33, 8))))
        her_father, her_grandfather = MALE.draw(rng), MALE.draw(rng)
        her_family = families.draw(rng)
        head = self._member(
            first=FEMALE.draw(rng),
            father=her_father,
            grandfather=her_grandfather,
            family=her_family,
            sex=Sex.FEMALE,
            relationship=Rel.HEAD,
            age=age,
            on=on,
        )
        if nationality == "IQ" and rng.random() < 0.08:
            head.nationality = "SY"
        # The children carry their father's names (cousin marriages share a family name).
        husband = MALE.draw(rng)
        husbands_father = MALE.draw(rng) if rng.random() < 0.9 else None
        husbands_family = her_family if rng.random() < 0.3 else families.draw(rng)
        members = [head]
        members += self._children(
            self._child_count(),
            mother_age=age,
            father=husband,
            grandfather=husbands_father,
            family=husbands_family,
            on=on,
        )
        if rng.random() < 0.25:
            head.needs.add(Need.WOMAN_AT_RISK)
        if len(members) > 1 and rng.random() < 0.1:
            head.needs.add(Need.SINGLE_PARENT)
        if rng.random() < 0.3:
            head.documents[Doc.DEATH_CERTIFICATE] = (
                Held.MISSING if rng.random() < 0.85 else Held.HELD
            )
        if rng.random() < 0.08:
            members.append(self._elder(her_father, her_grandfather, her_family, families, on))
        if rng.random() < 0.05:
            # Her sister's child, separated from both parents.
            nephew = self._children(
                1,
                mother_age=age,
                father=MALE.draw(rng),
                grandfather=MALE.draw(rng),
                family=families.draw(rng),
                on=on,
                relationship=Rel.NEPHEW_NIECE,
            )[0]
            nephew.needs.add(Need.SEPARATED_CHILD)
            members.append(nephew)
        return members

    def _couple(self, nationality: str, families: _Pool, on: datetime.date) -> list[_Member]:
        rng = self.rng
        age = min(75, max(20, int(rng.gauss(38, 10))))
        his_father, his_grandfather, his_family = MALE.draw(rng), MALE.draw(rng), families.draw(rng)
        head = self._member(
            first=MALE.draw(rng),
            father=his_father,
            grandfather=his_grandfather,
            family=his_family,
            sex=Sex.MALE,
            relationship=Rel.HEAD,
            age=age,
            on=on,
        )
        wife_age = min(70, max(17, age - rng.randint(0, 10)))
        wife = self._member(
            first=FEMALE.draw(rng),
            father=MALE.draw(rng),
            grandfather=MALE.draw(rng),
            family=his_family if rng.random() < 0.3 else families.draw(rng),
            sex=Sex.FEMALE,
            relationship=Rel.SPOUSE,
            age=wife_age,
            on=on,
        )
        if nationality == "IQ" and rng.random() < 0.08:
            wife.nationality = "SY"
        members = [head, wife]
        members += self._children(
            max(0, self._child_count() - 1),
            mother_age=wife_age,
            father=head.first,
            grandfather=his_father,
            family=his_family,
            on=on,
        )
        if rng.random() < 0.08:
            members.append(self._elder(his_father, his_grandfather, his_family, families, on))
        return members

    def _elder(
        self, father: Name, grandfather: Name, family: Name, families: _Pool, on: datetime.date
    ) -> _Member:
        """The head's father, or more often mother."""
        rng = self.rng
        age = rng.randint(58, 85)
        if rng.random() < 0.35:
            elder = self._member(
                first=father,
                father=grandfather,
                grandfather=MALE.draw(rng),
                family=family,
                sex=Sex.MALE,
                relationship=Rel.PARENT,
                age=age,
                on=on,
            )
        else:
            elder = self._member(
                first=FEMALE.draw(rng),
                father=MALE.draw(rng),
                grandfather=MALE.draw(rng),
                family=families.draw(rng),
                sex=Sex.FEMALE,
                relationship=Rel.PARENT,
                age=age,
                on=on,
            )
        if rng.random() < 0.7:
            elder.needs.add(Need.OLDER_PERSON_AT_RISK)
        # Elderly people were often registered with an age only.
        if rng.random() < 0.5:
            elder.born, elder.precision = datetime.date(on.year - age, 7, 1), Precision.ESTIMATED
        return elder

    def _documents(self, members: list[_Member], nationality: str, on: datetime.date) -> None:
        rng = self.rng
        local = nationality in ("SY", "IQ")
        for member in members:
            age = member.age_on(on)
            if age < 18:
                if member.born >= CAMP_BIRTHS_FROM:
                    held = rng.random() < 0.12
                else:
                    held = rng.random() < 0.5
                if held or rng.random() < 0.9:
                    member.documents[Doc.BIRTH_CERTIFICATE] = Held.HELD if held else Held.MISSING
                if rng.random() < 0.03:
                    member.needs.add(Need.CHILD_AT_RISK)
            if age >= 15:
                if local:
                    if rng.random() < 0.85:
                        member.documents[Doc.NATIONAL_ID] = (
                            Held.HELD if rng.random() < 0.35 else Held.MISSING
                        )
                    if nationality == "IQ" and rng.random() < 0.4:
                        member.documents[Doc.NATIONALITY_CERTIFICATE] = (
                            Held.HELD if rng.random() < 0.3 else Held.MISSING
                        )
                elif rng.random() < 0.8:
                    member.documents[Doc.PASSPORT] = (
                        Held.HELD if rng.random() < 0.15 else Held.MISSING
                    )
            married = member.relationship in (Rel.HEAD, Rel.SPOUSE) and age >= 18
            if married and rng.random() < 0.5:
                member.documents[Doc.MARRIAGE_CERTIFICATE] = (
                    Held.HELD if rng.random() < 0.3 else Held.MISSING
                )
            if member.relationship == Rel.HEAD and local and age >= 18:
                member.documents[Doc.FAMILY_BOOKLET] = (
                    Held.HELD if rng.random() < 0.35 else Held.MISSING
                )
            if rng.random() < 0.03:
                member.needs.add(Need.DISABILITY)
            if rng.random() < (0.12 if age >= 55 else 0.035):
                member.needs.add(Need.SERIOUS_MEDICAL_CONDITION)

    # -- duplicates

    def duplicate(self, original: _Household, org: str) -> _Household:
        """The same family registered again, written differently."""
        rng = self.rng
        arabic_variants = [
            v for v in ("hamza", "ta", "ya", "abd", "al", "grandfather") if rng.random() < 0.45
        ]
        latin_only = (original.latin and rng.random() < 0.2) or not original.arabic
        if not arabic_variants and not latin_only:
            arabic_variants = [rng.choice(("hamza", "abd", "al", "grandfather"))]
        days = rng.randint(20, 300)
        registered_on = min(self.end, original.registered_on + datetime.timedelta(days=days))
        members = []
        for member in original.members:
            copy = replace(member, documents=dict(member.documents), needs=set(member.needs))
            copy.first = _vary(copy.first, arabic_variants)
            copy.father = _vary(copy.father, arabic_variants)
            copy.grandfather = (
                None
                if "grandfather" in arabic_variants
                else _vary(copy.grandfather, arabic_variants)
            )
            copy.family = _vary(copy.family, arabic_variants)
            if rng.random() < 0.5:
                copy.born, copy.precision = _vary_dob(copy.born, copy.precision, registered_on, rng)
            members.append(copy)
        if len(members) > 2 and rng.random() < 0.2:
            members.pop()  # someone missed at the second registration
        section = original.section
        blocks = [b for b in self.places.blocks[section.pk] if b.pk != original.block.pk]
        return replace(
            original,
            org=org,
            block=rng.choice(blocks),
            tent=str(rng.randint(1, 240)) + (rng.choice("ABCD") if rng.random() < 0.3 else ""),
            status=Household.Status.REGISTERED,
            destination=None,
            registered_on=registered_on,
            members=members,
            arabic=not latin_only,
            latin=latin_only or rng.random() < 0.3,
        )


# Letters that people write in more than one way (escaped: they look like Latin letters).
_BARE_ALEF = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627"})
_TA_MARBUTA, _HA = "\u0629", "\u0647"  # ta marbuta, ha
_ALEF_MAQSURA, _YA = "\u0649", "\u064a"  # alef maqsura, ya


@overload
def _vary(name: Name, variants: Sequence[str]) -> Name: ...
@overload
def _vary(name: None, variants: Sequence[str]) -> None: ...
@overload
def _vary(name: Name | None, variants: Sequence[str]) -> Name | None: ...
def _vary(name: Name | None, variants: Sequence[str]) -> Name | None:
    if name is None or not name.ar:
        return name
    ar = name.ar
    if "hamza" in variants:
        ar = ar.translate(_BARE_ALEF)
    if "ta" in variants:
        ar = " ".join(w[:-1] + _HA if w.endswith(_TA_MARBUTA) else w for w in ar.split())
    if "ya" in variants:
        ar = " ".join(w[:-1] + _YA if w.endswith(_ALEF_MAQSURA) else w for w in ar.split())
    if "abd" in variants:
        ar = ar.replace("عبد ال", "عبدال") if "عبد ال" in ar else ar.replace("عبدال", "عبد ال")
    if "al" in variants and ar.startswith("ال") and len(ar) > 4 and " " not in ar:
        ar = ar[2:]
    return Name(ar, name.lat)


def _vary_dob(
    born: datetime.date, precision: str, on: datetime.date, rng: random.Random
) -> tuple[datetime.date, str]:
    """Day and month swapped, or only the year given, at a registration on `on`."""
    if precision != Precision.EXACT:
        return born, precision
    if born.day <= 12 and born.day != born.month and rng.random() < 0.6:
        swapped = born.replace(month=born.day, day=born.month)
        if swapped <= on:
            return swapped, Precision.EXACT
    return min(datetime.date(born.year, 7, 1), on), Precision.YEAR


def _person_data(member: _Member, *, arabic: bool, latin: bool) -> PersonData:
    def ar(name: Name | None) -> str:
        return name.ar if name and arabic else ""

    def lat(name: Name | None) -> str:
        return name.lat if name and (latin or not name.ar) else ""

    return PersonData(
        first_name_ar=ar(member.first),
        father_name_ar=ar(member.father),
        grandfather_name_ar=ar(member.grandfather),
        family_name_ar=ar(member.family),
        first_name_lat=lat(member.first),
        father_name_lat=lat(member.father),
        grandfather_name_lat=lat(member.grandfather),
        family_name_lat=lat(member.family),
        sex=member.sex,
        date_of_birth=member.born,
        dob_precision=member.precision,
        nationality=member.nationality,
        relationship=member.relationship,
        documents={str(k): str(v) for k, v in member.documents.items()},
        needs={str(n) for n in member.needs},
    )


# --- writing ---------------------------------------------------------------------------


def _organisations(created: list[Organisation | User]) -> dict[str, Organisation]:
    out = {}
    for spec in ORGANISATIONS:
        org, is_new = Organisation.objects.get_or_create(
            slug=spec.slug,
            defaults={"name_ar": spec.name_ar, "name_en": spec.name_en, "kind": spec.kind},
        )
        if is_new:
            created.append(org)
        out[spec.slug] = org
    return out


def _users(
    orgs: dict[str, Organisation], password: str, seed: int, created: list[Organisation | User]
) -> dict[str, User]:
    rng = random.Random(f"{seed}-staff")
    hashed = make_password(password)  # once: Argon2 is slow on purpose
    users: dict[str, User] = {}
    for spec in ORGANISATIONS:
        family = FAMILY["IQ" if spec.slug == "org-c" else "SY"]
        for role in Role:
            username = f"{role.value}.{spec.letter}"
            first = (MALE if rng.random() < 0.55 else FEMALE).draw(rng)
            last = family.draw(rng)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    password=hashed,
                    first_name=first.ar,
                    last_name=last.ar,
                    organisation=orgs[spec.slug],
                    role=role.value,
                )
                created.append(user)
            elif user.organisation_id != orgs[spec.slug].pk or user.role != role.value:
                raise DemoError(
                    f"The user {username} exists but is not the demo's {role.value} of "
                    f"{spec.slug}; the demo cannot be loaded into this database."
                )
            users[username] = user
    return users


def _record_created(created: list[Organisation | User]) -> None:
    """The organisations and accounts were made by the command line, not by a user."""
    events = []
    for obj in created:
        if isinstance(obj, User):
            details = {"username": obj.username, "role": obj.role, "demo": True}
        else:
            details = {"slug": obj.slug, "demo": True}
        events.append(event_for(Action.CREATE, obj, details=details))
    if events:
        audit_record_many(actor=None, events=events)


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin(f"{role.value}.{spec.letter}", role.value, spec.slug)
        for spec in ORGANISATIONS
        for role in Role
    ]


def _counts(created: bool, planted: int) -> DemoSummary:
    slugs = [spec.slug for spec in ORGANISATIONS]
    return DemoSummary(
        organisations=Organisation.objects.filter(slug__in=slugs).count(),
        users=User.objects.filter(username__in=[login.username for login in demo_logins()]).count(),
        households=Household.objects.filter(organisation__slug__in=slugs).count(),
        people=Person.objects.filter(organisation__slug__in=slugs).count(),
        planted_duplicates=planted,
        referrals=Referral.objects.filter(sending_organisation__slug__in=slugs).count(),
        created=created,
        logins=demo_logins(),
    )


def demo_loaded() -> bool:
    return Household.objects.filter(organisation__slug=ORGANISATIONS[0].slug).exists()


def load_demo(
    *, households: int = 2000, seed: int = 2026, password: str, returns: bool = True
) -> DemoSummary:
    """Load the demo programme once; a second call changes nothing and says so. Without
    `returns`, the registry and casework only (benchmarks of the registry use that)."""
    if not password:
        raise DemoError("The demo users need a password.")
    if demo_loaded():
        return _counts(created=False, planted=0)
    places = _load_places()
    end = min(REFERENCE_DATE, timezone.localdate())
    rng = random.Random(seed)
    planner = _Planner(rng, places, end)

    planted = min(households // 2, max(2, round(households * 0.03))) if households >= 4 else 0
    originals = [
        planner.household("org-a" if rng.random() < 0.8 else "org-b")
        for _ in range(households - planted)
    ]
    pairs: list[tuple[_Household, _Household]] = []
    for original in rng.sample(originals, planted):
        # Half again by the same organisation (another intake round), half by the other.
        same = rng.random() < 0.5
        other = original.org if same else ("org-b" if original.org == "org-a" else "org-a")
        pairs.append((original, planner.duplicate(original, other)))
    duplicates = [duplicate for _original, duplicate in pairs]
    original_ids = {id(h) for h in originals}
    # Registered in date order, as they would have been.
    plan = sorted(originals + duplicates, key=lambda h: h.registered_on)

    with transaction.atomic():
        created: list[Organisation | User] = []
        orgs = _organisations(created)
        users = _users(orgs, password, seed, created)
        _record_created(created)
        registrars = {
            spec.slug: users[f"{Role.REGISTRAR.value}.{spec.letter}"] for spec in ORGANISATIONS
        }
        written: dict[int, Household] = {}
        numbers: dict[str, int] = {}
        for planned in plan:
            numbers[planned.org] = numbers.get(planned.org, 0) + 1
            registrar = registrars[planned.org]
            household = household_register(
                by=registrar,
                data=HouseholdData(
                    camp=planned.camp,
                    nationality=planned.nationality,
                    reference=(
                        f"{planned.org.upper()}-{planned.registered_on.year}-"
                        f"{numbers[planned.org]:05d}"
                    ),
                    camp_section=planned.section,
                    camp_block=planned.block,
                    tent=planned.tent,
                    origin=planned.origin,
                    destination=planned.destination,
                    registered_on=planned.registered_on,
                ),
                members=[
                    _person_data(m, arabic=planned.arabic, latin=planned.latin)
                    for m in planned.members
                ],
            )
            written[id(planned)] = household
        _referrals(
            [written[id(p)] for p in plan if p.org == "org-a" and id(p) in original_ids],
            users,
            orgs,
            random.Random(f"{seed}-referrals"),
        )
        _casework(
            [written[id(p)] for p in plan if p.org == "org-a" and id(p) in original_ids],
            users,
            random.Random(f"{seed}-cases"),
        )
        load_tracing(
            {
                slug: [written[id(p)] for p in plan if p.org == slug and id(p) in original_ids]
                for slug in ("org-a", "org-b")
            },
            users,
            orgs,
            random.Random(f"{seed}-tracing"),
        )
        if returns:
            load_returns(
                [written[id(p)] for p in plan if p.org == "org-a" and id(p) in original_ids],
                users,
                orgs,
                random.Random(f"{seed}-returns"),
            )
        load_imports(users, random.Random(f"{seed}-imports"))
    # The review queue of the demo is filled as a supervisor's scan would fill it.
    scan = Task.objects.create(
        kind="identity.scan", created_by=users["supervisor.a"], organisation=orgs["org-a"]
    )
    task_run(scan.pk)
    summary = _counts(created=True, planted=planted)
    summary.duplicate_pairs = [
        (
            (original.org, written[id(original)].reference),
            (duplicate.org, written[id(duplicate)].reference),
        )
        for original, duplicate in pairs
    ]
    return summary


def _referrals(
    candidates: list[Household],
    users: dict[str, User],
    orgs: dict[str, Organisation],
    rng: random.Random,
) -> None:
    """About twenty org-a households referred to org-b: most answered, one declined. A
    household headed by a child is left out: its referral needs a caregiver's consent
    and the child's assent recorded first, which the demo does not invent."""
    candidates = [
        h for h in candidates if not any(is_child(m) for m in h.members.filter(relationship="head"))
    ]
    count = min(20, len(candidates) // 2)
    sender, receiver = users["caseworker.a"], users["caseworker.b"]
    chosen = sorted(rng.sample(candidates, count), key=lambda h: h.pk)
    for index, household in enumerate(chosen):
        service, reason = REFERRAL_SERVICES[index % len(REFERRAL_SERVICES)]
        referral = referral_create(
            consent="given",
            by=sender,
            household=household,
            receiving_organisation=orgs["org-b"],
            kind=Referral.Kind.REFERRAL,
            service=service,
            reason=reason,
        )
        if index == 0:
            referral_decline(
                referral=referral, by=receiver, note="No capacity for new cases this month."
            )
        elif index % 2 == 1:
            referral_accept(referral=referral, by=receiver, note="Caseworker assigned.")


# Written as caseworkers write them, in Arabic.
GOALS = [
    ("استخراج شهادات ميلاد للأطفال المولودين في المخيم", "حجز موعد لدى دائرة الأحوال المدنية"),
    ("حصول الأسرة على وثائقها المدنية", "جمع نسخ دفتر العائلة"),
    ("التحاق الأطفال بالتعليم", "تسجيل الأطفال في مركز التعلم في المخيم"),
    ("متابعة طبية للأم", "إحالة إلى عيادة المخيم"),
    ("إيجاد كفيل في منطقة المنشأ", "لقاء مسؤول التواصل المجتمعي بشأن الكفالة"),
]
FOLLOW_UPS = [
    "زيارة منزلية إلى الخيمة",
    "اتصال هاتفي بالأسرة",
    "التحقق من الوثائق",
    "زيارة مع المشرف",
]


def _casework(households: list[Household], users: dict[str, User], rng: random.Random) -> None:
    """Cases at every step for about one org-a household in eight, with plans, follow-ups
    (some overdue) and psychosocial screenings, written through the services as
    caseworkers, supervisors and MHPSS workers would."""
    from awda.cases import services as cases
    from awda.mhpss.services import screening_record

    worker, boss, mhpss = users["caseworker.a"], users["supervisor.a"], users["mhpss.a"]
    today = timezone.localdate()
    steps = ["assessment", "case_plan", "services", "monitoring"]
    chosen = sorted(
        rng.sample(households, min(len(households), max(6, len(households) // 8))),
        key=lambda h: h.pk,
    )
    for index, household in enumerate(chosen):
        members = list(household.members.all())
        children = [m for m in members if m.relationship == Rel.CHILD]
        person = rng.choice(children) if children and rng.random() < 0.25 else None
        case = cases.case_open(
            by=worker,
            household=household,
            person=person,
            risk=rng.choice(["low", "medium", "medium", "high"]),
        )
        depth = index % 6  # new, assessment, plan waiting, services, monitoring, closed
        for to in steps[: min(depth, 2)]:
            case = cases.case_move(by=worker, case=case, to=to)
        if depth >= 2:
            goal, action = rng.choice(GOALS)
            made = cases.goal_add(by=worker, case=case, title=goal)
            cases.action_add(
                by=worker,
                goal=made,
                title=action,
                owner=worker,
                due_on=today + datetime.timedelta(days=rng.randint(-10, 30)),
            )
            case = cases.case_submit(by=worker, case=case, what="case_plan")
        if depth >= 3:
            case = cases.case_decide(by=boss, case=case, approve=True)
            cases.service_record(
                by=worker,
                case=case,
                service=rng.choice(["civil_documentation", "education", "health"]),
                channel="in_house",
                delivered_on=today - datetime.timedelta(days=rng.randint(1, 60)),
            )
        if depth >= 4:
            case = cases.case_move(by=worker, case=case, to="monitoring")
        if depth == 5:
            case = cases.case_submit(by=worker, case=case, what="closure", comment="الأسرة مستقرة.")
            case = cases.case_decide(by=boss, case=case, approve=True, comment="موافق.")
        elif depth != 2:
            cases.follow_up_add(
                by=worker,
                case=case,
                title=rng.choice(FOLLOW_UPS),
                due_on=today + datetime.timedelta(days=rng.randint(-7, 10)),
            )
        adults = [m for m in members if (m.age_on(today) or 0) >= 18]
        if adults and rng.random() < 0.4:
            who = rng.choice(adults)
            for months in (6, 3, 0):
                low = months > 0
                answers = [rng.randint(0, 2) if low else rng.randint(2, 5) for _ in range(5)]
                screening_record(
                    by=mhpss,
                    person=who,
                    instrument="who5",
                    answers=answers,
                    on=today - datetime.timedelta(days=30 * months),
                )
