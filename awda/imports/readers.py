"""File readers: a file in, a Source out (awda/imports/sources.py), whatever the format.

`open_source` recognises the format from the content (the file name is only a hint):
- an Excel workbook (.xlsx): a flat list, or a KoboToolbox labelled export (metadata
  columns such as `_uuid`, `_index`; the repeat group in a sheet joined by `_parent_index`);
- a CSV file (UTF-8 with or without BOM, UTF-16 with BOM, or the encoding asked for);
- a KoboToolbox JSON export (API v2 `{"results": [...]}` or a list of submissions);
- an ODK Central CSV zip (`FormId.csv` and `FormId-repeat.csv`, joined by KEY/PARENT_KEY).

Rows are handed on lazily (CSV, ODK and JSON files are read as they go; a workbook's
sheet is held by calamine, about 60 MB for 50,000 rows of 25 columns); a problem found
on the way raises ReadError when its row is reached (the engine reads every row before it
writes anything). A ReadError says where and what, never the cells' content.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import itertools
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from awda.imports.sources import ReadError, Source, SourceRow

MAX_CELL = 10_000  # characters in one cell
MAX_ROWS = 200_000  # data rows in one file
MAX_UNZIPPED = 500 * 1024 * 1024  # bytes, all members of a zip (an .xlsx is a zip) together
MAX_RATIO = 200  # uncompressed / compressed size of a zip member over 1 MB: a zip bomb
# csv raises its own error past this; it is far above MAX_CELL so that our check, with its
# clear message, comes first for any cell a person could have typed or pasted.
CSV_FIELD_LIMIT = 50_000_000

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or an encrypted .xlsx
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_HXL = re.compile(r"#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*", re.IGNORECASE)
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that did not decode (surrogateescape)
_ARABIC = re.compile("[\u0600-\u06ff]")
_KOBO_IDS = ("_uuid", "meta/instanceID")
_ODK_IDS = ("meta-instanceID", "KEY")
_ODK_META = {
    "SubmissionDate",
    "KEY",
    "PARENT_KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
}


def _not_xlsx() -> str:
    return _("not a readable Excel workbook (.xlsx); save it as .xlsx")


def open_source(
    path: Path, *, form: Path | None = None, encoding: str | None = None, name: str = ""
) -> Source:
    """Open a registration list or an export; `form` is the XLSForm of a Kobo/ODK form
    (for its labels and form id), `encoding` overrides a CSV's, `name` is the uploaded
    file's name. Raises ReadError."""
    stack = ExitStack()
    try:
        source = _open(path, stack, encoding, (name or path.name).lower())
        if form is not None:
            labels, form_id = _read_form(form)
            source.labels = labels
            source.form_id = source.form_id or form_id
    except BaseException:
        stack.close()
        raise
    source.rows = _Rows(source.rows, stack)
    return source


class _Rows(Iterator[SourceRow]):
    """The rows, closing the file once they are all read, on an error, or when dropped."""

    def __init__(self, rows: Iterator[SourceRow], stack: ExitStack) -> None:
        self._rows = rows
        self._stack = stack

    def __next__(self) -> SourceRow:
        try:
            return next(self._rows)
        except BaseException:
            self._stack.close()
            raise

    def __del__(self) -> None:
        self._stack.close()


def _open(path: Path, stack: ExitStack, encoding: str | None, hint: str) -> Source:
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = Path(hint).suffix
    if not head:
        raise ReadError(_("the file is empty"), row=1)
    if head.startswith(_OLE):
        if _encrypted(path):
            raise ReadError(_("a password-protected workbook: remove the password"))
        raise ReadError(_("an old .xls file: save it as .xlsx"))
    if head.startswith(_ZIP):
        return _open_zip(path, stack, encoding, suffix)
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise ReadError(_not_xlsx())
    if suffix == ".zip":
        raise ReadError(_("not a readable zip archive; export it again"))
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if encoding is None and b"\0" in head and not utf16:
        raise ReadError(
            _(
                "not a file that can be imported: an Excel workbook (.xlsx), a CSV file, "
                "a Kobo JSON export or an ODK Central zip"
            )
        )
    if suffix == ".json" or head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] in (b"{", b"["):
        return _kobo_json(path)
    raw = stack.enter_context(path.open("rb"))
    headers, hxl, rows = _table(_csv_records(raw, head, encoding), width_is_strict=True)
    return Source(kind="csv", headers=headers, rows=_flat(rows), hxl=hxl)


def _encrypted(path: Path) -> bool:
    """An encrypted .xlsx is an OLE file holding an "EncryptedPackage" stream."""
    needle = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


# -- zip archives (.xlsx and ODK Central) ---------------------------------------------------


def _open_zip(path: Path, stack: ExitStack, encoding: str | None, suffix: str) -> Source:
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if suffix == ".zip":
            raise ReadError(_("not a readable zip archive; export it again")) from exc
        raise ReadError(_not_xlsx()) from exc
    _check_zip(archive)
    names = archive.namelist()
    if "xl/workbook.xml" in names:
        archive.close()  # openpyxl opens its own
        return _read_xlsx(path, stack)
    if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis"):
        raise ReadError(_("an OpenDocument spreadsheet (.ods): save it as .xlsx"))
    tables = [n for n in names if n.lower().endswith(".csv") and "/" not in n]
    if not tables:
        if suffix == ".zip":
            raise ReadError(_("a zip archive without CSV files: export it again from ODK Central"))
        raise ReadError(_not_xlsx())
    return _odk_zip(archive, tables, encoding)


def _check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb and paths out of the archive before anything is unpacked.
    (zipfile never unpacks more than a member's declared size, so these sizes hold.)"""
    total = 0
    for info in archive.infolist():
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ReadError(_("the archive holds a file with an unsafe path (.. or absolute)"))
        total += info.file_size
        big = info.file_size > 1024 * 1024
        if big and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadError(_("the archive is compressed too much to be genuine (a zip bomb)"))
    if total > MAX_UNZIPPED:
        raise ReadError(
            _("the archive unpacks to more than %(mb)s MB") % {"mb": MAX_UNZIPPED // 2**20}
        )


# -- tables: the header, the HXL row, the data rows -----------------------------------------

Records = Iterator[tuple[int, list[str]]]  # (row number in the file, cells as text)
Table = tuple[list[str], dict[str, str], Iterator[SourceRow]]  # headers, HXL tags, data rows


class _Empty(ReadError):
    pass


def _table(records: Records, *, width_is_strict: bool = False, sheet: str = "") -> Table:
    """The header is the first non-empty row; an HXL row may follow it. Row numbers stay
    the file's. `width_is_strict`: a CSV row may not have more cells than its header."""
    first = next(((n, v) for n, v in records if any(v)), None)
    if first is None:
        raise _Empty(_("the file is empty"), row=1)
    number, header = first
    columns: dict[int, str] = {}
    for index, value in enumerate(header):
        _check_cell(number, get_column_letter(index + 1), value)
        if not value:
            continue
        if value in columns.values():
            earlier = next(i for i, v in columns.items() if v == value)
            raise ReadError(
                _("two columns have this header (%(a)s and %(b)s): rename one")
                % {"a": get_column_letter(earlier + 1), "b": get_column_letter(index + 1)},
                row=number,
                column=value,
            )
        columns[index] = value
    hxl: dict[str, str] = {}
    below = next(records, None)
    if below is not None and below[0] == number + 1 and _is_hxl(below[1]):
        hxl = {
            name: re.sub(r"\s+", "", below[1][i]).lower()
            for i, name in columns.items()
            if i < len(below[1]) and below[1][i]
        }
        below = None
    rest = records if below is None else itertools.chain([below], records)
    width = len(header) if width_is_strict else None
    return list(columns.values()), hxl, _data_rows(rest, columns, width, sheet)


def _is_hxl(values: list[str]) -> bool:
    tags = [v for v in values if v]
    return bool(tags) and all(_HXL.fullmatch(v) for v in tags)


def _data_rows(
    records: Records, columns: dict[int, str], width: int | None, sheet: str
) -> Iterator[SourceRow]:
    count = 0
    for number, values in records:
        if not any(values):
            continue
        if width is not None and len(values) > width and any(values[width:]):
            raise ReadError(
                _("the row has %(cells)s cells but the header only %(width)s")
                % {"cells": len(values), "width": width},
                row=number,
            )
        for index, value in enumerate(values):
            if value:
                _check_cell(number, columns.get(index) or get_column_letter(index + 1), value)
                if index not in columns:
                    raise ReadError(
                        _("a value in a column without a header: give it a header or delete it"),
                        row=number,
                        column=get_column_letter(index + 1),
                    )
        count += 1
        if count > MAX_ROWS:
            raise ReadError(
                _("more than %(max)s rows: split the file") % {"max": f"{MAX_ROWS:,}"},
                row=number,
            )
        cells = {name: values[i] if i < len(values) else "" for i, name in columns.items()}
        yield SourceRow(number=number, cells=cells, sheet=sheet)


def _check_cell(row: int, column: str, value: str) -> None:
    if len(value) > MAX_CELL:
        raise ReadError(
            _("a cell of %(n)s characters; the longest allowed is %(max)s")
            % {"n": f"{len(value):,}", "max": f"{MAX_CELL:,}"},
            row=row,
            column=column,
        )
    if "\0" in value:
        raise ReadError(_("a cell with a NUL character (binary data)"), row=row, column=column)


def _flat(rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
    """A flat list's own `submission_id` column (an Awda export's) identifies its rows."""
    for row in rows:
        row.submission_id = _bare_id(row.cells.get("submission_id") or row.cells.get("_uuid", ""))
        yield row


def _bare_id(value: str) -> str:
    # ODK's instanceID is "uuid:…", Kobo's _uuid the same id without the prefix.
    return value.removeprefix("uuid:")


# -- CSV --------------------------------------------------------------------------------------


def _csv_records(raw: IO[bytes], head: bytes, encoding: str | None) -> Records:
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ReadError(_("unknown encoding")) from exc
        codec = "utf-8-sig" if codec == "utf-8" else codec
    else:
        codec = (
            "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
        )
    text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
    lines = _decoded_lines(text, codec)
    first: list[str] = []
    for line in lines:
        first.append(line)
        if line.strip(' \t\r\n,;"'):
            break
    delimiter = max(",;\t", key=lambda d: first[-1].count(d)) if first else ","
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.reader(itertools.chain(first, lines), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in record]
    except csv.Error as exc:
        if "field limit" in str(exc):
            message = _("a cell of more than %(n)s characters; the longest allowed is %(max)s") % {
                "n": f"{CSV_FIELD_LIMIT:,}",
                "max": f"{MAX_CELL:,}",
            }
        else:
            message = _("not a readable CSV file (%(error)s)") % {"error": exc}
        raise ReadError(message, row=number + 1) from exc


def _decoded_lines(text: io.TextIOWrapper, codec: str) -> Iterator[str]:
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            if _ESCAPED.search(line):
                raise ReadError(_not_text(codec, line), row=number)
            yield line
    except UnicodeDecodeError as exc:
        raise ReadError(_not_text(codec, ""), row=number + 1) from exc


def _not_text(codec: str, line: str) -> str:
    label = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(codec, codec)
    message = _("the file is not %(encoding)s text") % {"encoding": label}
    if codec == "utf-8-sig" and line:
        as_arabic = line.encode("utf-8", "surrogateescape").decode("cp1256", "replace")
        foreign = [c for c in as_arabic if ord(c) > 127]
        if sum(1 for c in foreign if _ARABIC.match(c)) * 2 > len(foreign):
            message += "; " + _(
                "it looks like Windows Arabic (cp1256): save it from Excel as “CSV UTF-8”, "
                "or choose the Windows Arabic encoding"
            )
    return message


# -- Excel workbooks ----------------------------------------------------------------------------


class _Sheet:
    """One worksheet, read with calamine (Rust: a 50,000-row sheet in about 2 s, where
    openpyxl's read-only mode takes 30 s or more). Calamine gives formulas' cached
    values; the cells that hold a formula are found in the sheet's XML and given as the
    formula's text ("=…"), so that the check refuses them as it must."""

    def __init__(
        self, workbook: Any, archive: zipfile.ZipFile, name: str, visible: bool, xml: str
    ) -> None:
        self._workbook = workbook
        self._archive = archive
        self.title = name
        self.sheet_state = "visible" if visible else "hidden"
        self._xml = xml
        self._sheet: Any = None

    def _data(self) -> Any:
        if self._sheet is None:
            try:
                self._sheet = self._workbook.get_sheet_by_name(self.title)
            except Exception as exc:  # a damaged sheet inside a readable zip
                raise ReadError(_not_xlsx(), row=1) from exc
        return self._sheet

    @property
    def max_row(self) -> int | None:
        end = self._data().end
        return int(end[0]) + 1 if end else None

    def records(self) -> Generator[tuple[int, list[str]], None, None]:
        sheet = self._data()
        # Calamine's rows count from the sheet's first row, its columns from the first
        # column that holds something.
        first_column = sheet.start[1] if sheet.start else 0
        formulas = _formulas(self._archive, self._xml)
        for number, values in enumerate(sheet.iter_rows(), start=1):
            cells = [""] * first_column + [_text(v) for v in values]
            for column, text in formulas.get(number, {}).items():
                while len(cells) <= column:
                    cells.append("")
                cells[column] = text
            yield number, cells


_CELL_WITH_FORMULA = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>(.*?)</f>)', re.DOTALL
)


def _formulas(archive: zipfile.ZipFile, xml: str) -> dict[int, dict[int, str]]:
    """Row -> column index -> "=formula" for the sheet's formula cells (none, mostly)."""
    if not xml or xml not in archive.namelist():
        return {}
    content = archive.read(xml)
    if b"<f" not in content:
        return {}
    found: dict[int, dict[int, str]] = {}
    for match in _CELL_WITH_FORMULA.finditer(content):
        letters, row, text = match.groups()
        column = 0
        for letter in letters.decode():
            column = column * 26 + ord(letter) - 64
        formula = html.unescape((text or b"").decode("utf-8", "replace"))
        found.setdefault(int(row), {})[column - 1] = "=" + formula
    return found


class _Workbook:
    def __init__(self, path: Path, stack: ExitStack) -> None:
        self.archive = stack.enter_context(zipfile.ZipFile(path))
        try:
            self._book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises many kinds on a damaged file
            raise ReadError(_not_xlsx()) from exc
        stack.callback(self._book.close)
        targets = _sheet_targets(self.archive)
        self.worksheets = [
            _Sheet(
                self._book,
                self.archive,
                meta.name,
                str(meta.visible).lower().endswith("visible"),
                targets.get(meta.name, ""),
            )
            for meta in self._book.sheets_metadata
        ]


def _sheet_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the XML member holding it (from workbook.xml and its relations)."""
    try:
        book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels)
    }
    targets |= {
        m.group(2): m.group(1)
        for m in re.finditer(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)
    }
    found = {}
    for match in re.finditer(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book):
        target = targets.get(match.group(2), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        found[html.unescape(match.group(1))] = target
    return found


def _load_workbook(path: Path, stack: ExitStack) -> _Workbook:
    return _Workbook(path, stack)


def _sheet_records(sheet: _Sheet) -> Generator[tuple[int, list[str]], None, None]:
    yield from sheet.records()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, stack: ExitStack) -> Source:
    workbook = _load_workbook(path, stack)
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue
        estimate = sheet.max_row
        try:
            headers, hxl, rows = _table(_sheet_records(sheet))
        except _Empty:
            continue
        break
    else:
        raise ReadError(_("the file is empty"), row=1)
    total = None
    if estimate is not None and estimate <= MAX_ROWS:
        total = max(estimate - 1 - bool(hxl), 0)
    if "_uuid" in headers or "_index" in headers:
        return _kobo_xlsx(workbook, sheet, headers, rows, total)
    return Source(kind="xlsx", headers=headers, rows=_flat(rows), hxl=hxl, total=total)


def _kobo_xlsx(
    workbook: Any, main: Any, headers: list[str], rows: Iterator[SourceRow], total: int | None
) -> Source:
    """A Kobo export: submissions in the first sheet, each repeat group in a sheet of its
    own whose `_parent_index` is the submission's `_index`."""
    repeats: dict[str, tuple[Any, str]] = {}  # sheet name -> (sheet, its parent table)
    for sheet in workbook.worksheets:
        if sheet is main:
            continue
        found = _first_rows(sheet, 2)
        if found and "_parent_index" in found[0]:
            parent = dict(zip(found[0], found[1], strict=False)) if len(found) > 1 else {}
            repeats[sheet.title] = (sheet, parent.get("_parent_table_name", ""))
    direct = [t for t, (_s, p) in repeats.items() if p in ("", main.title)] or list(repeats)
    names = _short_names(headers, "/", _kobo_meta)
    member_headers: list[str] = []
    members: dict[str, list[SourceRow]] = {}
    if direct:
        sheet = repeats[_pick_repeat(direct)][0]
        member_headers, members = _members(
            lambda: _table(_sheet_records(sheet), sheet=sheet.title),
            sheet.title,
            "/",
            _kobo_meta,
            "_parent_index",
        )
    join = "_index" if "_index" in headers else ""

    def submissions() -> Iterator[SourceRow]:
        for row in rows:
            submission = _renamed(row, names, _KOBO_IDS)
            submission.members = members.pop(row.cells.get(join, ""), []) if join else []
            yield submission

    return Source(
        kind="kobo-xlsx",
        headers=list(names.values()),
        rows=submissions(),
        member_headers=member_headers,
        total=total,
    )


def _first_rows(sheet: Any, count: int) -> list[list[str]]:
    found: list[list[str]] = []
    records = _sheet_records(sheet)
    for _number, values in records:
        if any(values):
            found.append(values)
            if len(found) == count:
                break
    records.close()
    return found


# -- Kobo and ODK submissions ----------------------------------------------------------------


def _kobo_meta(key: str) -> bool:
    return (key.startswith("_") and key != "_uuid") or key.startswith(("meta/", "formhub/"))


def _odk_meta(key: str) -> bool:
    return key in _ODK_META or key.startswith(("meta-", "SET-OF-"))


def _short_names(paths: Iterable[str], sep: str, is_meta: Callable[[str], bool]) -> dict[str, str]:
    """Question path -> its name without the groups ("group_hh/camp" -> "camp"), unless two
    paths end in the same name: those keep their full paths. Metadata is left out. A
    header with spaces is a label, not a path, and stays as it is."""
    kept = [p for p in dict.fromkeys(paths) if not is_meta(p)]

    def last(path: str) -> str:
        return path if re.search(r"\s", path) else path.rsplit(sep, 1)[-1]

    counts = Counter(last(p) for p in kept)
    return {p: last(p) if counts[last(p)] == 1 else p for p in kept}


def _renamed(row: SourceRow, names: dict[str, str], ids: tuple[str, ...]) -> SourceRow:
    cells = {names[h]: v for h, v in row.cells.items() if h in names}
    submission_id = next((row.cells[h] for h in ids if row.cells.get(h)), "")
    return SourceRow(row.number, cells, _bare_id(submission_id), sheet=row.sheet)


def _members(
    read: Callable[[], Table], sheet: str, sep: str, is_meta: Callable[[str], bool], parent: str
) -> tuple[list[str], dict[str, list[SourceRow]]]:
    """A repeat group's headers and rows, keyed by their `parent` cell. The repeat is read
    whole before the submissions stream: it is the smaller part, and neither Kobo nor ODK
    sort it by parent."""
    try:
        headers, _hxl, rows = read()
        names = _short_names(headers, sep, is_meta)
        found: dict[str, list[SourceRow]] = {}
        for row in rows:
            found.setdefault(row.cells.get(parent, ""), []).append(_renamed(row, names, ()))
    except ReadError as error:
        message = _("in %(sheet)s: %(problem)s") % {"sheet": sheet, "problem": error.message}
        raise ReadError(message, row=error.row, column=error.column) from error
    return list(names.values()), found


def _pick_repeat(names: list[str]) -> str:
    """The household's members when there are several repeat groups (one is read)."""
    return next((n for n in names if "member" in n.lower()), names[0])


def _kobo_json(path: Path) -> Source:
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise ReadError(_("not valid JSON (line %(line)s)") % {"line": exc.lineno}) from exc
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise ReadError(_("not valid JSON")) from exc
    submissions = data.get("results") if isinstance(data, dict) else data
    if not isinstance(submissions, list):
        raise ReadError(
            _('not a Kobo export: expected a list of submissions or {"results": [...]}')
        )
    if not submissions:
        raise ReadError(_("the export has no submissions"), row=1)
    if len(submissions) > MAX_ROWS:
        raise ReadError(
            _("more than %(max)s rows: split the file") % {"max": f"{MAX_ROWS:,}"},
            row=MAX_ROWS + 2,
        )
    keys: dict[str, None] = {}
    repeats: dict[str, dict[str, None]] = {}
    for number, submission in enumerate(submissions, start=2):
        if not isinstance(submission, dict):
            raise ReadError(_("the submission is not a JSON object"), row=number)
        for key, value in _flatten(submission):
            if _is_repeat(value):
                found = repeats.setdefault(key, {})
                for item in value:
                    found.update((k, None) for k, v in _flatten(item) if not _is_repeat(v))
            else:
                keys[key] = None
    repeat = _pick_repeat(list(repeats)) if repeats else ""
    names = _short_names((k for k in keys if k not in repeats), "/", _kobo_meta)
    member_names = _short_names(repeats.get(repeat, {}), "/", _kobo_meta)
    sheet = repeat.rsplit("/", 1)[-1]
    first = submissions[0]

    def rows() -> Iterator[SourceRow]:
        for number, submission in enumerate(submissions, start=2):
            flat = dict(_flatten(submission))
            cells = _json_cells(number, flat, names)
            submission_id = next((str(flat[k]) for k in _KOBO_IDS if flat.get(k)), "")
            row = SourceRow(number, cells, _bare_id(submission_id.strip()))
            items = flat.get(repeat) if repeat else None
            if isinstance(items, list) and _is_repeat(items):
                row.members = [
                    SourceRow(
                        number,
                        _json_cells(number, dict(_flatten(item)), member_names),
                        sheet=f"{sheet}[{index}]",
                    )
                    for index, item in enumerate(items, start=1)
                ]
            yield row

    return Source(
        kind="kobo-json",
        headers=list(names.values()),
        rows=rows(),
        member_headers=list(member_names.values()),
        form_id=str(first.get("_xform_id_string") or ""),
        total=len(submissions),
    )


def _flatten(obj: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in obj.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from _flatten(value, path)
        else:
            yield path, value


def _is_repeat(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _json_cells(number: int, flat: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    cells = dict.fromkeys(names.values(), "")
    for key, name in names.items():
        if key in flat and not _is_repeat(flat[key]):
            cells[name] = _json_text(flat[key])
            _check_cell(number, name, cells[name])
    return cells


def _json_text(value: object) -> str:
    if isinstance(value, list):  # a select_multiple as a list
        return " ".join(t for t in (_json_text(v) for v in value) if t)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return _text(value)


def _odk_zip(archive: zipfile.ZipFile, tables: list[str], encoding: str | None) -> Source:
    """ODK Central's "all data" zip: FormId.csv, and FormId-repeat.csv per repeat group
    (nested repeats as FormId-repeat-inner.csv, not read)."""
    main = min(tables, key=len)
    stem = main[:-4]
    repeats = [t for t in tables if t != main and t.startswith(stem + "-")]
    direct = [t for t in repeats if not any(t.startswith(o[:-4] + "-") for o in repeats)]

    def table(name: str) -> Table:
        with archive.open(name) as probe:
            head = probe.read(4)
        records = _csv_records(archive.open(name), head, encoding)
        return _table(records, width_is_strict=True, sheet=name if name != main else "")

    members: dict[str, list[SourceRow]] = {}
    member_headers: list[str] = []
    if direct:
        repeat = _pick_repeat(direct)
        member_headers, members = _members(
            lambda: table(repeat), repeat, "-", _odk_meta, "PARENT_KEY"
        )
    headers, hxl, rows = table(main)
    names = _short_names(headers, "-", _odk_meta)

    def submissions() -> Iterator[SourceRow]:
        for row in rows:
            submission = _renamed(row, names, _ODK_IDS)
            submission.members = members.pop(row.cells.get("KEY", ""), [])
            yield submission

    return Source(
        kind="odk-zip",
        headers=list(names.values()),
        rows=submissions(),
        member_headers=member_headers,
        hxl=hxl,
        form_id=stem,
    )


# -- the form (XLSForm) ----------------------------------------------------------------------


def _read_form(form: Path) -> tuple[dict[str, str], str]:
    """Question name -> label (the first label column), and the form id."""
    with ExitStack() as stack:
        try:
            return _form_labels(form, stack)
        except ReadError as error:
            message = _("the form (XLSForm): %(error)s") % {"error": error.message}
            raise ReadError(message, row=error.row, column=error.column) from error


def _form_labels(form: Path, stack: ExitStack) -> tuple[dict[str, str], str]:
    with form.open("rb") as handle:
        if not handle.read(4).startswith(_ZIP):
            raise ReadError(_not_xlsx())
    try:
        with zipfile.ZipFile(form) as archive:
            _check_zip(archive)
    except zipfile.BadZipFile as exc:
        raise ReadError(_not_xlsx()) from exc
    sheets = {s.title.strip().lower(): s for s in _load_workbook(form, stack).worksheets}
    labels: dict[str, str] = {}
    if "survey" in sheets:
        rows = (values for _number, values in _sheet_records(sheets["survey"]))
        header = [h.lower() for h in next(rows, [])]
        name = header.index("name") if "name" in header else -1
        label = next((i for i, h in enumerate(header) if h.split("::")[0] == "label"), -1)
        for cells in rows:
            question = cells[name] if 0 <= name < len(cells) else ""
            text = cells[label] if 0 <= label < len(cells) else ""
            if question and text:
                labels[question] = text
    form_id = ""
    if "settings" in sheets:
        found = _first_rows(sheets["settings"], 2)
        if len(found) == 2:
            settings = dict(zip([h.lower() for h in found[0]], found[1], strict=False))
            form_id = settings.get("form_id") or settings.get("id_string") or ""
    return labels, form_id
