"""No lost updates: two people saving the same record from the same version cannot both
win. The one who saved second is refused (409 in the API, the reconcile page on the
site), sees both versions, and applies their change again on top of the other's."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from awda.conftest import api_client, head, logged_in, place, register
from awda.registry.models import Household, Person
from awda.registry.services import (
    EditConflict,
    HouseholdData,
    PersonData,
    household_update,
    member_move,
    person_update,
)

ROUNDS = 20
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _name(prefix: str, number: int) -> str:
    """A Latin name that changes with the round (names take letters only)."""
    return prefix + LETTERS[number // 26] + LETTERS[number % 26]


@pytest.fixture
def sqlite_waits_for_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite, a statement waits while another connection holds the lock, as a file
    database does by itself (`timeout` in settings). The in-memory database of the test
    run shares one cache between its connections and answers "database table is locked"
    at once instead: the statement is tried again here until the lock is free."""
    if connection.vendor != "sqlite":
        return
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    def waiting(run: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            deadline = time.monotonic() + 20
            while True:
                try:
                    return run(*args)
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(random.uniform(0.001, 0.005))

        return wrapper

    monkeypatch.setattr(SQLiteCursorWrapper, "execute", waiting(SQLiteCursorWrapper.execute))
    monkeypatch.setattr(
        SQLiteCursorWrapper, "executemany", waiting(SQLiteCursorWrapper.executemany)
    )


def _at_once(*sends: Callable[[], Any]) -> list[Any]:
    """Run the requests in threads of their own, released together by a barrier."""
    barrier = threading.Barrier(len(sends))
    answers: list[Any] = [None] * len(sends)
    failures: list[BaseException] = []

    def run(index: int, send: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = send()
        except BaseException as error:  # handed to the test's thread below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    return answers


def _patch(client: APIClient, url: str, payload: dict[str, Any]) -> Callable[[], Any]:
    return lambda: client.patch(url, payload, format="json")


# Each client changes its own field of the record, to a value new in every round.
CHANGES: dict[str, tuple[str, Callable[[int], str], str, Callable[[int], str]]] = {
    "households": ("tent", lambda n: f"A{n}", "reference", lambda n: f"B-{n:04d}"),
    "persons": (
        "first_name_lat",
        lambda n: _name("Amin", n),
        "family_name_lat",
        lambda n: _name("Badr", n),
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["households", "persons"])
def test_two_clients_saving_one_record_at_the_same_moment_lose_no_update(
    transactional_db, sqlite_waits_for_the_lock, kind, caseworker, supervisor
):
    household = register(caseworker, reference="A-0001")
    record = household if kind == "households" else household.members.order_by("pk").first()
    url = f"/api/v1/{kind}/{record.pk}/"
    alice, sam = api_client(caseworker), api_client(supervisor)
    field_a, value_a, field_b, value_b = CHANGES[kind]
    wins = {"alice": 0, "sam": 0}

    for n in range(ROUNDS):
        read_a, read_b = alice.get(url).json(), sam.get(url).json()
        assert read_a["version"] == read_b["version"]
        mine = {"alice": {field_a: value_a(n)}, "sam": {field_b: value_b(n)}}

        answers = _at_once(
            _patch(alice, url, {"version": read_a["version"], **mine["alice"]}),
            _patch(sam, url, {"version": read_b["version"], **mine["sam"]}),
        )

        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 409], [a.content for a in answers]
        winner, loser = ("alice", "sam") if answers[0].status_code == 200 else ("sam", "alice")
        wins[winner] += 1
        conflict = answers[1 if winner == "alice" else 0].json()
        # The refused client sees both versions: the winner's change, and its own.
        assert conflict["current"]["version"] == read_a["version"] + 1
        for name, value in mine[winner].items():
            assert conflict["current"][name] == value
        assert conflict["yours"] == {"version": read_a["version"], **mine[loser]}
        # ...and applies its change again on the version now saved.
        client = alice if loser == "alice" else sam
        again = client.patch(
            url, {"version": conflict["current"]["version"], **mine[loser]}, format="json"
        )
        assert again.status_code == 200, again.content

        final = alice.get(url).json()
        assert final[field_a] == value_a(n) and final[field_b] == value_b(n)
        assert final["version"] == read_a["version"] + 2

    assert sum(wins.values()) == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_two_editors_calling_the_service_at_once_one_is_refused_as_stale(
    transactional_db: None, sqlite_waits_for_the_lock: None, caseworker: Any, supervisor: Any
) -> None:
    household = register(caseworker, reference="A-0001")
    person = household.members.get(relationship="head")
    outcomes: list[str] = []

    for n in range(ROUNDS):
        read = Person.objects.prefetch_related("documents", "needs").get(pk=person.pk)
        base = {name: getattr(read, name) for name in PersonData.__dataclass_fields__}
        base |= {"documents": {}, "needs": set()}

        def save(
            by: Any, changes: dict[str, str], read: Person = read, base: dict[str, Any] = base
        ) -> Callable[[], str]:
            def run() -> str:
                try:
                    person_update(
                        by=by,
                        person=read,
                        expected_version=read.version,
                        data=PersonData.from_mapping({**base, **changes}),
                    )
                except EditConflict:
                    return "refused"
                return "saved"

            return run

        outcomes += sorted(
            _at_once(
                save(caseworker, {"first_name_lat": _name("Amin", n)}),
                save(supervisor, {"first_name_lat": _name("Zaid", n)}),
            )
        )
        person.refresh_from_db()
        assert person.version == read.version + 1
        assert person.first_name_lat in (_name("Amin", n), _name("Zaid", n))

    assert outcomes == ["refused", "saved"] * ROUNDS


@pytest.mark.django_db
def test_the_version_is_checked_by_the_update_that_locks_the_row(caseworker, household):
    """Not read first and compared in Python: where SELECT ... FOR UPDATE locks nothing
    (SQLite), two editors could both pass such a check."""
    data = HouseholdData(
        camp=household.camp,
        camp_section=household.camp_section,
        camp_block=household.camp_block,
        nationality=household.nationality,
        tent="18",
    )
    with CaptureQueriesContext(connection) as queries:
        household_update(
            by=caseworker, household=household, expected_version=household.version, data=data
        )
    touching = [q["sql"] for q in queries if 'registry_household"' in q["sql"].split("WHERE")[0]]
    first = touching[0]
    assert first.startswith("UPDATE") and '"version" = ' in first.split("WHERE")[1], touching


# --- The edit pages ----------------------------------------------------------------------


def _english(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _household_form(household: Household, **changes: Any) -> dict[str, Any]:
    form = {
        "version": household.version,
        "reference": household.reference,
        "camp": household.camp_id,
        "camp_section": household.camp_section_id,
        "camp_block": household.camp_block_id,
        "tent": household.tent,
        "nationality": household.nationality,
        "origin_governorate": household.origin.governorate_id if household.origin else "",
        "origin": household.origin_id or "",
        "registered_on": household.registered_on.isoformat(),
    }
    return form | changes


def _someone_else_saves_the_household(by: Any, household: Household, **changes: Any) -> None:
    data = HouseholdData(
        reference=household.reference,
        camp=household.camp,
        camp_section=household.camp_section,
        camp_block=household.camp_block,
        tent=household.tent,
        nationality=household.nationality,
        origin=household.origin,
        registered_on=household.registered_on,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    household_update(by=by, household=household, expected_version=household.version, data=data)


@pytest.mark.django_db
def test_a_stale_household_edit_shows_both_values_and_keeps_the_editors(
    caseworker, supervisor, household
):
    client = _english(logged_in(caseworker))
    opened = _household_form(household)
    _someone_else_saves_the_household(supervisor, household, tent="99")

    response = client.post(f"/households/{household.pk}/edit/", opened | {"nationality": "SY"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this household" in page
    form = response.context["form"]
    assert form["nationality"].value() == "SY" and form["tent"].value() == "17"
    marked = {d.key: d.saved.shown for d in response.context["differences"]}
    assert marked == {"tent": "99", "nationality": "Iraq"}
    assert 'name="resolve-tent"' in page and 'name="resolve-nationality"' in page
    assert f'name="version" value="{household.version + 1}"' in page
    assert 'name="conflicts" value="nationality,tent"' in page
    household.refresh_from_db()
    assert (household.tent, household.nationality, household.version) == ("99", "IQ", 2)


@pytest.mark.django_db
def test_the_second_submit_saves_only_once_each_marked_value_is_chosen(
    caseworker, supervisor, household
):
    client = _english(logged_in(caseworker))
    url = f"/households/{household.pk}/edit/"
    opened = _household_form(household)
    _someone_else_saves_the_household(supervisor, household, tent="99")
    client.post(url, opened | {"nationality": "SY"})
    again = opened | {"nationality": "SY", "version": 2, "conflicts": "nationality,tent"}

    undecided = client.post(url, again | {"resolve-nationality": "mine"})
    assert undecided.status_code == 200
    assert "keep yours or take the one saved meanwhile" in undecided.content.decode()
    assert [d.key for d in undecided.context["differences"]] == ["nationality", "tent"]
    assert undecided.context["differences"][0].choice == "mine"
    household.refresh_from_db()
    assert (household.nationality, household.version) == ("IQ", 2)

    decided = client.post(url, again | {"resolve-nationality": "mine", "resolve-tent": "theirs"})
    assert decided.status_code == 302
    household.refresh_from_db()
    assert (household.tent, household.nationality, household.version) == ("99", "SY", 3)


@pytest.mark.django_db
def test_keeping_ones_own_value_overwrites_the_saved_one_deliberately(
    caseworker, supervisor, household
):
    client = _english(logged_in(caseworker))
    url = f"/households/{household.pk}/edit/"
    opened = _household_form(household)
    _someone_else_saves_the_household(supervisor, household, tent="99")
    client.post(url, opened | {"tent": "100"})

    response = client.post(
        url, opened | {"tent": "100", "version": 2, "conflicts": "tent", "resolve-tent": "mine"}
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.tent, household.version) == ("100", 3)


@pytest.mark.django_db
def test_a_third_save_meanwhile_is_refused_again_with_its_values(caseworker, supervisor, household):
    client = _english(logged_in(caseworker))
    url = f"/households/{household.pk}/edit/"
    opened = _household_form(household)
    _someone_else_saves_the_household(supervisor, household, tent="99")
    client.post(url, opened | {"tent": "100"})
    household.refresh_from_db()
    _someone_else_saves_the_household(supervisor, household, tent="101")

    response = client.post(
        url, opened | {"tent": "100", "version": 2, "conflicts": "tent", "resolve-tent": "mine"}
    )

    assert response.status_code == 200
    assert [(d.key, d.saved.shown) for d in response.context["differences"]] == [("tent", "101")]
    household.refresh_from_db()
    assert (household.tent, household.version) == ("101", 3)


@pytest.mark.django_db
def test_a_place_taken_from_the_saved_version_brings_its_governorate(
    caseworker, supervisor, household
):
    client = _english(logged_in(caseworker))
    url = f"/households/{household.pk}/edit/"
    opened = _household_form(household)
    elsewhere = place("IQG15Q05N01")
    _someone_else_saves_the_household(supervisor, household, origin=elsewhere)
    response = client.post(url, opened)
    difference = response.context["differences"][0]
    assert difference.key == "origin" and difference.saved.shown == elsewhere.name_en
    assert difference.saved.posted == {
        "origin_governorate": [str(elsewhere.governorate_id)],
        "origin": [str(elsewhere.pk)],
    }

    taken = client.post(
        url, opened | {"version": 2, "conflicts": "origin", "resolve-origin": "theirs"}
    )

    assert taken.status_code == 302
    household.refresh_from_db()
    assert (household.origin, household.version) == (elsewhere, 2)


@pytest.mark.django_db
def test_a_stale_person_edit_reconciles_names_needs_and_documents(
    caseworker, supervisor, household
):
    person = household.members.get(relationship="head")
    client = _english(logged_in(caseworker))
    url = f"/persons/{person.pk}/edit/"
    opened = {
        "version": person.version,
        "first_name_ar": person.first_name_ar,
        "father_name_ar": person.father_name_ar,
        "grandfather_name_ar": person.grandfather_name_ar,
        "family_name_ar": person.family_name_ar,
        "sex": person.sex,
        "relationship": person.relationship,
        "date_of_birth": person.date_of_birth.isoformat(),
    }
    saved = PersonData.from_mapping(
        {
            **{name: opened[name] for name in opened if name != "version"},
            "date_of_birth": person.date_of_birth,
            "dob_precision": person.dob_precision,
            "first_name_lat": "Fatima",
            "needs": {"SP"},
            "documents": {"national_id": "held"},
        }
    )
    person_update(by=supervisor, person=person, expected_version=1, data=saved)

    mine = opened | {"family_name_lat": "Al-Jubouri"}
    refused = client.post(url, mine)

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Someone else saved this person" in page
    shown = {d.key: d.saved.shown for d in refused.context["differences"]}
    assert shown == {
        "first_name_lat": "Fatima",
        "family_name_lat": "—",
        "needs": "Single parent or caregiver",
        "doc_national_id": "Held",
    }
    assert '<details class="mt-1" open>' in page
    assert refused.context["form"]["family_name_lat"].value() == "Al-Jubouri"

    choices = {
        "resolve-first_name_lat": "theirs",
        "resolve-family_name_lat": "mine",
        "resolve-needs": "theirs",
        "resolve-doc_national_id": "theirs",
    }
    marked = ",".join(shown)
    saved_again = client.post(url, mine | {"version": 2, "conflicts": marked} | choices)

    assert saved_again.status_code == 302
    person.refresh_from_db()
    assert (person.first_name_lat, person.family_name_lat) == ("Fatima", "Al-Jubouri")
    assert [n.code for n in person.needs.all()] == ["SP"]
    assert {d.kind: d.status for d in person.documents.all()} == {"national_id": "held"}
    assert person.version == 3


@pytest.mark.django_db
def test_an_estimated_age_saved_unchanged_keeps_the_date_of_birth(
    caseworker, household, monkeypatch
):
    """Taking a saved value back must give that value: an age shown as the age on the day
    would put the date of birth a year later when saved before July."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2026, 3, 10))
    person = household.members.get(relationship="head")
    Person.objects.filter(pk=person.pk).update(
        date_of_birth=date(1990, 7, 1), dob_precision="estimated"
    )
    client = logged_in(caseworker)
    form = client.get(f"/persons/{person.pk}/edit/").context["form"]
    posted = {
        name: form[name].value()
        for name in ("first_name_ar", "father_name_ar", "grandfather_name_ar", "family_name_ar")
    }
    posted |= {"sex": "F", "relationship": "head", "age": form["age"].value(), "version": 1}

    assert client.post(f"/persons/{person.pk}/edit/", posted).status_code == 302
    person.refresh_from_db()
    assert (person.date_of_birth, person.version) == (date(1990, 7, 1), 1)


@pytest.mark.django_db
def test_a_move_from_a_stale_page_is_refused_and_says_where_the_person_is_now(
    caseworker, supervisor, household
):
    cousins = register(caseworker, reference="A-0002", members=[head(first_name_ar="هدى")])
    register(caseworker, reference="A-0003", members=[head(first_name_ar="زينب")])
    boy = household.members.get(relationship="child")
    client = _english(logged_in(caseworker))
    url = f"/persons/{boy.pk}/move/"
    assert 'name="version" value="1"' in client.get(url).content.decode()
    member_move(by=supervisor, person=boy, to=cousins, relationship="nephew_niece")
    move = {"reference": "A-0003", "relationship": "grandchild", "on": "2026-11-01"}

    refused = client.post(url, move | {"version": 1})

    assert refused.status_code == 200
    assert "The person is now in: A-0002" in refused.content.decode()
    assert 'name="version" value="2"' in refused.content.decode()
    boy.refresh_from_db()
    assert (boy.household, boy.relationship) == (cousins, "nephew_niece")
    assert client.post(url, move | {"version": 2}).status_code == 302
    boy.refresh_from_db()
    assert (boy.household.reference, boy.version) == ("A-0003", 3)


@pytest.mark.django_db
def test_a_departure_recorded_on_a_stale_page_is_refused(caseworker, supervisor, household):
    boy = household.members.get(relationship="child")
    client = _english(logged_in(caseworker))
    cousins = register(caseworker, reference="A-0002", members=[head(first_name_ar="هدى")])
    member_move(by=supervisor, person=boy, to=cousins, relationship="nephew_niece")

    refused = client.post(
        f"/persons/{boy.pk}/leave/", {"reason": "separated", "on": "2026-11-20", "version": 1}
    )

    assert refused.status_code == 200
    assert "Someone else changed this person" in refused.content.decode()
    boy.refresh_from_db()
    assert boy.household == cousins


# --- The API's answer --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_patch_answers_409_with_both_versions(caseworker, supervisor, household):
    person = household.members.get(relationship="head")
    url = f"/api/v1/persons/{person.pk}/"
    read = api_client(caseworker).get(url).json()
    assert (
        api_client(supervisor)
        .patch(url, {"version": read["version"], "first_name_lat": "Fatima"}, format="json")
        .status_code
        == 200
    )

    response = api_client(caseworker).patch(
        url,
        {"version": read["version"], "family_name_lat": "Jubouri", "id": 999, "nonsense": 1},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["detail"]
    assert body["current"]["first_name_lat"] == "Fatima"
    assert body["current"]["version"] == read["version"] + 1
    assert body["current"]["id"] == person.pk
    assert body["yours"] == {"version": read["version"], "family_name_lat": "Jubouri"}
    person.refresh_from_db()
    assert person.family_name_lat == "" and person.version == read["version"] + 1


@pytest.mark.django_db
def test_a_stale_put_of_a_household_answers_409_with_both_versions(
    caseworker, supervisor, household
):
    url = f"/api/v1/households/{household.pk}/"
    read = api_client(caseworker).get(url).json()
    api_client(supervisor).patch(url, {"version": read["version"], "tent": "5"}, format="json")
    mine = {
        "version": read["version"],
        "camp": read["camp"],
        "nationality": "SY",
        "tent": read["tent"],
    }

    response = api_client(caseworker).put(url, mine, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["current"]["tent"] == "5" and body["current"]["nationality"] == "IQ"
    assert [m["id"] for m in body["current"]["members"]] == sorted(
        household.members.values_list("pk", flat=True)
    )
    assert body["yours"] == mine


@pytest.mark.django_db
def test_the_schema_documents_the_409_of_updates(caseworker):
    schema = api_client(caseworker).get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/households/{id}/", "/api/v1/persons/{id}/"):
        for method in ("put", "patch"):
            assert "409" in schema["paths"][path][method]["responses"], (path, method)
