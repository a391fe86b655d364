"""Writing rows out: CSV (streamed in chunks), XLSX (openpyxl's write-only mode) and ZIP
archives encrypted with AES-256 (pyzipper). Memory stays flat whatever the number of rows:
nothing here holds more than one chunk of text.

Every cell a person typed goes through `neutralise`: a spreadsheet takes a cell starting
with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)` sends the reader's data to a
stranger), and hides or shifts one starting with a tab or carriage return. Such a cell
is written with a leading apostrophe, which spreadsheets show as text. Nothing in the
person-level layout legitimately starts with one of them (P-codes, ISO dates, codes);
HXL hashtags start with `#`, which is harmless.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text is handed on in pieces of about this size (a streamed response, a file, a ZIP member).
CHUNK = 64 * 1024
# The most rows a worksheet holds (Excel's limit), the header row(s) included.
XLSX_MAX_ROWS = 1_048_576


def neutralise(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    hxl: Sequence[str] | None = None,
    bom: bool = True,
) -> Iterator[bytes]:
    """The CSV file as UTF-8 bytes, in chunks of about CHUNK bytes: the header row, the
    HXL row if given, then the rows (None is an empty cell). With a byte order mark by
    default, so that Excel reads Arabic as Arabic."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    parts = ["\ufeff" if bom else "", writer.writerow([neutralise(v) for v in header])]
    if hxl is not None:
        parts.append(writer.writerow(list(hxl)))
    size = sum(len(p) for p in parts)
    for row in rows:
        line = writer.writerow(["" if v is None else neutralise(v) for v in row])
        parts.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    if parts:
        yield "".join(parts).encode("utf-8")


def write_csv(
    target: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    hxl: Sequence[str] | None = None,
    bom: bool = True,
) -> None:
    for chunk in csv_chunks(header, rows, hxl=hxl, bom=bom):
        target.write(chunk)


def _xlsx_text(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = neutralise(value)
    if isinstance(value, str):
        # Control characters make an unreadable workbook (openpyxl refuses them).
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def write_xlsx(
    target: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    hxl: Sequence[str] | None = None,
    title: str = "data",
) -> None:
    """One worksheet: the header row, the HXL row if given, the rows. Write-only: openpyxl
    keeps the rows in a temporary file of its own, not in memory."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title)
    sheet.append([_xlsx_text(v) for v in header])
    if hxl is not None:
        sheet.append(list(hxl))
    for row in rows:
        sheet.append([_xlsx_text(v) for v in row])
    book.save(target)


def write_encrypted_zip(
    target: IO[bytes], *, password: str, name: str, write: Callable[[IO[bytes]], None]
) -> None:
    """A ZIP archive with one member, `name`, encrypted with AES-256 (WinZip AES, which
    7-Zip, WinZip and macOS's Archive Utility open): `write` writes the member's content
    into the file object it is given, in pieces."""
    import pyzipper

    with pyzipper.AESZipFile(
        target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        with archive.open(name, "w", force_zip64=True) as member:
            write(member)
