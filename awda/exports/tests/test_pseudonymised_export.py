"""Pseudonymised exports: a stable pseudonym per person and recipient, no names, contacts,
references or exact dates of birth, no specific needs."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import override_settings
from django.utils import timezone

from awda.audit.models import Action, AuditEntry
from awda.conftest import child, head, logged_in, make_user, register
from awda.exports.pseudonyms import Pseudonyms, normalise_recipient
from awda.exports.selectors import age_group
from awda.exports.services import PSEUDONYMISED_COLUMNS
from awda.registry.models import Person


def _export(client, recipient: str, fmt: str = "csv") -> bytes:
    response = client.post("/exports/pseudonymised/", {"fmt": fmt, "recipient": recipient})
    assert response.status_code == 200
    if fmt == "xlsx":
        return response.getvalue()
    assert response.streaming
    return b"".join(response.streaming_content)


def _rows(content: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    assert tuple(reader.fieldnames or ()) == PSEUDONYMISED_COLUMNS
    return list(reader)


@pytest.fixture
def families(caseworker):
    return [
        register(
            caseworker,
            reference=f"A-000{n}",
            members=[
                head(
                    first_name_ar=first,
                    first_name_lat=latin,
                    family_name_lat="Jubouri",
                    date_of_birth=datetime.date(1985 + n, 5, 17 + n),
                    needs=["SV", "TR"],
                ),
                child(
                    first_name_ar="سلمى",
                    first_name_lat="Salma",
                    sex="F",
                    date_of_birth=datetime.date(2016, 2, 9),
                    dob_precision="exact",
                ),
            ],
        )
        for n, (first, latin) in enumerate([("زينب", "Zainab"), ("هدى", "Huda")])
    ]


def test_rows_have_the_pseudonymised_columns_only(supervisor, families):
    rows = _rows(_export(logged_in(supervisor), "UNHCR protection unit"))
    assert len(rows) == 4
    first = rows[0]
    person = families[0].members.get(relationship="head")
    assert first["pseudonym"] == Pseudonyms("UNHCR protection unit").person(person.pk)
    assert first["household_pseudonym"] == Pseudonyms("UNHCR protection unit").household(
        families[0].pk
    )
    assert first["sex"] == "F"
    assert first["year_of_birth"] == "1985"
    assert first["age_group"] == age_group(datetime.date(1985, 5, 17), timezone.localdate())
    assert first["nationality"] == "IQ"  # the household's, the person's being empty
    assert first["camp"] == "SY080006-HOL"
    assert first["origin_governorate"] == families[0].origin.governorate.pcode
    assert first["destination_governorate"] == ""
    assert first["household_status"] == "registered"
    assert first["relationship"] == "head"
    assert len(first["pseudonym"]) == 16 and first["pseudonym"].isalnum()
    assert rows[0]["household_pseudonym"] == rows[1]["household_pseudonym"]
    assert rows[0]["household_pseudonym"] != rows[2]["household_pseudonym"]


def test_no_name_reference_tent_exact_date_or_specific_need_is_in_the_file(supervisor, families):
    for fmt in ("csv", "xlsx"):
        content = _export(logged_in(supervisor), "UNHCR protection unit", fmt)
        if fmt == "xlsx":
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(content)).active
            text = "\n".join(",".join(str(v) for v in row if v is not None) for row in sheet.values)
        else:
            text = content.decode("utf-8-sig")
        people = Person.objects.filter(household__in=families)
        assert people.count() == 4
        for person in people:
            for part in (
                person.first_name_ar,
                person.father_name_ar,
                person.grandfather_name_ar,
                person.family_name_ar,
                person.first_name_lat,
                person.father_name_lat,
                person.grandfather_name_lat,
                person.family_name_lat,
            ):
                if part:
                    assert part not in text, part
            born = person.date_of_birth
            for written in (born.isoformat(), born.strftime("%d/%m/%Y"), born.strftime("%m/%d/%Y")):
                assert written not in text
        cells = {cell for line in text.splitlines() for cell in line.split(",")}
        needs = set(
            Person.objects.filter(household__in=families).values_list("needs__code", flat=True)
        )
        assert needs == {"SV", "TR", None}
        assert not cells & {"SV", "TR", "SV;TR"}
        for household in families:
            assert household.reference not in text
        assert "tent" not in text.split("\n")[0]


def test_the_pseudonym_is_stable_per_recipient_and_different_across_recipients(
    supervisor, families
):
    client = logged_in(supervisor)
    first = _rows(_export(client, "UNHCR protection unit"))
    again = _rows(_export(client, "  unhcr   PROTECTION unit "))
    other = _rows(_export(client, "Save the Children"))
    assert [r["pseudonym"] for r in first] == [r["pseudonym"] for r in again]
    assert [r["household_pseudonym"] for r in first] == [r["household_pseudonym"] for r in again]
    assert not {r["pseudonym"] for r in first} & {r["pseudonym"] for r in other}
    assert not {r["household_pseudonym"] for r in first} & {r["household_pseudonym"] for r in other}
    assert len({r["pseudonym"] for r in first}) == 4


def test_the_pseudonym_depends_on_the_secret_key():
    with override_settings(SECRET_KEY="k" * 50):
        one = Pseudonyms("UNHCR").person(7)
    with override_settings(SECRET_KEY="j" * 50):
        two = Pseudonyms("UNHCR").person(7)
    assert one != two
    assert normalise_recipient(" UNHCR\u00a0 Protection ") == "unhcr protection"


def test_it_is_audited_with_the_recipient(supervisor, families):
    _export(logged_in(supervisor), "UNHCR protection unit")
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor == supervisor
    assert entry.details == {
        "channel": "web",
        "kind": "pseudonymised",
        "format": "csv",
        "rows": 4,
        "organisation": "org-a",
        "recipient": "UNHCR protection unit",
        "left_out_for_consent": 0,
    }


def test_a_recipient_is_required(supervisor, families):
    response = logged_in(supervisor).post(
        "/exports/pseudonymised/", {"fmt": "csv", "recipient": " "}
    )
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_a_data_protection_officer_may_take_it(org_a, families):
    dpo = make_user("dora", org_a, "dpo")
    assert len(_rows(_export(logged_in(dpo), "UNHCR protection unit"))) == 4


def test_another_organisations_people_are_not_in_it(supervisor, families, other_household):
    rows = _rows(_export(logged_in(supervisor), "UNHCR protection unit"))
    ids = {Pseudonyms("UNHCR protection unit").person(p.pk) for p in other_household.members.all()}
    assert len(rows) == 4 and not ids & {r["pseudonym"] for r in rows}


@pytest.mark.parametrize("role", ["donor", "caseworker", "registrar", "admin"])
def test_roles_without_the_capability_get_403(org_a, families, role):
    user = make_user(f"user-{role}", org_a, role)
    response = logged_in(user).post("/exports/pseudonymised/", {"fmt": "csv", "recipient": "UNHCR"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_age_groups():
    today = datetime.date(2025, 6, 1)
    assert age_group(None, today) == ""
    assert age_group(datetime.date(2021, 6, 2), today) == "0-4"
    assert age_group(datetime.date(2020, 6, 1), today) == "5-11"
    assert age_group(datetime.date(2008, 6, 2), today) == "12-17"
    assert age_group(datetime.date(2007, 6, 1), today) == "18-59"
    assert age_group(datetime.date(1965, 6, 1), today) == "60+"
