"""The file readers: each format read into the same rows, and a corpus of malformed files
that each give a ReadError saying where and what. Every file is built here, in tmp_path,
with synthetic names."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import os
import secrets
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import translation

from awda.imports import readers
from awda.imports.readers import open_source
from awda.imports.sources import ReadError, Source

HEADERS = ["الاسم الأول", "اسم الأب", "الجنس", "تاريخ الميلاد"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def xlsx(path: Path, *sheets: tuple[str, list[list[Any]]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook with the sheets given as (title, rows); None is an empty cell."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(number, column, value)
        if title in hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)
    return path


def csv_file(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def rows_of(source: Source) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.cells) for row in source.rows]


def read_error(path: Path, **kwargs: Any) -> ReadError:
    """The ReadError from opening the file and reading every row."""
    with pytest.raises(ReadError) as caught:
        list(open_source(path, **kwargs).rows)
    return caught.value


# -- XLSX ----------------------------------------------------------------------------------


def test_it_reads_an_arabic_sheet_with_dates_numbers_and_formulas(tmp_path):
    path = xlsx(
        tmp_path / "list.xlsx",
        (
            "قائمة",
            [
                [*HEADERS, "العمر", "ملاحظات"],
                ["  سلمى ", "خالد", "أنثى", datetime.date(1990, 5, 1), 34.0, None],
                [None, None, None, None, None, None],
                [
                    "يوسف",
                    "خالد",
                    "ذكر",
                    datetime.datetime.combine(
                        datetime.date(2015, 1, 2), datetime.time(10, 30)
                    ),  # Excel: naive
                    9,
                    '=HYPERLINK("x")',
                ],
                ["سارة", "", "F", "1990", 2.5, True],
            ],
        ),
    )
    source = open_source(path)
    assert source.kind == "xlsx"
    assert source.headers == [*HEADERS, "العمر", "ملاحظات"]
    assert source.total == 4
    assert isinstance(source.rows, Iterator)
    rows = rows_of(source)
    assert [number for number, _ in rows] == [2, 4, 5]
    assert rows[0][1] == {
        "الاسم الأول": "سلمى",
        "اسم الأب": "خالد",
        "الجنس": "أنثى",
        "تاريخ الميلاد": "1990-05-01",
        "العمر": "34",
        "ملاحظات": "",
    }
    assert rows[1][1]["تاريخ الميلاد"] == "2015-01-02"
    assert rows[1][1]["ملاحظات"] == '=HYPERLINK("x")'
    assert rows[2][1]["العمر"] == "2.5"
    assert rows[2][1]["ملاحظات"] == "TRUE"


def test_it_takes_an_hxl_row_under_the_headers_and_keeps_the_files_row_numbers(tmp_path):
    path = xlsx(
        tmp_path / "hxl.xlsx",
        (
            "Sheet",
            [
                [],
                ["الاسم الأول", "المحافظة", "ملاحظة"],
                ["#affected+name+first", "#adm1 +code", None],
                ["ليلى", "SY07", "x"],
                [],
                ["منى", "SY02", ""],
            ],
        ),
    )
    source = open_source(path)
    assert source.hxl == {"الاسم الأول": "#affected+name+first", "المحافظة": "#adm1+code"}
    assert [n for n, _ in rows_of(source)] == [4, 6]


def test_a_row_of_ordinary_values_under_the_header_is_data_not_hxl(tmp_path):
    path = xlsx(tmp_path / "l.xlsx", ("S", [["tag", "name"], ["#adm1", "ليلى"]]))
    source = open_source(path)
    assert source.hxl == {}
    assert rows_of(source) == [(2, {"tag": "#adm1", "name": "ليلى"})]


def test_it_skips_hidden_and_empty_sheets(tmp_path):
    path = xlsx(
        tmp_path / "l.xlsx",
        ("Lookups", [["x"], ["1"]]),
        ("Empty", []),
        ("Data", [["الاسم الأول"], ["ليلى"]]),
        hidden=("Lookups",),
    )
    assert rows_of(open_source(path)) == [(2, {"الاسم الأول": "ليلى"})]


def test_it_recognises_a_workbook_by_its_content_whatever_its_name(tmp_path):
    path = xlsx(tmp_path / "upload.bin", ("S", [["a"], ["1"]]))
    assert open_source(path, name="").kind == "xlsx"


def test_it_reads_past_a_wrong_dimension_in_the_sheet(tmp_path):
    good = xlsx(tmp_path / "good.xlsx", ("S", [["a"], ["1"], ["2"], ["3"]]))
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:A4" />', b'<dimension ref="A1:A2" />')
                assert b'"A1:A2"' in data
            target.writestr(info, data)
    assert [n for n, _ in rows_of(open_source(bad))] == [2, 3, 4]


def test_a_submission_id_column_identifies_rows_of_a_flat_list(tmp_path):
    path = xlsx(
        tmp_path / "l.xlsx", ("S", [["first_name_ar", "submission_id"], ["ليلى", "uuid:abc"]])
    )
    [row] = open_source(path).rows
    assert row.submission_id == "abc"


# -- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_it_reads_csv_in_utf8_with_or_without_bom_and_utf16(tmp_path, encoding):
    path = csv_file(
        tmp_path / "l.csv", [HEADERS, ["ليلى", "أحمد", "أنثى", "1990-01-01"]], encoding=encoding
    )
    source = open_source(path)
    assert source.kind == "csv"
    assert source.headers == HEADERS
    assert rows_of(source) == [
        (2, dict(zip(HEADERS, ["ليلى", "أحمد", "أنثى", "1990-01-01"], strict=True)))
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_finds_the_delimiter(tmp_path, delimiter):
    path = csv_file(
        tmp_path / "l.csv", [HEADERS, ["ليلى", "أحمد, ابن", "أنثى", ""]], delimiter=delimiter
    )
    [(_number, cells)] = rows_of(open_source(path))
    assert cells["اسم الأب"] == "أحمد, ابن"


def test_a_csv_in_windows_arabic_reads_when_asked(tmp_path):
    path = csv_file(tmp_path / "l.csv", [HEADERS, ["ليلى", "أحمد", "أنثى", ""]], encoding="cp1256")
    source = open_source(path, encoding="cp1256")
    assert source.headers == HEADERS
    assert rows_of(source)[0][1]["الاسم الأول"] == "ليلى"


def test_csv_rows_keep_their_line_numbers_and_short_rows_are_padded(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        "\r\nname,camp,tent\r\n#affected+name,#loc+name,\r\nليلى,SY07,3\r\n\r\n,,\r\nمنى,SY02\r\nسارة,x,1,,\r\n",
        encoding="utf-8",
    )
    source = open_source(path)
    assert source.hxl == {"name": "#affected+name", "camp": "#loc+name"}
    assert rows_of(source) == [
        (4, {"name": "ليلى", "camp": "SY07", "tent": "3"}),
        (7, {"name": "منى", "camp": "SY02", "tent": ""}),
        (8, {"name": "سارة", "camp": "x", "tent": "1"}),
    ]


# -- Kobo JSON --------------------------------------------------------------------------------


def kobo_submissions() -> list[dict[str, Any]]:
    return [
        {
            "_id": 101,
            "_uuid": "0f6c1d2e-aaaa-4bbb-8ccc-000000000001",
            "_xform_id_string": "aK9registration",
            "_submission_time": "2025-03-01T10:00:00",
            "__version__": "v1",
            "formhub/uuid": "f1",
            "meta/instanceID": "uuid:0f6c1d2e-aaaa-4bbb-8ccc-000000000001",
            "start": "2025-03-01T09:00:00",
            "group_hh/camp": "SY0700-C01",
            "group_hh/tent": 12,
            "group_hh/note": "أولى",
            "group_other/note": "ثانية",
            "group_hh/needs": ["SC", "DS"],
            "group_hh/members": [
                {"group_hh/members/first_name_ar": "ليلى", "group_hh/members/sex": "F"},
                {"group_hh/members/first_name_ar": "خالد", "group_hh/members/sex": "M"},
            ],
            "pets": [{"pets/kind": "cat"}],
        },
        {
            "_id": 102,
            "meta/instanceID": "uuid:0f6c1d2e-aaaa-4bbb-8ccc-000000000002",
            "group_hh/camp": "SY0700-C02",
            "group_hh/tent": None,
            "group_hh/members": [],
        },
    ]


def xlsform(path: Path) -> Path:
    return xlsx(
        path,
        (
            "survey",
            [
                ["type", "name", "label::Arabic (ar)", "label::English (en)"],
                ["begin_group", "group_hh", "الأسرة", "Household"],
                ["text", "camp", "المخيم", "Camp"],
                ["integer", "tent", "الخيمة", "Tent"],
                ["begin_repeat", "members", "الأفراد", "Members"],
                ["text", "first_name_ar", "الاسم الأول", "First name"],
                ["end_repeat", None, None, None],
            ],
        ),
        ("settings", [["form_title", "form_id"], ["تسجيل", "awda_registration"]]),
    )


def test_it_reads_a_kobo_json_export_with_groups_members_and_the_forms_labels(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"count": 2, "results": kobo_submissions()}), encoding="utf-8")
    source = open_source(path, form=xlsform(tmp_path / "form.xlsx"))
    assert source.kind == "kobo-json"
    assert source.form_id == "aK9registration"  # the data's own id comes first
    assert source.total == 2
    assert source.headers == [
        "_uuid",
        "start",
        "camp",
        "tent",
        "group_hh/note",
        "group_other/note",
        "needs",
    ]
    assert source.member_headers == ["first_name_ar", "sex"]
    assert source.labels["camp"] == "المخيم"
    assert source.labels["first_name_ar"] == "الاسم الأول"
    first, second = source.rows
    assert first.number == 2
    assert first.submission_id == "0f6c1d2e-aaaa-4bbb-8ccc-000000000001"
    assert first.cells["camp"] == "SY0700-C01"
    assert first.cells["tent"] == "12"
    assert first.cells["needs"] == "SC DS"
    assert first.cells["group_other/note"] == "ثانية"
    assert [(m.number, m.sheet, m.cells) for m in first.members] == [
        (2, "members[1]", {"first_name_ar": "ليلى", "sex": "F"}),
        (2, "members[2]", {"first_name_ar": "خالد", "sex": "M"}),
    ]
    assert second.number == 3
    assert second.submission_id == "0f6c1d2e-aaaa-4bbb-8ccc-000000000002"
    assert second.cells["tent"] == ""
    assert second.members == []


def test_a_plain_list_of_submissions_reads_too_and_the_form_gives_the_form_id(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"camp": "SY0700-C01", "_uuid": "u1"}]), encoding="utf-8")
    source = open_source(path, form=xlsform(tmp_path / "form.xlsx"))
    assert source.form_id == "awda_registration"
    [row] = source.rows
    assert (row.submission_id, row.cells) == ("u1", {"camp": "SY0700-C01", "_uuid": "u1"})


# -- Kobo labelled XLSX -------------------------------------------------------------------------


def test_it_reads_a_kobo_labelled_xlsx_with_its_members_sheet(tmp_path):
    path = xlsx(
        tmp_path / "export.xlsx",
        (
            "تسجيل",
            [
                ["المخيم", "group_hh/tent", "_id", "_uuid", "_submission_time", "_index"],
                ["SY0700-C01", 12, 101, "u-1", "2025-03-01", 1],
                ["SY0700-C02", 7, 102, "u-2", "2025-03-02", 2],
            ],
        ),
        (
            "members",
            [
                ["الاسم الأول", "الجنس", "_index", "_parent_table_name", "_parent_index"],
                ["ليلى", "أنثى", 1, "تسجيل", 1],
                ["منى", "أنثى", 2, "تسجيل", 2],
                ["خالد", "ذكر", 3, "تسجيل", 1],
            ],
        ),
    )
    source = open_source(path)
    assert source.kind == "kobo-xlsx"
    assert source.headers == ["المخيم", "tent", "_uuid"]
    assert source.member_headers == ["الاسم الأول", "الجنس"]
    first, second = source.rows
    assert (first.number, first.submission_id, first.cells["tent"]) == (2, "u-1", "12")
    assert [(m.number, m.sheet, m.cells["الاسم الأول"]) for m in first.members] == [
        (2, "members", "ليلى"),
        (4, "members", "خالد"),
    ]
    assert [m.cells["الاسم الأول"] for m in second.members] == ["منى"]


# -- ODK Central zip --------------------------------------------------------------------------


def odk_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    main = [
        [
            "SubmissionDate",
            "household-camp",
            "household-tent",
            "meta-instanceID",
            "KEY",
            "SubmitterID",
            "ReviewState",
        ],
        ["2025-03-01T10:00:00Z", "SY0700-C01", "12", "uuid:a1", "uuid:a1", "5", ""],
        ["2025-03-02T10:00:00Z", "SY0700-C02", "7", "uuid:a2", "uuid:a2", "5", "approved"],
    ]
    members = [
        ["first_name_ar", "sex", "PARENT_KEY", "KEY"],
        ["ليلى", "female", "uuid:a1", "uuid:a1/members[1]"],
        ["منى", "female", "uuid:a2", "uuid:a2/members[1]"],
        ["خالد", "male", "uuid:a1", "uuid:a1/members[2]"],
    ]
    inner = [["illness", "PARENT_KEY", "KEY"], ["x", "uuid:a1/members[1]", "k"]]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in [
            ("awda_registration.csv", main),
            ("awda_registration-members.csv", members),
            ("awda_registration-members-illnesses.csv", inner),
        ]:
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            archive.writestr(name, text.getvalue().encode("utf-8"))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_it_reads_an_odk_central_zip_with_its_repeat(tmp_path):
    source = open_source(odk_zip(tmp_path / "export.zip"))
    assert source.kind == "odk-zip"
    assert source.form_id == "awda_registration"
    assert source.headers == ["camp", "tent"]
    assert source.member_headers == ["first_name_ar", "sex"]
    first, second = source.rows
    assert (first.number, first.submission_id, first.cells) == (
        2,
        "a1",
        {"camp": "SY0700-C01", "tent": "12"},
    )
    assert [(m.number, m.sheet, m.cells["first_name_ar"]) for m in first.members] == [
        (2, "awda_registration-members.csv", "ليلى"),
        (4, "awda_registration-members.csv", "خالد"),
    ]
    assert (second.submission_id, [m.cells["first_name_ar"] for m in second.members]) == (
        "a2",
        ["منى"],
    )


# -- streaming and limits -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_xlsx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("list")
    sheet.append(["الاسم الأول", "تاريخ الميلاد"])
    for n in range(50_000):
        sheet.append([f"اسم{n}", datetime.date(1990, 1, 1 + n % 28)])
    workbook.save(path)
    return path


def test_a_50000_row_workbook_streams_with_flat_memory(big_xlsx):
    tracemalloc.start()
    try:
        source = open_source(big_xlsx)
        assert isinstance(source.rows, Iterator)
        assert not isinstance(source.rows, list | tuple)
        count = last = 0
        for row in source.rows:
            count += 1
            last = row.number
            if count == 5_000:
                _current, early_peak = tracemalloc.get_traced_memory()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, last) == (50_000, 50_001)
    # Flat: the whole file takes hardly more than its first tenth (a list of the rows
    # would take ten times as much), and well under the generous bound.
    assert peak < early_peak + 8 * 2**20
    assert peak < 60 * 2**20


def test_too_many_rows_stop_at_the_row_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    path = csv_file(tmp_path / "l.csv", [["a"], ["1"], ["2"], ["3"], ["4"]])
    error = read_error(path)
    assert error.row == 5
    assert "more than 3 rows" in error.message


# -- the malformed corpus -----------------------------------------------------------------------


def test_a_windows_arabic_csv_says_to_save_it_as_utf8(tmp_path):
    path = csv_file(tmp_path / "l.csv", [HEADERS, ["ليلى", "أحمد", "أنثى", ""]], encoding="cp1256")
    error = read_error(path)
    assert error.row == 1
    assert "not UTF-8 text" in error.message
    assert "Windows Arabic" in error.message
    assert "CSV UTF-8" in error.message


def test_a_bad_byte_further_down_is_reported_on_its_line(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes("name,camp\r\nليلى,SY07\r\n".encode() + "منى,SY02\r\n".encode("cp1256"))
    error = read_error(path)
    assert error.row == 3
    assert "Windows Arabic" in error.message


def test_latin1_garbage_is_not_utf8_and_not_taken_for_arabic(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes("nom,prénom\r\nMüller,Zoë\r\n".encode("latin-1"))
    error = read_error(path)
    assert error.row == 1
    assert "not UTF-8 text" in error.message
    assert "Windows Arabic" not in error.message


def test_an_unknown_encoding_is_refused(tmp_path):
    path = csv_file(tmp_path / "l.csv", [["a"], ["1"]])
    assert "unknown encoding" in read_error(path, encoding="no-such-codec").message


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "l.dat"
    path.write_bytes(b"\x00\x01\x02garbage\x00" * 100)
    assert "not a file that can be imported" in read_error(path).message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n\r\n", b",,,\r\n"])
def test_an_empty_csv_is_refused(tmp_path, content):
    path = tmp_path / "l.csv"
    path.write_bytes(content)
    error = read_error(path)
    assert (error.row, error.message) == (1, "the file is empty")


def test_an_empty_workbook_is_refused(tmp_path):
    error = read_error(xlsx(tmp_path / "l.xlsx", ("S", [])))
    assert (error.row, error.message) == (1, "the file is empty")


def test_a_truncated_workbook_is_not_readable(tmp_path):
    good = xlsx(tmp_path / "good.xlsx", ("S", [["a"], ["1"]]))
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert read_error(path).message == "not a readable Excel workbook (.xlsx); save it as .xlsx"


def test_random_bytes_named_xlsx_are_not_a_workbook(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    assert read_error(path).message == "not a readable Excel workbook (.xlsx); save it as .xlsx"
    other = tmp_path / "upload"
    other.write_bytes(b"<html><table><tr><td>x</td></tr></table></html>")
    assert "save it as .xlsx" in read_error(other, name="list.xls").message


def test_an_old_xls_file_says_to_save_it_as_xlsx(tmp_path):
    path = tmp_path / "list.xls"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 504
        + "Workbook".encode("utf-16-le")
        + b"\0" * 2000
    )
    assert read_error(path).message == "an old .xls file: save it as .xlsx"


def test_a_password_protected_workbook_says_to_remove_the_password(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 2_000_000  # past the first chunk read
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 50
        + "EncryptedPackage".encode("utf-16-le")
    )
    assert read_error(path).message == "a password-protected workbook: remove the password"


def test_a_10mb_cell_in_a_csv_is_refused_without_its_content(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("name,note\r\nليلى,ok\r\nمنى," + "ب" * 10_000_000 + "\r\n", encoding="utf-8")
    error = read_error(path)
    assert (error.row, error.column) == (3, "note")
    assert error.message == "a cell of 10,000,000 characters; the longest allowed is 10,000"


def test_a_10mb_cell_in_a_workbook_is_refused(tmp_path):
    # Excel (and openpyxl) stop at 32,767 characters; another program may not.
    made = xlsx(tmp_path / "made.xlsx", ("S", [["name", "note"], ["ليلى", "PLACEHOLDER"]]))
    path = tmp_path / "l.xlsx"
    with (
        zipfile.ZipFile(made) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            # Random letters: ten million of the same one would be refused as a zip bomb.
            data = source.read(info).replace(b"PLACEHOLDER", secrets.token_hex(5_000_000).encode())
            target.writestr(info.filename, data)
    error = read_error(path)
    assert (error.row, error.column) == (2, "note")
    assert "10,000,000 characters" in error.message
    assert len(str(error)) < 100


def test_a_long_header_is_refused(tmp_path):
    path = csv_file(tmp_path / "l.csv", [["a", "h" * 10_001], ["1", "2"]])
    error = read_error(path)
    assert (error.row, error.column) == (1, "B")


def test_a_csv_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = csv_file(tmp_path / "l.csv", [["a", "b"], ["1", "2"], ["1", "2", "3"]])
    error = read_error(path)
    assert error.row == 3
    assert error.message == "the row has 3 cells but the header only 2"


def test_a_value_under_an_empty_header_names_the_column_letter(tmp_path):
    path = xlsx(tmp_path / "l.xlsx", ("S", [["a", None, "c"], ["1", None, "3"], ["1", "2", "3"]]))
    error = read_error(path)
    assert (error.row, error.column) == (3, "B")
    assert "without a header" in error.message


def test_duplicate_headers_are_refused(tmp_path):
    path = xlsx(
        tmp_path / "l.xlsx", ("S", [["الاسم الأول", "الجنس", "الاسم الأول"], ["a", "b", "c"]])
    )
    error = read_error(path)
    assert (error.row, error.column) == (1, "الاسم الأول")
    assert "(A and C)" in error.message


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("form.csv", "w") as member,
    ):
        for _ in range(20):
            member.write(b"\0" * 1024 * 1024)
    assert "zip bomb" in read_error(path).message


def test_a_zip_bomb_is_refused_by_its_total_size(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNZIPPED", 1024 * 1024)
    monkeypatch.setattr(readers, "MAX_RATIO", 10**9)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<" * (2 * 1024 * 1024))
    assert read_error(path).message == "the archive unpacks to more than 1 MB"


def test_a_path_out_of_the_odk_zip_is_refused(tmp_path):
    path = odk_zip(tmp_path / "export.zip", extra={"../../etc/evil.csv": b"a\r\n1\r\n"})
    assert "unsafe path" in read_error(path).message


def test_json_that_is_not_a_list_of_submissions_is_refused(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"detail": "Not found."}), encoding="utf-8")
    assert "not a Kobo export" in read_error(path).message


def test_a_submission_that_is_not_an_object_is_refused_at_its_row(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"camp": "a"}, {"camp": "b"}, "oops"]), encoding="utf-8")
    error = read_error(path)
    assert error.row == 4
    assert error.message == "the submission is not a JSON object"


def test_broken_json_says_on_which_line(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('[\n{"camp": "a"},\n{"camp": }\n]', encoding="utf-8")
    assert read_error(path).message == "not valid JSON (line 3)"


def test_a_form_that_is_not_a_workbook_is_named_in_the_error(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps([{"camp": "a"}]), encoding="utf-8")
    form = tmp_path / "form.xlsx"
    form.write_bytes(b"not a workbook")
    assert read_error(data, form=form).message.startswith("the form (XLSForm): not a readable")


def test_a_problem_in_the_members_sheet_names_the_sheet(tmp_path):
    path = xlsx(
        tmp_path / "export.xlsx",
        ("تسجيل", [["المخيم", "_uuid", "_index"], ["SY0700-C01", "u-1", 1]]),
        ("members", [["الاسم", "الاسم", "_parent_index"], ["ليلى", "x", 1]]),
    )
    error = read_error(path)
    assert (error.row, error.column) == (1, "الاسم")
    assert error.message.startswith("in members: two columns have this header")


def test_a_json_export_past_the_row_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"camp": "a"}] * 3), encoding="utf-8")
    assert read_error(path).row == 4


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
@pytest.mark.parametrize("kind", ["xlsx", "csv", "zip"])
def test_the_file_is_closed_once_its_rows_are_read_or_on_an_error(tmp_path, kind):
    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    if kind == "xlsx":
        path = xlsx(tmp_path / "l.xlsx", ("S", [["a"], ["1"], ["2", "3"]]))
    elif kind == "csv":
        path = csv_file(tmp_path / "l.csv", [["a"], ["1"], ["2", "3"]])
    else:
        path = odk_zip(tmp_path / "l.zip")
    before = open_files()
    source = open_source(path)
    assert open_files() > before
    with contextlib.suppress(ReadError):
        list(source.rows)
    assert open_files() == before


def test_a_csv_that_is_not_in_the_encoding_asked_for_says_so(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"name\r\n\xff\xfe\x00\r\n")
    error = read_error(path, encoding="utf-8")
    assert (error.row, error.message) == (2, "the file is not UTF-8 text")
