"""`awda export persons` writes a file that `awda import` accepts back as is (issue 6,
part 5): exported from organisation A, checked and imported into organisation B."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from awda.conftest import child, head, make_user, place, register
from awda.identity.models import NameKey
from awda.registry.models import Person


def test_the_exported_csv_imports_back_into_another_organisation(caseworker, org_b, tmp_path: Path):
    register(
        caseworker,
        reference="A-0001",
        members=[
            head(first_name_lat="Fatima", family_name_lat="Jubouri", needs=["WR"]),
            child(documents={"birth_certificate": "missing", "family_booklet": "held"}),
        ],
        destination=place("SY020000"),
    )
    register(
        caseworker,
        reference="A-0002",
        members=[head(first_name_ar="زينب", sex="F")],
        nationality="SY",
    )
    output = tmp_path / "people.csv"
    call_command(
        "export", "persons", "--org", "org-a", "--output", str(output), stdout=io.StringIO()
    )
    # As if the file went to another Awda: A's people no longer look like the file's (the
    # import would rightly flag each row as a possible duplicate of A's registration).
    Person.objects.filter(organisation=caseworker.organisation).update(
        first_name_ar="غائب",
        father_name_ar="",
        grandfather_name_ar="",
        family_name_ar="غائب",
        first_name_lat="",
        father_name_lat="",
        grandfather_name_lat="",
        family_name_lat="",
        date_of_birth=None,
        dob_precision="",
    )
    NameKey.objects.filter(person__organisation=caseworker.organisation).delete()
    registrar = make_user("rita", org_b, "registrar")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import",
            str(output),
            "--dry-run",
            "--org",
            "org-b",
            "--user",
            registrar.username,
            stdout=out,
            stderr=err,
        )
    except SystemExit as exit_:
        pytest.fail(f"dry run exit {exit_.code}: {out.getvalue()} {err.getvalue()}")
    assert out.getvalue() == "", out.getvalue()
    call_command(
        "import",
        str(output),
        "--org",
        "org-b",
        "--user",
        registrar.username,
        stdout=out,
        stderr=err,
    )
    exported = list(csv.DictReader(io.StringIO(output.read_bytes().decode("utf-8-sig"))))
    call_command(
        "export",
        "persons",
        "--org",
        "org-b",
        "--output",
        str(tmp_path / "b.csv"),
        stdout=io.StringIO(),
    )
    again = list(csv.DictReader(io.StringIO((tmp_path / "b.csv").read_bytes().decode("utf-8-sig"))))
    assert Person.objects.filter(organisation=org_b).count() == 3
    assert again == exported  # every column, the registration date included
