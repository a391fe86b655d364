"""The check's report as a workbook: one row per problem, as on the page."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from awda.exports.writers import neutralise


def report_xlsx(problems: list[dict[str, Any]], *, file_name: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Problems")[:31])
    sheet.sheet_view.rightToLeft = True
    sheet.append([_("Row"), _("Sheet"), _("Column"), _("Problem"), _("Value"), _("Suggestion")])
    for problem in problems:
        sheet.append(
            [
                problem["row"],
                neutralise(problem.get("sheet", "")),
                neutralise(problem.get("column", "")),
                neutralise(problem["problem"]),
                neutralise(problem.get("value", "")),
                neutralise(problem.get("suggestion", "")),
            ]
        )
    about = book.create_sheet(_("File")[:31])
    about.append([_("File"), neutralise(file_name)])
    about.append([_("Problems"), len(problems)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
