"""What a reader makes of a file: rows of text cells keyed by the file's own headers, each
with the row number a person would look for in the file, and, for Kobo and ODK
submissions, the rows of the repeat group (the household's members) attached to the
submission they belong to. Readers (awda/imports/readers.py) know formats; they do not
know what a column means — the mapping (awda/imports/mapping.py) does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


class ReadError(Exception):
    """The file cannot be read at all. The message says where (row, column) and what,
    without the cell's content beyond a short, safe excerpt."""

    def __init__(self, message: str, *, row: int | None = None, column: str = "") -> None:
        self.row = row
        self.column = column
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.message = message


@dataclass
class SourceRow:
    # The row number in the file, the header being row 1 (a JSON submission: its position,
    # counting from 2 so that "row N" reads the same as in a sheet with a header).
    number: int
    # header (as in the file) -> the cell as text: stripped; a date cell as YYYY-MM-DD; a
    # whole number without ".0"; an empty cell as "". A formula cell keeps its formula
    # text ("=HYPERLINK(...)") so that the check can refuse it.
    cells: dict[str, str]
    # Kobo `_uuid`, ODK `meta/instanceID` / `KEY`, or the `submission_id` column; "".
    submission_id: str = ""
    # The repeat group's rows (members), for Kobo and ODK; empty for a flat sheet.
    members: list[SourceRow] = field(default_factory=list)
    # Where the member rows come from, for the report ("members" sheet, "form-members.csv").
    sheet: str = ""


@dataclass
class Source:
    kind: str  # "xlsx", "csv", "kobo-json", "kobo-xlsx", "odk-zip"
    headers: list[str]
    rows: Iterator[SourceRow]
    # The repeat group's headers, for Kobo and ODK; empty for a flat sheet.
    member_headers: list[str] = field(default_factory=list)
    # header -> HXL hashtag with attributes ("#affected+name+first"), when the file has
    # an HXL row under its headers (that row is not a data row).
    hxl: dict[str, str] = field(default_factory=dict)
    # question name -> its label (first language given), from the form's XLSForm, so that
    # a Kobo export by question names can be mapped through Arabic labels too.
    labels: dict[str, str] = field(default_factory=dict)
    # The XLSForm's form_id, or the ODK form id (from the zip's CSV name); "" if unknown.
    form_id: str = ""
    # The number of data rows, when the reader knows it before streaming (sheets: the
    # dimension; JSON: the list length), else None.
    total: int | None = None
