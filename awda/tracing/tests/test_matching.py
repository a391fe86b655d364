"""The tracing matching engine: the sought relative is found across organisations and
scripts, by the relationship when the family gave little, among consenting people only;
namesakes, siblings and the family's own household stay out; two families looking for
each other meet; and the evidence carries nothing of the candidate's record.

All names are invented combinations of common given and family names."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from awda.conftest import child, head, place, register
from awda.consent.models import Consent
from awda.registry.models import Person
from awda.tracing.matching import THRESHOLD, Found, find_candidates
from awda.tracing.models import TracingRequest

SON_AR = {
    "first_name_ar": "إبراهيم",
    "father_name_ar": "خالد",
    "grandfather_name_ar": "عبد الله",
    "family_name_ar": "الجبوري",
}
SON_LAT = {
    "first_name_lat": "Ibraheem",
    "father_name_lat": "Khalid",
    "grandfather_name_lat": "Abdallah",
    "family_name_lat": "Al-Jubouri",
}
NO_ARABIC = dict.fromkeys(SON_AR, "")
SON_BORN = datetime.date(2007, 5, 17)


def roj(**overrides):
    """Where org B registers: Roj camp, people from Babil."""
    return {
        "camp": place("SY080300-ROJ"),
        "camp_section": place("SY080300-ROJ-S1"),
        "camp_block": place("SY080300-ROJ-S1-B01"),
        "origin": place("IQG07Q01N01"),
        **overrides,
    }


def consent(person, user, **overrides):
    values = {
        "person": person,
        "organisation": user.organisation,
        "purpose": "tracing",
        "legal_basis": "consent",
        "given_by": "person",
        "recorded_by": user,
    }
    values.update(overrides)
    return Consent.objects.create(**values)


def registered(user, reference, *, consenting=True, **names):
    """One person registered alone (as head) by `user`'s organisation, at Roj."""
    values = {
        **SON_AR,
        "sex": "M",
        "date_of_birth": SON_BORN,
        "dob_precision": "year",
        **names,
    }
    household = register(user, reference=reference, members=[head(**values)], **roj())
    person = household.members.get()
    if consenting:
        consent(person, user)
    return person


@pytest.fixture
def mother(caseworker):
    """Zainab, in al-Hol with her younger son Yusuf; her husband Khalid is not with them."""
    household = register(
        caseworker,
        reference="A-0101",
        members=[
            head(
                first_name_ar="زينب",
                father_name_ar="حسن",
                grandfather_name_ar="محمود",
                family_name_ar="العبيدي",
                sex="F",
                date_of_birth=datetime.date(1980, 1, 1),
                dob_precision="year",
            ),
            child(
                first_name_ar="يوسف",
                father_name_ar="خالد",
                grandfather_name_ar="عبد الله",
                family_name_ar="الجبوري",
                date_of_birth=datetime.date(2015, 1, 1),
            ),
        ],
    )
    return household.members.get(relationship="head")


def seek(requester, user, **fields):
    values = {
        "organisation": user.organisation,
        "requester": requester,
        "relationship": "child",
        "sought_first_name_ar": "ابراهيم",
        "sought_father_name_ar": "خالد",
        "sought_family_name_ar": "الجبوري",
        "sought_sex": "M",
        "sought_birth_year": 2007,
        "created_by": user,
    }
    values.update(fields)
    return TracingRequest.objects.create(**values)


def ids(found: list[Found]) -> list[int | None]:
    return [f.person_id for f in found]


def test_a_mother_finds_her_son_registered_by_another_organisation(
    mother, caseworker, other_caseworker, org_b
):
    son = registered(other_caseworker, "B-0042")

    found = find_candidates(seek(mother, caseworker))

    assert ids(found)[:1] == [son.pk]
    assert found[0].holder_id == org_b.pk
    assert found[0].request_id is None
    assert found[0].score >= 0.8


def test_the_son_registered_in_latin_script_only_is_found(mother, caseworker, other_caseworker):
    son = registered(other_caseworker, "B-0042", **NO_ARABIC, **SON_LAT)

    found = find_candidates(seek(mother, caseworker))

    assert ids(found)[:1] == [son.pk]
    levels = {e["field"]: e["level"] for e in found[0].evidence}
    assert levels["first_name"] == "sounds_alike"
    assert levels["family_name"] == "sounds_alike"


def test_a_request_in_latin_script_finds_an_arabic_only_registration(
    mother, caseworker, other_caseworker
):
    son = registered(other_caseworker, "B-0042")

    request = seek(
        mother,
        caseworker,
        sought_first_name_ar="",
        sought_father_name_ar="",
        sought_family_name_ar="",
        sought_first_name_lat="Ibrahim",
        sought_father_name_lat="Khaled",
        sought_family_name_lat="al Jubouri",
    )

    assert ids(find_candidates(request))[:1] == [son.pk]


def test_a_namesake_with_another_father_stays_out(mother, caseworker, other_caseworker):
    son = registered(other_caseworker, "B-0042")
    namesake = registered(
        other_caseworker, "B-0043", father_name_ar="حسين", grandfather_name_ar="علي"
    )

    request = seek(mother, caseworker)
    everyone = find_candidates(request, threshold=0.0)

    assert ids(find_candidates(request)) == [son.pk]
    assert ids(everyone).index(son.pk) < ids(everyone).index(namesake.pk)
    namesake_score = next(f.score for f in everyone if f.person_id == namesake.pk)
    assert namesake_score < THRESHOLD


def test_a_namesake_sharing_only_the_first_name_is_never_scored(
    mother, caseworker, other_caseworker
):
    registered(
        other_caseworker,
        "B-0043",
        father_name_ar="سعيد",
        grandfather_name_ar="جاسم",
        family_name_ar="الدليمي",
    )

    assert find_candidates(seek(mother, caseworker), threshold=0.0) == []


def test_a_name_shared_in_another_field_of_the_nasab_is_not_enough(
    mother, caseworker, other_caseworker
):
    # He shares the sought first name, and خالد — but as his grandfather, not his father.
    registered(
        other_caseworker,
        "B-0043",
        father_name_ar="سعيد",
        grandfather_name_ar="خالد",
        family_name_ar="الدليمي",
    )

    assert find_candidates(seek(mother, caseworker), threshold=0.0) == []


def test_a_brother_whose_name_shares_a_skeleton_is_not_the_sought_son(
    mother, caseworker, other_caseworker
):
    # محمد and محمود share the skeleton MHMD: brothers are named so.
    registered(other_caseworker, "B-0044", first_name_ar="محمود")

    assert find_candidates(seek(mother, caseworker, sought_first_name_ar="محمد")) == []


def test_the_wrong_sex_is_never_a_candidate(mother, caseworker, other_caseworker):
    registered(other_caseworker, "B-0042", sex="F")

    assert find_candidates(seek(mother, caseworker), threshold=0.0) == []


def test_an_age_fifteen_years_off_is_left_out(mother, caseworker, other_caseworker):
    registered(other_caseworker, "B-0042", date_of_birth=datetime.date(1992, 5, 17))

    assert find_candidates(seek(mother, caseworker), threshold=0.0) == []


def test_an_age_estimated_on_both_sides_is_allowed_for(mother, caseworker, other_caseworker):
    son = registered(
        other_caseworker,
        "B-0042",
        date_of_birth=datetime.date(2004, 1, 1),
        dob_precision="estimated",
    )
    age = timezone.localdate().year - 2006

    found = find_candidates(seek(mother, caseworker, sought_birth_year=None, sought_age=age))

    assert ids(found) == [son.pk]
    age_evidence = next(e for e in found[0].evidence if e["field"] == "age")
    assert age_evidence == {"field": "age", "given": age, "inferred": False, "level": "same"}


@pytest.mark.parametrize(
    "record",
    [
        None,  # no consent at all
        {"revoked_at": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)},
        {"given_by": "caregiver", "child_assent": "refused"},
        {"purpose": "case_management"},
    ],
    ids=["none", "revoked", "child-refused", "another-purpose"],
)
def test_people_whose_consent_does_not_cover_tracing_are_never_returned(
    mother, caseworker, other_caseworker, record
):
    son = registered(other_caseworker, "B-0042", consenting=False)
    if record is not None:
        consent(son, other_caseworker, **record)

    assert find_candidates(seek(mother, caseworker), threshold=0.0) == []


@pytest.mark.parametrize("assent", ["given", "not_asked"])
def test_a_caregivers_consent_with_the_childs_assent_covers_tracing(
    mother, caseworker, other_caseworker, assent
):
    son = registered(other_caseworker, "B-0042", consenting=False)
    consent(son, other_caseworker, given_by="caregiver", child_assent=assent)

    assert ids(find_candidates(seek(mother, caseworker))) == [son.pk]


def test_merged_registrations_are_left_out(mother, caseworker, other_caseworker):
    son = registered(other_caseworker, "B-0042")
    again = registered(other_caseworker, "B-0043")
    Person.objects.filter(pk=again.pk).update(merged_into=son)

    assert ids(find_candidates(seek(mother, caseworker), threshold=0.0)) == [son.pk]


def test_the_requesters_own_household_is_left_out(mother, caseworker):
    yusuf = mother.household.members.get(first_name_ar="يوسف")
    consent(yusuf, caseworker, given_by="caregiver", child_assent="not_asked")
    consent(mother, caseworker)

    request = seek(mother, caseworker, sought_first_name_ar="يوسف", sought_birth_year=2015)

    assert find_candidates(request, threshold=0.0) == []


def test_the_fathers_line_is_inferred_from_the_requesters_children(
    mother, caseworker, other_caseworker
):
    son = registered(other_caseworker, "B-0042")
    registered(other_caseworker, "B-0043", father_name_ar="حسين", grandfather_name_ar="علي")

    request = seek(mother, caseworker, sought_father_name_ar="", sought_family_name_ar="")
    found = find_candidates(request)

    assert ids(found) == [son.pk]
    evidence = {e["field"]: e for e in found[0].evidence}
    assert evidence["first_name"]["inferred"] is False
    assert evidence["father_name"] == {
        "field": "father_name",
        "given": "خالد",
        "inferred": True,
        "level": "same",
    }
    assert evidence["grandfather_name"]["given"] == "عبد الله"
    assert evidence["family_name"]["given"] == "الجبوري"
    assert all(evidence[f]["inferred"] for f in ("grandfather_name", "family_name"))


def test_the_fathers_line_is_inferred_from_the_requesters_husband(caseworker, other_caseworker):
    household = register(
        caseworker,
        reference="A-0102",
        members=[
            head(
                first_name_ar="خالد",
                father_name_ar="عبد الله",
                grandfather_name_ar="صالح",
                family_name_ar="الجبوري",
                sex="M",
                date_of_birth=datetime.date(1975, 1, 1),
            ),
            head(
                first_name_ar="زينب",
                father_name_ar="حسن",
                family_name_ar="العبيدي",
                relationship="spouse",
            ),
        ],
    )
    wife = household.members.get(relationship="spouse")
    son = registered(other_caseworker, "B-0042")

    request = seek(wife, caseworker, sought_father_name_ar="", sought_family_name_ar="")

    assert ids(find_candidates(request)) == [son.pk]


def test_a_father_seeking_his_son_lends_the_son_his_names(caseworker, other_caseworker):
    father = register(
        caseworker,
        reference="A-0103",
        members=[
            head(
                first_name_lat="Khaled",
                father_name_lat="Abdullah",
                family_name_lat="Jubouri",
                **{k: "" for k in ("first_name_ar", "father_name_ar", "grandfather_name_ar")},
                family_name_ar="",
                sex="M",
            )
        ],
    ).members.get()
    son = registered(other_caseworker, "B-0042")

    request = seek(
        father,
        caseworker,
        sought_first_name_ar="",
        sought_father_name_ar="",
        sought_family_name_ar="",
        sought_first_name_lat="Ibrahim",
    )
    found = find_candidates(request)

    assert ids(found) == [son.pk]
    evidence = {e["field"]: e for e in found[0].evidence}
    assert evidence["father_name"]["given"] == "Khaled"
    assert evidence["father_name"]["level"] == "sounds_alike"


def test_a_son_seeking_his_father_takes_the_name_from_his_own(caseworker, other_caseworker):
    son = registered(caseworker, "A-0104")
    father = registered(
        other_caseworker,
        "B-0050",
        first_name_ar="خالد",
        father_name_ar="عبد الله",
        grandfather_name_ar="صالح",
        family_name_ar="الجبوري",
        date_of_birth=datetime.date(1975, 1, 1),
    )

    request = seek(
        son,
        caseworker,
        relationship="parent",
        sought_first_name_ar="",
        sought_father_name_ar="",
        sought_family_name_ar="",
        sought_birth_year=None,
    )

    assert ids(find_candidates(request)) == [father.pk]


def test_a_spouse_named_by_first_name_only_is_not_looked_for(mother, caseworker, other_caseworker):
    registered(
        other_caseworker, "B-0042", first_name_ar="خالد", date_of_birth=None, dob_precision=""
    )

    request = seek(
        mother,
        caseworker,
        relationship="spouse",
        sought_first_name_ar="خالد",
        sought_father_name_ar="",
        sought_family_name_ar="",
        sought_birth_year=None,
    )

    assert find_candidates(request, threshold=0.0) == []


@pytest.fixture
def son_seeks_mother(other_caseworker):
    """Ibrahim, registered by org B, asks for his mother Zainab."""

    def make(**fields):
        son = registered(other_caseworker, "B-0042", consenting=fields.pop("consenting", True))
        values = {
            "relationship": "parent",
            "sought_first_name_ar": "زينب",
            "sought_father_name_ar": "حسن",
            "sought_family_name_ar": "العبيدي",
            "sought_sex": "F",
            "sought_birth_year": 1981,
            **fields,
        }
        return seek(son, other_caseworker, **values)

    return make


def test_two_families_looking_for_each_other_meet(mother, caseworker, org_b, son_seeks_mother):
    theirs = son_seeks_mother()

    found = find_candidates(seek(mother, caseworker))

    assert len(found) == 1
    assert found[0].person_id is None
    assert found[0].request_id == theirs.pk
    assert found[0].holder_id == org_b.pk
    assert found[0].score >= 0.9
    reverse = {e["field"]: e for e in found[0].reverse_evidence}
    assert reverse["first_name"] == {
        "field": "first_name",
        "given": "زينب",
        "inferred": False,
        "level": "same",
    }


@pytest.mark.parametrize(
    "other",
    [{"sought_first_name_ar": "مريم"}, {"sought_sex": "M"}, {"sought_birth_year": 1960}],
    ids=["another-name", "a-father", "another-age"],
)
def test_a_request_for_someone_else_is_no_mutual_match(
    mother, caseworker, other_caseworker, son_seeks_mother, other
):
    son_seeks_mother(**other)

    found = find_candidates(seek(mother, caseworker))

    assert [(f.person_id is not None, f.request_id) for f in found] == [(True, None)]


def test_a_request_whose_relationship_does_not_mirror_is_no_mutual_match(
    mother, caseworker, son_seeks_mother
):
    son_seeks_mother(relationship="sibling")

    found = find_candidates(seek(mother, caseworker))

    assert [f.request_id for f in found] == [None]


def test_the_other_requester_needs_consent_or_an_override(mother, caseworker, son_seeks_mother):
    theirs = son_seeks_mother(consenting=False)
    request = seek(mother, caseworker)

    assert find_candidates(request) == []

    theirs.consent_override = "A supervisor traced for an unaccompanied child."
    theirs.save()

    assert [f.request_id for f in find_candidates(request)] == [theirs.pk]


def test_a_closed_request_is_no_mutual_match(mother, caseworker, son_seeks_mother):
    son_seeks_mother(status=TracingRequest.Status.CLOSED)

    assert [f.request_id for f in find_candidates(seek(mother, caseworker))] == [None]


def test_candidates_are_ranked_best_first_and_capped(mother, caseworker, other_caseworker):
    registered(other_caseworker, "B-0041", **NO_ARABIC, **SON_LAT)
    registered(other_caseworker, "B-0042")
    registered(other_caseworker, "B-0043", date_of_birth=datetime.date(2010, 1, 1))

    found = find_candidates(seek(mother, caseworker))
    scores = [f.score for f in found]

    assert len(found) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(find_candidates(seek(mother, caseworker), limit=2)) == 2


@pytest.mark.parametrize("mutual", [False, True], ids=["person", "their-request"])
def test_the_evidence_tells_nothing_of_the_candidates_record(
    mother, caseworker, other_caseworker, mutual
):
    son = registered(other_caseworker, "B-0042", **SON_LAT)
    theirs = None
    if mutual:
        theirs = seek(
            son,
            other_caseworker,
            relationship="parent",
            sought_first_name_ar="زينب",
            sought_father_name_ar="حسن",
            sought_family_name_ar="العبيدي",
            sought_sex="F",
            sought_birth_year=1981,
        )
    age = timezone.localdate().year - 2007
    given = {
        "sought_first_name_lat": "Ibrahim",
        "sought_father_name_lat": "Khaled",
        "sought_grandfather_name_lat": "Abdullah",
        "sought_family_name_lat": "Jubouri",
    }
    request = seek(
        mother,
        caseworker,
        sought_first_name_ar="",
        sought_father_name_ar="",
        sought_family_name_ar="",
        sought_birth_year=None,
        sought_age=age,
        last_known_place=place("IQG01"),
        **given,
    )

    found = find_candidates(request)

    assert [(f.person_id, f.request_id) for f in found] == (
        [(None, theirs.pk)] if theirs else [(son.pk, None)]
    )
    evidence = found[0].evidence
    text = json.dumps(evidence, ensure_ascii=False).casefold()
    household = son.household
    secrets = [
        *SON_AR.values(),
        "ابراهيم",
        "جبوري",
        "عبدالله",
        *SON_LAT.values(),
        SON_BORN.isoformat(),
        str(SON_BORN.year),
        "17/05",
        household.reference,
        *(
            getattr(p, name)
            for p in (household.camp, household.camp_section, household.camp_block)
            for name in ("name_ar", "name_en", "pcode")
        ),
        household.origin.name_ar,
        household.origin.name_en,
        household.origin.governorate.name_ar,
        household.origin.governorate.name_en,
        household.camp.governorate.name_ar,
        household.camp.governorate.name_en,
    ]
    assert [s for s in secrets if s.casefold() in text] == []
    # Every entry says only what the request gave, field by field.
    assert [e["field"] for e in evidence] == [
        "first_name",
        "father_name",
        "grandfather_name",
        "family_name",
        "sex",
        "age",
        "place",
    ]
    assert all(set(e) == {"field", "given", "inferred", "level"} for e in evidence)
    assert [e["given"] for e in evidence] == [*given.values(), "M", age, "Al-Anbar"]
