from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from awda.conftest import child, head, logged_in, place, register
from awda.registry.models import Household, Membership, Person
from awda.registry.services import (
    EditConflict,
    HouseholdData,
    PersonData,
    household_update,
    member_add,
    member_leave,
    member_move,
    person_update,
)
from awda.registry.validation import check_person, date_of_birth_from


def _form(**overrides):
    data = {
        "reference": "",
        "camp": place("SY080006-HOL").pk,
        "camp_section": place("SY080006-HOL-P4").pk,
        "camp_block": place("SY080006-HOL-P4-B05").pk,
        "tent": "12B",
        "nationality": "SY",
        "origin_governorate": place("SY09").pk,
        "origin": place("SY090100").pk,
        "status": "registered",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "40",
        "members-0-first_name_ar": "خديجة",
        "members-0-father_name_ar": "عبد الله",
        "members-0-family_name_ar": "العكيدي",
        "members-0-sex": "F",
        "members-0-relationship": "head",
        "members-0-age": "34",
        "members-1-first_name_ar": "يوسف",
        "members-1-father_name_ar": "حسين",
        "members-1-family_name_ar": "العكيدي",
        "members-1-sex": "M",
        "members-1-relationship": "child",
        "members-1-date_of_birth": "2020-02-29",
        "members-1-doc_birth_certificate": "missing",
        "members-1-needs": ["SC"],
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_caseworker_registers_a_household_with_its_members_on_one_form(caseworker):
    response = logged_in(caseworker).post("/households/new/", _form())
    assert response.status_code == 302, response.context["form"].errors
    household = Household.objects.get()
    assert household.reference.startswith("ORG-A-")
    assert household.camp_block.pcode == "SY080006-HOL-P4-B05"
    assert household.origin.pcode == "SY090100"
    mother = household.members.get(relationship="head")
    assert mother.full_name_ar == "خديجة عبد الله العكيدي"
    assert mother.dob_precision == "estimated"
    son = household.members.get(relationship="child")
    assert son.date_of_birth == datetime.date(2020, 2, 29) and son.dob_precision == "exact"
    assert son.documents.get().status == "missing"
    assert list(son.needs.values_list("code", flat=True)) == ["SC"]
    assert Membership.objects.filter(household=household, ended_on__isnull=True).count() == 2


@pytest.mark.django_db
def test_the_form_explains_mistakes_in_arabic_and_keeps_what_was_typed(caseworker):
    bad = _form(**{"members-1-first_name_ar": "Yusuf", "members-1-relationship": "head"})
    bad["camp_block"] = place("SY080006-HOL-P1-B01").pk
    response = logged_in(caseworker).post("/households/new/", bad)
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("ar"):
        in_arabic = translation.gettext("Write this name in Arabic letters only.")
    assert in_arabic != "Write this name in Arabic letters only."  # the catalogue has it
    assert in_arabic in page
    assert "Yusuf" in page and "خديجة" in page
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_english_users_get_the_same_messages_in_english(caseworker):
    client = logged_in(caseworker)
    client.cookies["django_language"] = "en"
    bad = _form(**{"members-1-relationship": "head"})
    page = client.post("/households/new/", bad).content.decode()
    assert "A household needs exactly one head; this one has 2." in page


def test_name_rules():
    ok = {"first_name_ar": "عبد الرحمن", "father_name_ar": "إبراهيم", "sex": "M"}
    assert check_person(ok) == {}
    with translation.override("en"):
        errors = check_person({"first_name_ar": "Ahmad", "first_name_lat": "أحمد", "sex": "X"})
    assert errors["first_name_ar"] == ["Write this name in Arabic letters only."]
    assert errors["first_name_lat"] == ["Write this name in Latin letters only."]
    assert "sex" in errors and "father_name_ar" in errors
    assert (
        check_person({"first_name_lat": "Sa'id", "family_name_lat": "Al-Hassan", "sex": "M"}) == {}
    )


def test_dates_of_birth_keep_their_precision():
    today = datetime.date(2026, 11, 29)
    assert date_of_birth_from(exact=None, year=2001, age=None, today=today) == (
        datetime.date(2001, 7, 1),
        "year",
    )
    assert date_of_birth_from(exact=None, year=None, age=7, today=today) == (
        datetime.date(2019, 7, 1),
        "estimated",
    )
    assert date_of_birth_from(exact=None, year=None, age=0, today=datetime.date(2026, 1, 5))[0] == (
        datetime.date(2026, 1, 5)
    )
    errors = check_person(
        {
            "first_name_ar": "علي",
            "father_name_ar": "حسن",
            "sex": "M",
            "date_of_birth": today + datetime.timedelta(days=1),
            "dob_precision": "exact",
        },
        today=today,
    )
    assert "date_of_birth" in errors


@pytest.mark.django_db
def test_two_people_editing_at_once_cannot_overwrite_each_other(caseworker, supervisor, household):
    person = household.members.get(relationship="head")
    opened_version = person.version
    base = {
        f: getattr(person, f)
        for f in ("first_name_ar", "father_name_ar", "family_name_ar", "sex", "relationship")
    }
    person_update(
        by=supervisor,
        person=person,
        expected_version=opened_version,
        data=PersonData.from_mapping({**base, "first_name_ar": "فاطمه"}),
    )
    with pytest.raises(EditConflict):
        person_update(
            by=caseworker,
            person=person,
            expected_version=opened_version,
            data=PersonData.from_mapping({**base, "first_name_ar": "فطومة"}),
        )
    person.refresh_from_db()
    assert person.first_name_ar == "فاطمه" and person.version == opened_version + 1


@pytest.mark.django_db
def test_the_edit_page_shows_the_second_editor_the_value_saved_meanwhile(caseworker, household):
    client = logged_in(caseworker)
    client.cookies["django_language"] = "en"
    form = {
        "version": household.version,
        "reference": household.reference,
        "camp": household.camp_id,
        "camp_section": household.camp_section_id,
        "camp_block": household.camp_block_id,
        "tent": "99",
        "nationality": "IQ",
        "status": "registered",
    }
    assert client.post(f"/households/{household.pk}/edit/", form).status_code == 302
    response = client.post(f"/households/{household.pk}/edit/", {**form, "tent": "100"})
    assert response.status_code == 200
    assert "Someone else saved this household" in str(response.context["form"].non_field_errors())
    assert [(d.key, d.saved.shown) for d in response.context["differences"]] == [("tent", "99")]
    household.refresh_from_db()
    assert household.tent == "99"


@pytest.mark.django_db
def test_household_update_checks_the_camp_address(caseworker, household):
    data = HouseholdData(
        camp=place("SY080300-ROJ"), camp_section=place("SY080006-HOL-P1"), nationality="FR"
    )
    with pytest.raises(ValidationError) as error:
        household_update(
            by=caseworker, household=household, expected_version=household.version, data=data
        )
    assert "camp_section" in error.value.message_dict


@pytest.mark.django_db
def test_members_join_leave_and_move_with_history(caseworker, household):
    other = register(caseworker, reference="A-0002", members=[head(first_name_ar="زينب")])
    baby = member_add(
        by=caseworker,
        household=household,
        data=child(first_name_ar="آمنة", sex="F", relationship="child"),
    )
    assert baby.household == household and household.members.count() == 3
    member_move(by=caseworker, person=baby, to=other, relationship="grandchild")
    baby.refresh_from_db()
    assert baby.household == other and baby.relationship == "grandchild"
    history = list(
        baby.memberships.order_by("id").values_list("household__reference", "end_reason")
    )
    assert history == [("A-0001", "moved"), ("A-0002", "")]
    member_leave(by=caseworker, person=baby, reason="separated")
    baby.refresh_from_db()
    assert baby.household is None
    assert baby.memberships.filter(ended_on__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_head_cannot_leave_while_others_remain_and_a_second_head_is_refused(
    caseworker, household
):
    mother = household.members.get(relationship="head")
    with pytest.raises(ValidationError):
        member_leave(by=caseworker, person=mother, reason="left")
    with pytest.raises(ValidationError):
        member_add(by=caseworker, household=household, data=head(first_name_ar="سارة"))
    assert Person.objects.filter(household=household, relationship="head").count() == 1


@pytest.mark.django_db
def test_people_cannot_move_to_another_organisations_household(
    caseworker, household, other_household
):
    person = household.members.get(relationship="child")
    with pytest.raises(ValidationError):
        member_move(by=caseworker, person=person, to=other_household, relationship="child")


@pytest.mark.django_db
def test_roles_without_registration_rights_cannot_register(org_a):
    from django.core.exceptions import PermissionDenied

    from awda.conftest import make_user

    mhpss = make_user("mona", org_a, "mhpss")
    with pytest.raises(PermissionDenied):
        register(mhpss, reference="X-1")
    assert logged_in(mhpss).get("/households/new/").status_code == 403


@pytest.mark.django_db
def test_the_register_form_adds_member_rows_on_demand(caseworker):
    response = logged_in(caseworker).get(
        "/households/new/member-row/", {"members-TOTAL_FORMS": "2"}
    )
    page = response.content.decode()
    assert 'name="members-2-first_name_ar"' in page
    assert 'name="members-TOTAL_FORMS" value="3"' in page


@pytest.mark.django_db
def test_choosing_a_governorate_offers_its_subdistricts(caseworker):
    response = logged_in(caseworker).get(
        "/places/subdistricts/", {"origin_governorate": place("IQG01").pk}
    )
    page = response.content.decode()
    assert "العامرية" in page and "الهول" not in page


@pytest.mark.django_db
def test_a_caseworker_moves_a_child_and_records_a_departure_from_the_pages(caseworker, household):
    other = register(caseworker, reference="A-0002", members=[head(first_name_ar="هدى")])
    client = logged_in(caseworker)
    boy = household.members.get(relationship="child")
    response = client.post(
        f"/persons/{boy.pk}/move/",
        {"reference": "A-0002", "relationship": "nephew_niece", "on": "2026-11-01"},
    )
    assert response.status_code == 302 and response["Location"] == f"/households/{other.pk}/"
    boy.refresh_from_db()
    assert boy.household == other and boy.relationship == "nephew_niece"
    response = client.post(f"/persons/{boy.pk}/leave/", {"reason": "separated", "on": "2026-11-20"})
    assert response.status_code == 302
    boy.refresh_from_db()
    assert boy.household is None
    page = client.get(f"/persons/{boy.pk}/").content.decode()
    assert "A-0001" in page and "A-0002" in page and "2026-11-20" in page


@pytest.mark.django_db
def test_moving_to_an_unknown_reference_says_so(caseworker, household, other_household):
    boy = household.members.get(relationship="child")
    response = logged_in(caseworker).post(
        f"/persons/{boy.pk}/move/",
        {"reference": "B-0001", "relationship": "child", "on": "2026-11-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reference"]
    boy.refresh_from_db()
    assert boy.household == household


@pytest.mark.django_db
def test_editing_a_person_from_the_page_saves_documents_and_needs(caseworker, household):
    mother = household.members.get(relationship="head")
    client = logged_in(caseworker)
    form = client.get(f"/persons/{mother.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, [])}
    data.update(
        {
            "version": mother.version,
            "family_name_lat": "Al-Jubouri",
            "doc_national_id": "held",
            "needs": ["WR"],
        }
    )
    response = client.post(f"/persons/{mother.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    mother.refresh_from_db()
    assert mother.family_name_lat == "Al-Jubouri"
    assert list(mother.documents.values_list("kind", "status")) == [("national_id", "held")]
    assert list(mother.needs.values_list("code", flat=True)) == ["WR"]
    assert mother.dob_precision == "exact"
