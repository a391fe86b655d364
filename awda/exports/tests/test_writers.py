"""The writers: formula neutralisation, CSV chunks, XLSX cells."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from awda.exports.writers import CHUNK, csv_chunks, neutralise, write_xlsx


def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'):
        assert neutralise(value) == "'" + value
    for value in ("SY080006-HOL", "2019-07-01", "فاطمة", "#adm1+code", "", "a=b", " =1"):
        assert neutralise(value) == value
    assert neutralise(5) == 5 and neutralise(None) is None


def test_csv_chunks_are_about_the_chunk_size_and_read_back():
    rows = [[str(n), "فاطمة", "=cmd"] for n in range(20000)]
    chunks = list(csv_chunks(["n", "name", "x"], rows, hxl=["#x", "#y", "#z"]))
    assert len(chunks) > 5
    assert all(len(c) < CHUNK * 2 for c in chunks)
    text = b"".join(chunks).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == ["n", "name", "x"] and read[1] == ["#x", "#y", "#z"]
    assert read[2] == ["0", "فاطمة", "'=cmd"] and len(read) == 20002


def test_an_empty_cell_is_written_empty_and_without_a_bom_on_request():
    text = b"".join(csv_chunks(["a", "b"], [[None, 0]], bom=False)).decode()
    assert text == "a,b\r\n,0\r\n"


def test_xlsx_cells_are_text_without_control_characters():
    target = io.BytesIO()
    write_xlsx(target, ["a", "b"], [["=1+1", "bad\x00\x07name"], ["ok", 3]], hxl=["#a", "#b"])
    rows = list(load_workbook(io.BytesIO(target.getvalue())).active.values)
    assert rows == [("a", "b"), ("#a", "#b"), ("'=1+1", "badname"), ("ok", 3)]
