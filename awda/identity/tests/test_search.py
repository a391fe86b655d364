"""Name search in the registry: across spellings and scripts, ranked, and only within
what the user may see."""

from __future__ import annotations

import pytest

from awda.audit.models import AuditEntry
from awda.conftest import api_client, child, head, logged_in, register
from awda.identity.selectors import person_search_for_user
from awda.registry.models import Person


@pytest.fixture
def families(caseworker):
    ibrahim = register(
        caseworker,
        reference="A-1",
        members=[
            head(
                first_name_ar="إبراهيم",
                father_name_ar="خالد",
                grandfather_name_ar="عبد الله",
                family_name_ar="الجبوري",
                sex="M",
            )
        ],
    )
    fatima = register(
        caseworker,
        reference="A-2",
        members=[head(first_name_ar="فاطمة", father_name_ar="حسين", family_name_ar="الدليمي")],
    )
    other = register(
        caseworker,
        reference="A-3",
        members=[
            head(first_name_ar="إبراهيم", father_name_ar="سعيد", family_name_ar="العبيدي", sex="M")
        ],
    )
    return ibrahim, fatima, other


def _names(caseworker, query):
    ids = person_search_for_user(caseworker, query)
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "first_name_ar"))
    families = dict(Person.objects.filter(pk__in=ids).values_list("pk", "family_name_ar"))
    return [(names[i], families[i]) for i in ids]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "ابراهيم الجبوري",
        "ابرهيم جبوري",
        "Ibrahim Al-Jubouri",
        "EBRAHEEM El Jubouri",
        "إبراهيم خالد",
    ],
)
def test_it_finds_a_person_across_spellings_and_scripts(caseworker, families, query):
    assert _names(caseworker, query)[0] == ("إبراهيم", "الجبوري")


@pytest.mark.django_db
def test_fuller_matches_rank_first(caseworker, families):
    found = _names(caseworker, "Ibrahim Jubouri")
    assert found[0] == ("إبراهيم", "الجبوري")
    assert ("إبراهيم", "العبيدي") in found[1:]
    assert ("فاطمة", "الدليمي") not in found


@pytest.mark.django_db
def test_the_search_never_shows_another_organisations_people(
    caseworker, families, other_caseworker
):
    assert person_search_for_user(other_caseworker, "ابراهيم الجبوري") == []
    response = api_client(other_caseworker).get("/api/v1/persons/", {"search": "ابراهيم"})
    assert response.json()["count"] == 0
    page = logged_in(other_caseworker).get("/households/", {"q": "Ibrahim"})
    assert list(page.context["page"].object_list) == []


@pytest.mark.django_db
def test_the_api_ranks_and_audits_without_the_term(caseworker, families):
    response = api_client(caseworker).get("/api/v1/persons/", {"search": "Fatima Dulaimi"})
    results = response.json()["results"]
    assert [r["first_name_ar"] for r in results] == ["فاطمة"]
    entry = AuditEntry.objects.filter(action="list").order_by("-seq").first()
    assert entry.details["filters"]["searched"] is True
    assert "Fatima" not in str(entry.details) and "Dulaimi" not in str(entry.details)


@pytest.mark.django_db
def test_the_household_list_finds_by_any_spelling(caseworker, families):
    ibrahim, _fatima, _other = families
    page = logged_in(caseworker).get("/households/", {"q": "Ibraheem al-Jubouri"})
    assert next(iter(page.context["page"].object_list)) == ibrahim


@pytest.mark.django_db
def test_renaming_a_person_updates_what_finds_them(caseworker, families):
    from awda.registry.services import PersonData, person_update

    fatima = Person.objects.get(first_name_ar="فاطمة")
    values = {
        f: getattr(fatima, f)
        for f in (
            "father_name_ar",
            "family_name_ar",
            "sex",
            "relationship",
            "date_of_birth",
            "dob_precision",
        )
    }
    person_update(
        by=caseworker,
        person=fatima,
        expected_version=fatima.version,
        data=PersonData.from_mapping({**values, "first_name_ar": "خديجة"}),
    )
    assert _names(caseworker, "Khadija Dulaimi")[0] == ("خديجة", "الدليمي")
    assert (
        _names(caseworker, "Fatima Dulaimi") == []
        or _names(caseworker, "Fatima Dulaimi")[0][0] != "فاطمة"
    )


@pytest.mark.django_db
def test_registering_shows_people_who_may_be_the_same(caseworker, families):
    client = logged_in(caseworker)
    response = client.get(
        "/persons/similar/",
        {
            "prefix": "members-0",
            "members-0-first_name_ar": "ابرهيم",
            "members-0-family_name_ar": "جبوري",
        },
    )
    page = response.content.decode()
    assert "إبراهيم خالد عبد الله الجبوري" in page and "A-1" in page
    empty = client.get(
        "/persons/similar/", {"prefix": "members-0", "members-0-first_name_ar": "زيد"}
    )
    assert "A-1" not in empty.content.decode()


@pytest.mark.django_db
def test_the_similar_panel_is_for_registering_users_of_the_same_organisation(
    families, other_caseworker, donor
):
    query = {"prefix": "m", "m-first_name_ar": "ابراهيم", "m-family_name_ar": "الجبوري"}
    assert "A-1" not in logged_in(other_caseworker).get("/persons/similar/", query).content.decode()
    assert logged_in(donor).get("/persons/similar/", query).status_code == 403


@pytest.mark.django_db
def test_a_name_typed_in_order_ranks_the_person_above_the_children_who_carry_it(caseworker):
    register(
        caseworker,
        reference="A-9",
        members=[
            head(
                first_name_ar="سعيد",
                father_name_ar="عبد الله",
                grandfather_name_ar="حمد",
                family_name_ar="الشمري",
                sex="M",
            ),
            child(
                first_name_ar="عمر",
                father_name_ar="سعيد",
                grandfather_name_ar="عبد الله",
                family_name_ar="الشمري",
            ),
            child(
                first_name_ar="مريم",
                father_name_ar="سعيد",
                grandfather_name_ar="عبد الله",
                family_name_ar="الشمري",
                sex="F",
            ),
        ],
    )
    assert _names(caseworker, "سعيد عبدالله شمري")[0] == ("سعيد", "الشمري")
    assert _names(caseworker, "Saeed Abdullah Al-Shammari")[0] == ("سعيد", "الشمري")
