"""A registration officer imports an agency's messy Arabic Excel list in real Chromium:
every problem by row on the page before anything is written, a family already
registered flagged and left out, then the rest committed in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awda.common.tests.test_browser import _shot
from awda.conftest import head, log_in_through_the_pages, make_user, register
from awda.imports.models import ImportBatch
from awda.imports.tests.test_import import messy_rows, xlsx
from awda.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_arabic_list_is_checked_by_row_then_imported_without_duplicates(
    live_server: Any, browser_page: Any, org_a: Any, tmp_path: Path, settings: Any
) -> None:
    settings.AWDA_TASKS = "inline"
    settings.VAR_DIR = tmp_path
    registrar = make_user("rana", org_a, "registrar")
    register(registrar, reference="A-77", members=[head()])
    rows = messy_rows()[:4]  # the family T-1, with a date that does not exist
    # A family the registry already holds: فاطمة أحمد محمود الجبوري, born 14/03/1990.
    rows.append(
        ["T-9", "فاطمة", "أحمد", "محمود", "الجبوري", "أنثى", "14/03/1990", "رب الأسرة",
         "مخيم الهول", "", "", "", "الحسكة", "عراقية"]
    )  # fmt: skip
    rows.append(
        ["T-5", "سلمى", "عمر", "", "الخلف", "أنثى", "1988", "رب الأسرة", "روج", "", "", "",
         "حلب", "سورية"]
    )  # fmt: skip
    path = xlsx(tmp_path / "قائمة.xlsx", rows)
    page = browser_page
    log_in_through_the_pages(page, live_server.url, registrar)
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("form button.btn-awda")
    page.wait_for_selector("table.small tbody tr")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "31/02/2015" in text  # row 4's date, quoted where it is wrong
    assert "#" in text  # the registered person's number
    assert Household.objects.filter(reference__startswith="T-").count() == 0
    _shot(page, "import-01-checked-arabic")
    page.click("form[action$='/commit/'] button")
    page.wait_for_selector(".alert-success")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.COMMITTED
    # T-1 has a problem and T-9 is a family already registered: both left out.
    imported = Household.objects.filter(reference__startswith="T-")
    assert list(imported.values_list("reference", flat=True)) == ["T-5"]
    _shot(page, "import-02-committed")
