"""The households and persons API, as a client meets it: who sees what, what a write
checks, and what the audit trail records."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from rest_framework.test import APIClient

from awda.audit.models import Action, AuditEntry
from awda.cases.services import referral_accept, referral_create, referral_decline
from awda.conftest import api_client, child, head, logged_in, place, register
from awda.registry.models import Household, Person

HOUSEHOLDS = "/api/v1/households/"
PERSONS = "/api/v1/persons/"


def _household_url(household):
    return f"{HOUSEHOLDS}{household.pk}/"


def _person_url(person):
    return f"{PERSONS}{person.pk}/"


def _audit_text(entry):
    return json.dumps(entry.content(), ensure_ascii=False)


def _new_household(**overrides):
    payload = {
        "reference": "",
        "camp": "SY080006-HOL",
        "camp_section": "SY080006-HOL-P2",
        "camp_block": "SY080006-HOL-P2-B03",
        "tent": "42",
        "origin": "IQG01Q01N01",
        "nationality": "IQ",
        "members": [
            {
                "relationship": "head",
                "first_name_ar": "زينب",
                "father_name_ar": "حسن",
                "grandfather_name_ar": "علي",
                "family_name_ar": "العبيدي",
                "sex": "F",
                "date_of_birth": "1988-05-02",
                "dob_precision": "exact",
                "documents": {"national_id": "held"},
                "needs": ["WR"],
            },
            {
                "relationship": "child",
                "first_name_ar": "يوسف",
                "father_name_ar": "محمد",
                "family_name_ar": "العبيدي",
                "sex": "M",
                "date_of_birth": "2016-07-01",
                "dob_precision": "year",
                "documents": {"birth_certificate": "missing"},
            },
        ],
    }
    payload.update(overrides)
    return payload


def _new_person(household_id, **overrides):
    payload = {
        "household": household_id,
        "relationship": "spouse",
        "first_name_ar": "خالد",
        "family_name_ar": "الجبوري",
        "sex": "M",
    }
    payload.update(overrides)
    return payload


def _refer(household, by, to, kind="referral"):
    return referral_create(
        consent="given",
        by=by,
        household=household,
        receiving_organisation=to,
        kind=kind,
        service="health",
    )


# --- Listing -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_is_paginated_with_count_next_previous_and_results(caseworker):
    for number in range(3):
        register(caseworker, reference=f"A-{number}")
    client = api_client(caseworker)

    first = client.get(HOUSEHOLDS, {"page_size": 2})

    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert "page=2" in body["next"]
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert second["previous"] is not None
    shown = {h["id"] for h in body["results"]} | {h["id"] for h in second["results"]}
    assert shown == set(Household.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_an_empty_list_has_the_same_shape(caseworker):
    response = api_client(caseworker).get(HOUSEHOLDS, {"page_size": 2})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.django_db
def test_it_hides_households_of_other_organisations(household, other_caseworker):
    client = api_client(other_caseworker)

    households = client.get(HOUSEHOLDS)
    persons = client.get(PERSONS)

    assert households.status_code == persons.status_code == 200
    assert households.json()["count"] == 0
    assert households.json()["results"] == []
    assert persons.json()["count"] == 0
    assert persons.json()["results"] == []


@pytest.mark.django_db
def test_searching_another_organisations_names_finds_nothing(household, other_caseworker):
    response = api_client(other_caseworker).get(HOUSEHOLDS, {"search": "فاطمة"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.django_db
def test_the_list_shows_exactly_the_own_organisations_households(
    household, other_household, caseworker, supervisor
):
    for user in (caseworker, supervisor):
        body = api_client(user).get(HOUSEHOLDS).json()
        assert body["count"] == 1
        assert [h["id"] for h in body["results"]] == [household.pk]
        assert body["results"][0]["organisation"] == "org-a"
        assert body["results"][0]["member_count"] == 2
        assert "members" not in body["results"][0]


# --- Retrieve and update across organisations ----------------------------------------


@pytest.mark.django_db
def test_another_organisations_household_and_people_do_not_exist_for_you(
    household, other_caseworker
):
    client = api_client(other_caseworker)
    person = household.members.first()

    assert client.get(_household_url(household)).status_code == 404
    assert client.get(_person_url(person)).status_code == 404
    assert client.get(PERSONS, {"household": household.pk}).json()["count"] == 0


@pytest.mark.django_db
def test_another_organisations_household_looks_like_one_that_does_not_exist(
    household, other_caseworker
):
    client = api_client(other_caseworker)

    hidden = client.get(_household_url(household))
    missing = client.get(f"{HOUSEHOLDS}{household.pk + 1000}/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.django_db
def test_another_organisation_cannot_change_a_household_or_person(household, other_caseworker):
    client = api_client(other_caseworker)
    person = household.members.first()

    patch = client.patch(_household_url(household), {"version": 1, "tent": "1"}, format="json")
    put = client.put(_household_url(household), _new_household(version=1), format="json")
    person_patch = client.patch(
        _person_url(person), {"version": 1, "first_name_ar": "علي"}, format="json"
    )

    assert patch.status_code == put.status_code == person_patch.status_code == 404
    household.refresh_from_db()
    person.refresh_from_db()
    assert (household.tent, household.version) == ("17", 1)
    assert (person.first_name_ar, person.version) == ("فاطمة", 1)
    assert not AuditEntry.objects.filter(action=Action.UPDATE).exists()


@pytest.mark.django_db
def test_adding_a_person_to_another_organisations_household_looks_like_a_missing_one(
    household, other_caseworker
):
    client = api_client(other_caseworker)

    def add_to(household_id):
        return client.post(
            PERSONS,
            _new_person(household_id),
            format="json",
        )

    hidden = add_to(household.pk)
    missing = add_to(household.pk + 1000)

    assert hidden.status_code == missing.status_code
    assert hidden.json() == missing.json()


@pytest.mark.django_db
def test_moving_a_person_to_another_organisations_household_looks_like_a_missing_one(
    household, other_caseworker
):
    client = api_client(other_caseworker)
    person = register(other_caseworker, reference="B-0002").members.get(relationship="child")

    def move_to(household_id):
        return client.patch(
            _person_url(person), {"version": 1, "household": household_id}, format="json"
        )

    hidden = move_to(household.pk)
    missing = move_to(household.pk + 1000)

    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()


@pytest.mark.django_db
def test_another_organisation_cannot_add_a_person_to_a_household(household, other_caseworker):
    response = api_client(other_caseworker).post(
        PERSONS,
        _new_person(household.pk),
        format="json",
    )

    # the household is unknown to them: the same 400 as for an id nobody has
    assert response.status_code == 400 and "household" in response.json()
    assert household.members.count() == 2


@pytest.mark.django_db
def test_a_donor_is_refused_personal_data(household, donor):
    client = api_client(donor)
    person = household.members.first()

    responses = [
        client.get(HOUSEHOLDS),
        client.get(_household_url(household)),
        client.post(HOUSEHOLDS, _new_household(), format="json"),
        client.patch(_household_url(household), {"version": 1, "tent": "1"}, format="json"),
        client.get(PERSONS),
        client.get(_person_url(person)),
        client.post(PERSONS, {"household": household.pk, "sex": "M"}, format="json"),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert "فاطمة" not in "".join(r.content.decode() for r in responses)
    assert Household.objects.count() == 1
    assert not AuditEntry.objects.filter(actor=donor).exists()


@pytest.mark.django_db
def test_anonymous_clients_are_refused(household):
    client = APIClient()

    assert client.get(HOUSEHOLDS).status_code == 401
    assert client.get(_household_url(household)).status_code == 401
    assert client.post(HOUSEHOLDS, _new_household(), format="json").status_code == 401


# --- Referrals and transfers ---------------------------------------------------------


@pytest.mark.django_db
def test_an_accepted_referral_lets_the_receiver_read_the_household_and_its_people(
    household, caseworker, other_caseworker, org_b
):
    referral_accept(referral=_refer(household, caseworker, org_b), by=other_caseworker)
    client = api_client(other_caseworker)
    person = household.members.first()

    detail = client.get(_household_url(household))
    assert detail.status_code == 200
    assert detail.json()["organisation"] == "org-a"
    assert len(detail.json()["members"]) == 2
    assert client.get(_person_url(person)).status_code == 200
    assert client.get(HOUSEHOLDS).json()["count"] == 1
    assert client.get(PERSONS, {"household": household.pk}).json()["count"] == 2


@pytest.mark.django_db
def test_an_accepted_referral_does_not_let_the_receiver_change_anything(
    household, caseworker, other_caseworker, org_b
):
    referral_accept(referral=_refer(household, caseworker, org_b), by=other_caseworker)
    client = api_client(other_caseworker)
    person = household.members.first()

    household_patch = client.patch(
        _household_url(household), {"version": 1, "tent": "1"}, format="json"
    )
    person_patch = client.patch(
        _person_url(person), {"version": 1, "first_name_ar": "علي"}, format="json"
    )
    new_member = client.post(
        PERSONS,
        _new_person(household.pk),
        format="json",
    )

    assert household_patch.status_code == person_patch.status_code == 404
    assert new_member.status_code == 400 and "household" in new_member.json()
    household.refresh_from_db()
    assert (household.tent, household.version) == ("17", 1)
    assert household.members.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["pending", "declined"])
def test_a_referral_not_accepted_shares_nothing(
    household, caseworker, other_caseworker, org_b, answer
):
    referral = _refer(household, caseworker, org_b)
    if answer == "declined":
        referral_decline(referral=referral, by=other_caseworker)
    client = api_client(other_caseworker)

    assert client.get(_household_url(household)).status_code == 404
    assert client.get(_person_url(household.members.first())).status_code == 404
    assert client.get(HOUSEHOLDS).json()["count"] == 0
    assert client.get(PERSONS).json()["count"] == 0


@pytest.mark.django_db
def test_an_accepted_transfer_takes_the_household_away_from_the_sender(
    household, caseworker, other_caseworker, org_b
):
    referral_accept(
        referral=_refer(household, caseworker, org_b, kind="transfer"), by=other_caseworker
    )
    client = api_client(caseworker)

    assert client.get(_household_url(household)).status_code == 404
    assert client.get(_person_url(household.members.first())).status_code == 404
    assert client.get(HOUSEHOLDS).json()["count"] == 0
    patch = client.patch(_household_url(household), {"version": 2, "tent": "1"}, format="json")
    assert patch.status_code == 404


@pytest.mark.django_db
def test_an_accepted_transfer_lets_the_receiver_change_the_household(
    household, caseworker, other_caseworker, org_b
):
    referral_accept(
        referral=_refer(household, caseworker, org_b, kind="transfer"), by=other_caseworker
    )
    client = api_client(other_caseworker)
    read = client.get(_household_url(household)).json()
    assert read["organisation"] == "org-b"

    response = client.patch(
        _household_url(household), {"version": read["version"], "tent": "5"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["tent"] == "5"
    person = household.members.first()
    person_read = client.get(_person_url(person)).json()
    person_patch = client.patch(
        _person_url(person),
        {"version": person_read["version"], "first_name_ar": "علي"},
        format="json",
    )
    assert person_patch.status_code == 200


# --- Create ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_registers_a_household_with_its_members(caseworker, org_a):
    response = api_client(caseworker).post(HOUSEHOLDS, _new_household(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert household.organisation == org_a
    assert household.reference.startswith("ORG-A-")
    assert body["reference"] == household.reference
    assert body["camp"] == "SY080006-HOL"
    assert body["camp_section"] == "SY080006-HOL-P2"
    assert body["camp_block"] == "SY080006-HOL-P2-B03"
    assert body["origin"] == "IQG01Q01N01"
    assert body["member_count"] == 2
    members = {m["first_name_ar"]: m for m in body["members"]}
    assert set(members) == {"زينب", "يوسف"}
    assert members["زينب"]["relationship"] == "head"
    assert members["زينب"]["documents"] == {"national_id": "held"}
    assert members["زينب"]["needs"] == ["WR"]
    assert members["يوسف"]["documents"] == {"birth_certificate": "missing"}

    created = AuditEntry.objects.filter(action=Action.CREATE, actor=caseworker)
    assert created.filter(object_type="registry.household", object_id=str(household.pk)).exists()
    person_ids = {str(pk) for pk in household.members.values_list("pk", flat=True)}
    assert (
        set(created.filter(object_type="registry.person").values_list("object_id", flat=True))
        == person_ids
    )
    head_entry = created.get(object_type="registry.person", object_id=str(members["زينب"]["id"]))
    assert head_entry.changes["needs"] == "[changed]"
    assert head_entry.channel == "api"


@pytest.mark.django_db
def test_registering_writes_the_household_people_and_audit_entries(caseworker, org_a):
    api_client(caseworker).post(HOUSEHOLDS, _new_household(), format="json")

    household = Household.objects.get()
    assert household.organisation == org_a
    assert household.reference == f"ORG-A-{household.registered_on.year}-{household.pk:06d}"
    assert household.camp_block.pcode == "SY080006-HOL-P2-B03"
    assert household.origin.pcode == "IQG01Q01N01"
    people = {p.first_name_ar: p for p in household.members.all()}
    assert set(people) == {"زينب", "يوسف"}
    assert people["زينب"].relationship == "head"
    assert [n.code for n in people["زينب"].needs.all()] == ["WR"]
    assert {d.kind: d.status for d in people["يوسف"].documents.all()} == {
        "birth_certificate": "missing"
    }
    created = AuditEntry.objects.filter(action=Action.CREATE, actor=caseworker)
    assert created.filter(object_type="registry.household", object_id=str(household.pk)).exists()
    assert sorted(
        created.filter(object_type="registry.person").values_list("object_id", flat=True)
    ) == sorted(str(p.pk) for p in people.values())


@pytest.mark.django_db
def test_a_household_with_two_heads_is_refused_with_a_clear_message(caseworker):
    payload = _new_household()
    payload["members"][1]["relationship"] = "head"

    response = api_client(caseworker).post(
        HOUSEHOLDS, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    messages = response.json()["members"]
    assert any("exactly one head" in m and "2" in m for m in messages), messages
    assert not Household.objects.exists()
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.CREATE).exists()


@pytest.mark.django_db
def test_a_household_without_members_is_refused(caseworker):
    response = api_client(caseworker).post(
        HOUSEHOLDS, _new_household(members=[]), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "members" in response.json()
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_latin_letters_in_an_arabic_name_are_refused_naming_the_field(caseworker):
    payload = _new_household()
    payload["members"][0]["first_name_ar"] = "Zainab"

    response = api_client(caseworker).post(HOUSEHOLDS, payload, format="json")

    assert response.status_code == 400
    errors = response.json()["members"]  # by index of the member: only the bad one
    assert errors == {"0": {"first_name_ar": [errors["0"]["first_name_ar"][0]]}}
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_a_block_outside_the_section_is_refused_naming_camp_block(caseworker):
    response = api_client(caseworker).post(
        HOUSEHOLDS, _new_household(camp_block="SY080006-HOL-P1-B01"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["camp_block"]
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_an_unknown_p_code_is_refused_naming_the_field(caseworker):
    response = api_client(caseworker).post(HOUSEHOLDS, _new_household(origin="XX99"), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["origin"]


@pytest.mark.django_db
def test_a_section_is_not_accepted_as_the_camp(caseworker):
    response = api_client(caseworker).post(
        HOUSEHOLDS, _new_household(camp="SY080006-HOL-P2"), format="json"
    )

    assert response.status_code == 400
    assert "camp" in response.json()


@pytest.mark.django_db
def test_a_reference_already_used_in_the_organisation_is_refused(household, caseworker):
    response = api_client(caseworker).post(
        HOUSEHOLDS, _new_household(reference="A-0001"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reference"]
    assert Household.objects.count() == 1


# --- Update ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_update_with_the_version_read_is_saved_and_raises_the_version(household, caseworker):
    client = api_client(caseworker)

    response = client.patch(_household_url(household), {"version": 1, "tent": "99"}, format="json")

    assert response.status_code == 200
    assert response.json()["tent"] == "99"
    assert response.json()["version"] == 2
    household.refresh_from_db()
    assert (household.tent, household.version) == ("99", 2)
    entry = AuditEntry.objects.get(action=Action.UPDATE)
    assert entry.changes == {"tent": ["17", "99"]}


@pytest.mark.django_db
def test_an_update_is_saved_and_audited(household, caseworker):
    api_client(caseworker).patch(
        _household_url(household), {"version": 1, "tent": "99"}, format="json"
    )

    household.refresh_from_db()
    assert (household.tent, household.version) == ("99", 2)
    entry = AuditEntry.objects.get(action=Action.UPDATE)
    assert entry.actor == caseworker
    assert entry.object_id == str(household.pk)
    assert entry.changes == {"tent": ["17", "99"]}


@pytest.mark.django_db
def test_an_update_with_a_stale_version_is_a_conflict(household, caseworker):
    Household.objects.filter(pk=household.pk).update(version=2, tent="18")

    response = api_client(caseworker).patch(
        _household_url(household), {"version": 1, "tent": "99"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    household.refresh_from_db()
    assert (household.tent, household.version) == ("18", 2)
    assert not AuditEntry.objects.filter(action=Action.UPDATE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("version", [None, "abc"])
def test_an_update_without_a_version_is_refused(household, caseworker, version):
    payload = {"tent": "99"} if version is None else {"tent": "99", "version": version}

    response = api_client(caseworker).patch(_household_url(household), payload, format="json")

    assert response.status_code == 400
    assert "version" in response.json()
    household.refresh_from_db()
    assert (household.tent, household.version) == ("17", 1)


@pytest.mark.django_db
def test_members_cannot_be_changed_through_the_household(household, caseworker):
    response = api_client(caseworker).patch(
        _household_url(household),
        {"version": 1, "members": _new_household()["members"]},
        format="json",
    )

    assert response.status_code == 400
    assert "members" in response.json()
    assert household.members.count() == 2


@pytest.mark.django_db
def test_an_update_that_moves_the_block_out_of_the_section_is_refused(household, caseworker):
    response = api_client(caseworker).patch(
        _household_url(household),
        {"version": 1, "camp_block": "SY080006-HOL-P1-B01"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["camp_block"]
    household.refresh_from_db()
    assert household.camp_block.pcode == "SY080006-HOL-P2-B03"


# --- People ---------------------------------------------------------------------------


@pytest.fixture
def household_with_needs(caseworker):
    return register(caseworker, reference="A-0002", members=[head(), child(needs=["CR"])])


def _child_of(household):
    return household.members.get(relationship="child")


@pytest.mark.django_db
def test_a_person_patch_changes_one_field_and_keeps_the_others(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": 1, "first_name_ar": "علي"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["first_name_ar"] == "علي"
    assert body["father_name_ar"] == "خالد"
    assert body["family_name_ar"] == "الجبوري"
    assert body["date_of_birth"] == "2019-07-01"
    assert body["dob_precision"] == "year"
    assert body["documents"] == {"birth_certificate": "missing"}
    assert body["needs"] == ["CR"]
    assert body["version"] == 2


@pytest.mark.django_db
def test_a_person_patch_is_stored_and_audited_as_old_and_new(household_with_needs, caseworker):
    person = _child_of(household_with_needs)
    api_client(caseworker).patch(
        _person_url(person), {"version": 1, "first_name_ar": "علي"}, format="json"
    )

    person.refresh_from_db()
    assert person.first_name_ar == "علي"
    assert person.father_name_ar == "خالد"
    assert person.grandfather_name_ar == "أحمد"
    assert person.relationship == "child"
    assert person.dob_precision == "year"
    assert person.version == 2
    assert {d.kind: d.status for d in person.documents.all()} == {"birth_certificate": "missing"}
    assert [n.code for n in person.needs.all()] == ["CR"]
    entry = AuditEntry.objects.get(action=Action.UPDATE)
    assert entry.actor == caseworker
    assert (entry.object_type, entry.object_id) == ("registry.person", str(person.pk))
    # Names are not copied into the audit trail (it cannot be erased): only that they changed.
    assert entry.changes == {"first_name_ar": "[changed]"}


@pytest.mark.django_db
def test_a_change_of_needs_is_audited_without_the_codes(household_with_needs, caseworker):
    person = _child_of(household_with_needs)
    response = api_client(caseworker).patch(
        _person_url(person), {"version": 1, "needs": ["CR", "SV"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["needs"] == ["CR", "SV"]
    assert sorted(n.code for n in person.needs.all()) == ["CR", "SV"]
    entry = AuditEntry.objects.get(action=Action.UPDATE)
    assert entry.changes == {"needs": "[changed]"}
    text = _audit_text(entry)
    assert "SV" not in text
    assert "CR" not in text


@pytest.mark.django_db
def test_a_person_patch_with_a_stale_version_is_a_conflict(household_with_needs, caseworker):
    person = _child_of(household_with_needs)
    Person.objects.filter(pk=person.pk).update(version=2)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": 1, "first_name_ar": "علي"}, format="json"
    )

    assert response.status_code == 409
    person.refresh_from_db()
    assert person.first_name_ar == "عمر"


@pytest.mark.django_db
def test_a_person_patch_without_a_version_is_refused(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"first_name_ar": "علي"}, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.django_db
def test_a_second_head_is_refused_on_a_person_patch(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": 1, "relationship": "head"}, format="json"
    )

    assert response.status_code == 400
    person.refresh_from_db()
    assert person.relationship == "child"
    assert household_with_needs.members.filter(relationship="head").count() == 1


@pytest.mark.django_db
def test_a_second_head_is_refused_naming_the_relationship(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person),
        {"version": 1, "relationship": "head"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["relationship"]
    assert "already has a head" in response.json()["relationship"][0]


@pytest.mark.django_db
def test_adding_a_second_head_is_refused_naming_the_relationship(household, caseworker):
    response = api_client(caseworker).post(
        PERSONS,
        _new_person(household.pk, relationship="head"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["relationship"]
    assert "already has a head" in response.json()["relationship"][0]
    assert household.members.count() == 2


@pytest.mark.django_db
def test_a_boolean_is_not_accepted_as_a_person_version(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": True, "first_name_ar": "علي"}, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()
    person.refresh_from_db()
    assert person.first_name_ar == "عمر"


@pytest.mark.django_db
def test_a_boolean_is_not_accepted_as_a_household_version(household, caseworker):
    response = api_client(caseworker).patch(
        _household_url(household), {"version": True, "tent": "99"}, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()


@pytest.mark.django_db
def test_a_household_can_be_updated_with_form_data(household, caseworker):
    response = api_client(caseworker).patch(
        _household_url(household), {"version": "1", "tent": "99"}
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.django_db
def test_a_person_can_be_updated_with_form_data_like_a_household(household_with_needs, caseworker):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": "1", "first_name_ar": "علي"}
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.django_db
def test_latin_letters_in_an_arabic_name_are_refused_on_a_person_patch(
    household_with_needs, caseworker
):
    person = _child_of(household_with_needs)

    response = api_client(caseworker).patch(
        _person_url(person), {"version": 1, "family_name_ar": "Jubouri"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["family_name_ar"]


@pytest.mark.django_db
def test_a_person_joins_a_household_through_the_api(household, caseworker):
    response = api_client(caseworker).post(
        PERSONS,
        _new_person(household.pk, date_of_birth="1985-01-01"),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["dob_precision"] == "exact"
    assert household.members.count() == 3
    assert AuditEntry.objects.filter(action=Action.MEMBER_JOIN).count() == 1


# --- Audit of reads -------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_household_is_audited_with_the_request_id(household, caseworker):
    response = api_client(caseworker).get(
        _household_url(household), HTTP_X_REQUEST_ID="abcdef123456"
    )

    assert response.status_code == 200
    assert response["X-Request-ID"] == "abcdef123456"
    entry = AuditEntry.objects.get(action=Action.VIEW)
    assert entry.actor == caseworker
    assert (entry.object_type, entry.object_id) == ("registry.household", str(household.pk))
    assert entry.request_id == "abcdef123456"
    assert entry.channel == "api"


@pytest.mark.django_db
def test_opening_a_person_is_audited(household, caseworker):
    person = household.members.first()

    response = api_client(caseworker).get(_person_url(person), HTTP_X_REQUEST_ID="abcdef123456")

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=Action.VIEW)
    assert (entry.object_type, entry.object_id) == ("registry.person", str(person.pk))
    assert entry.request_id == "abcdef123456"


@pytest.mark.django_db
def test_the_request_id_is_echoed_and_a_malformed_one_replaced(caseworker):
    client = api_client(caseworker)

    given = client.get(HOUSEHOLDS, HTTP_X_REQUEST_ID="abcdef123456")
    malformed = client.get(HOUSEHOLDS, HTTP_X_REQUEST_ID="<script>")

    assert given["X-Request-ID"] == "abcdef123456"
    assert malformed["X-Request-ID"] != "<script>"
    assert len(malformed["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_a_refused_read_writes_no_view_entry(household, other_caseworker):
    api_client(other_caseworker).get(_household_url(household))

    assert not AuditEntry.objects.filter(action=Action.VIEW).exists()


@pytest.mark.django_db
def test_a_search_is_audited_as_one_list_entry_without_the_term(
    household, other_household, caseworker
):
    term = "الجبوري"

    response = api_client(caseworker).get(HOUSEHOLDS, {"search": term, "page_size": 10})

    assert response.status_code == 200
    assert [h["id"] for h in response.json()["results"]] == [household.pk]
    entry = AuditEntry.objects.get(action=Action.LIST)
    assert entry.actor == caseworker
    assert entry.details["object_type"] == "registry.household"
    assert entry.details["ids"] == [household.pk]
    assert entry.details["filters"]["searched"] is True
    assert term not in _audit_text(entry)
    assert not AuditEntry.objects.filter(action=Action.VIEW).exists()


@pytest.mark.django_db
def test_a_list_without_search_is_audited_as_not_searched(household, caseworker):
    api_client(caseworker).get(HOUSEHOLDS, {"camp": "SY080006-HOL"})

    entry = AuditEntry.objects.get(action=Action.LIST)
    assert entry.details["ids"] == [household.pk]
    assert entry.details["filters"] == {"camp": "SY080006-HOL", "searched": False}


@pytest.mark.django_db
def test_a_persons_list_is_audited_with_the_ids_shown(household, caseworker):
    response = api_client(caseworker).get(PERSONS)

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=Action.LIST)
    assert entry.details["object_type"] == "registry.person"
    assert sorted(entry.details["ids"]) == sorted(household.members.values_list("pk", flat=True))


# --- Search and filters ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_search_by_arabic_family_name_finds_the_household(household, caseworker):
    other = register(caseworker, reference="A-0002", members=[head(family_name_ar="الحسيني")])
    client = api_client(caseworker)

    def found(term):
        return [h["id"] for h in client.get(HOUSEHOLDS, {"search": term}).json()["results"]]

    assert found("الجبوري") == [household.pk]
    assert found("الحسيني") == [other.pk]
    assert found("A-0002") == [other.pk]
    assert found("القحطاني") == []


@pytest.fixture
def three_households(caseworker, other_household):
    in_hol = register(caseworker, reference="A-1")
    in_roj = register(
        caseworker,
        reference="A-2",
        camp=place("SY080300-ROJ"),
        camp_section=place("SY080300-ROJ-S1"),
        camp_block=place("SY080300-ROJ-S1-B01"),
        origin=place("SY080002"),
        nationality="SY",
    )
    Household.objects.filter(pk=in_roj.pk).update(status="eligible")
    other_block = register(
        caseworker,
        reference="A-3",
        camp_block=place("SY080006-HOL-P2-B04"),
        origin=place("IQG02Q01N01"),
    )
    return in_hol, in_roj, other_block


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"camp": "SY080006-HOL"}, {"A-1", "A-3"}),
        ({"camp": "SY080300-ROJ"}, {"A-2"}),
        ({"block": "SY080006-HOL-P2-B03"}, {"A-1"}),
        ({"governorate": "IQG01"}, {"A-1"}),
        ({"governorate": "SY08"}, {"A-2"}),
        ({"nationality": "SY"}, {"A-2"}),
        ({"nationality": "IQ"}, {"A-1", "A-3"}),
        ({"status": "eligible"}, {"A-2"}),
        ({"status": "registered", "camp": "SY080006-HOL"}, {"A-1", "A-3"}),
        ({"camp": "NO-SUCH-CAMP"}, set()),
        ({}, {"A-1", "A-2", "A-3"}),
    ],
)
def test_the_list_filters_by_p_code_and_code(three_households, caseworker, params, expected):
    response = api_client(caseworker).get(HOUSEHOLDS, params)

    assert response.status_code == 200
    assert {h["reference"] for h in response.json()["results"]} == expected


@pytest.mark.django_db
def test_filters_never_reach_another_organisations_households(three_households, other_caseworker):
    client = api_client(other_caseworker)

    response = client.get(HOUSEHOLDS, {"camp": "SY080300-ROJ", "status": "eligible"})

    assert response.json()["count"] == 0


# --- Schema and docs ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_openapi_schema_is_served_to_a_logged_in_user(caseworker):
    response = api_client(caseworker).get("/api/v1/schema/")

    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/households/" in schema
    assert "/api/v1/persons/" in schema
    assert "/api/v1/auth/token/" in schema


@pytest.mark.django_db
def test_the_openapi_schema_is_refused_to_anonymous_users():
    response = APIClient().get("/api/v1/schema/")

    assert response.status_code in (401, 403)
    assert b"/api/v1/households/" not in response.content


@pytest.mark.django_db
def test_the_api_docs_page_is_served_to_a_logged_in_user(caseworker):
    response = logged_in(caseworker).get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    policy = response["Content-Security-Policy"]  # Swagger UI writes <style>; scripts stay 'self'
    assert "script-src 'self';" in policy and "style-src 'self' 'unsafe-inline';" in policy


@pytest.mark.django_db
def test_the_api_docs_page_is_refused_to_anonymous_users():
    assert APIClient().get("/api/v1/docs/").status_code in (401, 403)


# --- Query count ----------------------------------------------------------------------


def _list_query_bound(bound_on_sqlite):
    # PostgreSQL takes one more: the audit chain's advisory lock.
    return bound_on_sqlite + (connection.vendor == "postgresql")


@pytest.mark.django_db
@pytest.mark.parametrize("households", [5, 30])
def test_listing_households_takes_a_fixed_number_of_queries(
    caseworker, django_assert_max_num_queries, households
):
    for number in range(households):
        register(caseworker, reference=f"A-{number:03d}")
    client = api_client(caseworker)

    # count, page, heads, then the audit entry: savepoint, last entry, insert, release.
    with django_assert_max_num_queries(_list_query_bound(7)):
        response = client.get(HOUSEHOLDS, {"page_size": 50})

    assert response.status_code == 200
    assert response.json()["count"] == households
    assert len(response.json()["results"]) == households


@pytest.mark.django_db
@pytest.mark.parametrize("households", [5, 30])
def test_listing_persons_takes_a_fixed_number_of_queries(
    caseworker, django_assert_max_num_queries, households
):
    for number in range(households):
        register(caseworker, reference=f"A-{number:03d}")
    client = api_client(caseworker)

    # count, page, documents, needs, then the audit entry: savepoint, last, insert, release.
    with django_assert_max_num_queries(_list_query_bound(8)):
        response = client.get(PERSONS, {"page_size": 100})

    assert response.status_code == 200
    assert response.json()["count"] == 2 * households
