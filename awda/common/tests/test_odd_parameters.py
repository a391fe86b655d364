"""Odd values in query strings, forms and API bodies get a 400 or are ignored, never a
server error. Found by the fuzzing (test_schemathesis.py) and then looked for on every
page that reads a number from a request:

- `int(v) if v.isdigit()`: isdigit() takes "²", which int() refuses;
- a number beyond 64 bits: SQLite refuses it in a query (a foreign key's filter);
- a NUL character: PostgreSQL refuses it in text (a place's P-code, a search)."""

from __future__ import annotations

from typing import Any

import pytest

from awda.common.numbers import MAX_ID, whole_number
from awda.common.tests.world import World, world_fixture  # noqa: F401 (the fixture)
from awda.conftest import api_client, logged_in

ODD = ["²", "9" * 20, "-3", "1e3", " 7"]


def test_a_whole_number_is_decimal_digits_within_a_database_id():
    assert whole_number("42") == 42
    assert whole_number("٤٢") == 42  # Arabic-Indic digits, as typed on an Arabic keyboard
    assert whole_number(42) == 42
    assert whole_number(str(MAX_ID)) == MAX_ID
    for odd in [*ODD, "", None, str(MAX_ID + 1), True, 4.0, "4.0"]:
        assert whole_number(odd) is None, odd
    assert whole_number("601", maximum=600) is None


def _pages(world: World) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, {field: "{}"}) for every page that reads a number from a request."""
    case, movement = world["case"].pk, world["movement"].pk
    tracing, home = world["tracing_request"].pk, world["home_household"].pk
    return [
        ("get", "/households/", {"camp": "{}"}),
        ("get", "/households/", {"block": "{}"}),
        ("get", "/households/", {"governorate": "{}"}),
        ("get", "/households/new/member-row/", {"members-TOTAL_FORMS": "{}"}),
        ("get", "/places/subdistricts/", {"governorate": "{}"}),
        ("get", "/returns/", {"camp": "{}"}),
        ("get", "/returns/", {"governorate": "{}"}),
        ("get", "/community/actors/", {"governorate": "{}"}),
        ("get", "/community/actors/", {"place": "{}"}),
        ("get", "/community/places/", {"place": "{}"}),
        ("get", "/community/places/", {"governorate": "{}"}),
        ("get", "/community/places/subdistricts/", {"governorate": "{}"}),
        ("get", "/community/activities/", {"governorate": "{}"}),
        ("post", f"/cases/{case}/step/", {"action": "move", "to": "assessment", "version": "{}"}),
        ("post", f"/cases/{case}/step/", {"action": "assign", "assigned_to": "{}"}),
        ("post", f"/tracing/{tracing}/outcome/", {"outcome": "closed", "version": "{}"}),
        ("post", f"/returns/movements/{movement}/households/", {"household": "{}"}),
        (
            "post",
            f"/returns/movements/{movement}/departure/",
            {"no_show": "{}", "departed_on": "2020-01-01", "version": "{}"},
        ),
        ("post", f"/reintegration/households/{home}/", {"instrument_id": "{}"}),
    ]


@pytest.mark.django_db
def test_no_page_fails_on_an_odd_number(world: World):
    supervisor = logged_in(world.user("supervisor", "a"))
    for method, path, fields in _pages(world):
        for odd in ODD:
            data = {name: value.format(odd) for name, value in fields.items()}
            response = getattr(supervisor, method)(path, data)
            assert response.status_code < 500, (path, data)
    admin = logged_in(world.user("admin", "a"))
    for odd in ODD:
        assert admin.get("/returns/checklists/", {"item": odd}).status_code == 200
    mhpss = logged_in(world.user("mhpss", "a"))
    session = {"record": "session", "kind": "individual", "held_on": "2020-01-01"}
    for odd in ODD:
        response = mhpss.post(f"/persons/{world['person'].pk}/mhpss/", {**session, "minutes": odd})
        assert response.status_code == 200  # the form again, saying what is wrong


@pytest.mark.django_db
def test_no_api_filter_fails_on_an_odd_number(world: World):
    caseworker = api_client(world.user("caseworker", "a"))
    filters = [
        ("/api/v1/community-actors/", "governorate"),
        ("/api/v1/community-actors/", "place"),
        ("/api/v1/sponsorships/", "household"),
        ("/api/v1/follow-ups/", "household"),
        ("/api/v1/surveys/", "household"),
        ("/api/v1/intentions/", "household"),
        ("/api/v1/consents/", "person"),
        ("/api/v1/assessments/", "case"),
        ("/api/v1/persons/", "household"),
    ]
    for path, name in filters:
        for odd in ODD:
            response = caseworker.get(path, {name: odd})
            assert response.status_code in (200, 400), (path, name, odd)
    supervisor = api_client(world.user("supervisor", "a"))
    for odd in ODD:
        assert supervisor.get("/api/v1/screenings/", {"person": odd}).status_code == 200


def _nul_requests(world: World) -> list[tuple[Any, str, str, dict[str, Any], str]]:
    """(client, method, path, data, format) carrying a NUL character."""
    household = world["household"]
    page = logged_in(world.user("caseworker", "a"))
    api = api_client(world.user("caseworker", "a"))
    change = {"version": household.version, "origin": "SY\x0009"}
    return [
        (page, "get", "/households/", {"search": "ab\x00"}, ""),
        (page, "post", f"/households/{household.pk}/edit/", {"tent": "1\x00"}, ""),
        (api, "get", "/api/v1/households/", {"camp": "SY\x00"}, ""),
        (api, "get", "/api/v1/persons/", {"search": "\x00"}, ""),
        (api, "patch", f"/api/v1/households/{household.pk}/", change, "json"),
        (api, "patch", f"/api/v1/households/{household.pk}/", change, "multipart"),
        (api, "post", "/api/v1/consents/", {"person_id": 1, "note": {"\x00": 1}}, "json"),
    ]


@pytest.mark.django_db
def test_a_nul_character_anywhere_is_refused_with_400(world: World):
    for client, method, path, data, format_ in _nul_requests(world):
        send = getattr(client, method)
        response = send(path, data, format=format_) if format_ else send(path, data)
        assert response.status_code == 400, (method, path, data, format_)
        if path.startswith("/api/"):
            assert "NUL" in response.json()["detail"]
