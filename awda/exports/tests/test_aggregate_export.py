"""Aggregate exports with HXL hashtags, read back with libhxl; small counts suppressed so
that none can be worked out from the others; the API for donors."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import hxl
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from awda.audit.models import Action, AuditEntry
from awda.conftest import PASSWORD, child, head, logged_in, make_user, place, register
from awda.exports.aggregates import ADDITIVE, COUNT_KEYS, aggregate_table, suppress
from awda.reports.selectors import SMALL_CELL
from awda.returns.models import Homecoming

TODAY = timezone.localdate()
ADULT = datetime.date(1980, 1, 1)
GIRL = datetime.date(TODAY.year - 6, 1, 1)
BOY = datetime.date(TODAY.year - 9, 1, 1)

# The HXL tags of the counts, in the order of COUNT_KEYS.
COUNT_TAGS = {
    "households": "#affected+hh",
    "households_returned": "#affected+hh+returnees",
    "people": "#affected+ind+total",
    "girls": "#affected+f+children",
    "boys": "#affected+m+children",
    "women": "#affected+f+adults",
    "men": "#affected+m+adults",
    "age_unknown": "#affected+ind+age_unknown",
    "returnees": "#affected+ind+returnees",
}


@pytest.fixture
def programme(caseworker, other_caseworker):
    """Al-Anbar: 6 households (a woman and a boy), 2 of them home. Aleppo: 5 households of
    org B (a man and two girls). One household with no origin recorded: a man alone."""
    anbar = place("IQG01Q01N01")
    for n in range(6):
        household = register(
            caseworker,
            reference=f"A-{n}",
            origin=anbar,
            members=[head(date_of_birth=ADULT), child(date_of_birth=BOY, dob_precision="exact")],
        )
        if n < 2:
            Homecoming.objects.create(household=household, arrived_on=TODAY, recorded_by=caseworker)
    for n in range(5):
        register(
            other_caseworker,
            reference=f"B-{n}",
            origin=place("SY020000"),
            nationality="SY",
            members=[
                head(sex="M", first_name_ar="خالد", date_of_birth=ADULT),
                child(sex="F", first_name_ar="سلمى", date_of_birth=GIRL, dob_precision="exact"),
                child(
                    sex="F",
                    first_name_ar="ليلى",
                    date_of_birth=GIRL,
                    dob_precision="exact",
                    relationship="child",
                ),
            ],
        )
    register(caseworker, reference="A-X", origin=None, members=[head(sex="M", date_of_birth=ADULT)])


def _read(content: bytes, tmp_path: Path) -> tuple[list[str], list[hxl.model.Row]]:
    path = tmp_path / "aggregate.csv"
    path.write_bytes(content)
    source = hxl.data(str(path), hxl.InputOptions(allow_local=True, encoding="utf-8-sig"))
    rows = list(source)
    return [column.display_tag for column in source.columns], rows


def _cell(row: hxl.model.Row, tag: str) -> str:
    """The cell of the column with exactly this hashtag and attributes (libhxl's
    `row.get` takes the first non-empty cell of every column the pattern matches:
    `#affected+hh` matches `#affected+hh+returnees` too)."""
    (index,) = [i for i, column in enumerate(row.columns) if column.display_tag == tag]
    value = row.values[index]
    return "" if value is None else value


def _number(row: hxl.model.Row, tag: str) -> int | None:
    value = _cell(row, tag)
    return None if value == "" else int(value)


def test_the_csv_reads_back_with_libhxl_with_its_hashtags(programme, donor, tmp_path):
    response = logged_in(donor).get("/exports/aggregate/origin.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    tags, rows = _read(response.content, tmp_path)
    assert tags == [
        "#adm1+code+origin",
        "#adm1+name+i_en+origin",
        "#adm1+name+i_ar+origin",
        "#country+code+origin",
        *COUNT_TAGS.values(),
        "#date+reported",
    ]
    by_code = {_cell(row, "#adm1+code+origin"): row for row in rows}
    assert set(by_code) == {"IQG01", "SY02", ""}
    anbar, aleppo = by_code["IQG01"], by_code["SY02"]
    # the patterns find the columns
    assert anbar.get("#adm1+code") == "IQG01"
    assert anbar.get("#adm1+name+i_en") == "Al-Anbar"
    assert anbar.get("#adm1+name+i_ar") == "الانبار"
    assert anbar.get("#country+code") == "IQ" and aleppo.get("#country+code") == "SY"
    assert anbar.get("#date") == TODAY.isoformat()
    # Whole-programme counts (organisation B's households are in them), where not
    # suppressed: the one household without an origin (a man alone) hides, by secondary
    # suppression, its partners in the columns, and they theirs in their rows.
    assert _number(anbar, "#affected+hh") == 6
    assert _number(anbar, "#affected+f+adults") == 6
    assert _number(anbar, "#affected+m+adults") == 0
    assert _number(aleppo, "#affected+ind+total") == 15
    assert _number(aleppo, "#affected+f+adults") == 0
    # 2 households and 4 people home in Al-Anbar: small, suppressed
    assert _number(anbar, "#affected+hh+returnees") is None
    assert _number(anbar, "#affected+ind+returnees") is None
    # the pattern #affected+returnees finds both returnee columns
    assert (
        len([c for c in rows[0].columns if hxl.TagPattern.parse("#affected+returnees").match(c)])
        == 2
    )


def test_suppressed_cells_are_empty_and_cannot_be_worked_out(programme, donor, tmp_path):
    for by in ("origin", "camp", "destination"):
        content = logged_in(donor).get(f"/exports/aggregate/{by}.csv").content
        _tags, rows = _read(content, tmp_path)
        table = [{key: _number(row, tag) for key, tag in COUNT_TAGS.items()} for row in rows]
        for row in table:
            for key, value in row.items():
                assert value is None or value == 0 or value >= SMALL_CELL, (by, key, value)
            for total, parts in ADDITIVE:
                hidden = [key for key in (total, *parts) if row[key] is None]
                assert len(hidden) != 1, (by, row)
                if row[total] is not None and not hidden:
                    assert row[total] == sum(row[p] for p in parts)
        for key in COUNT_KEYS:
            hidden = [row for row in table if row[key] is None]
            assert len(hidden) != 1 or len(table) == 1, (by, key)


def test_the_row_without_an_origin_is_suppressed_with_its_partner(programme, donor, tmp_path):
    content = logged_in(donor).get("/exports/aggregate/origin.csv").content
    _tags, rows = _read(content, tmp_path)
    unknown = next(row for row in rows if _cell(row, "#adm1+code+origin") == "")
    assert _cell(unknown, "#adm1+name+i_en+origin") == "(not recorded)"
    assert _number(unknown, "#affected+hh") is None  # 1 household
    assert _number(unknown, "#affected+m+adults") is None  # 1 man
    assert _number(unknown, "#affected+ind+total") is None
    # 1 of 3 households is hidden in the column: another one is hidden with it
    assert sum(_number(row, "#affected+hh") is None for row in rows) >= 2


def test_the_camp_table_names_camps_and_their_governorate(programme, donor, tmp_path):
    content = logged_in(donor).get("/exports/aggregate/camp.csv").content
    tags, rows = _read(content, tmp_path)
    assert tags[:5] == [
        "#loc+code",
        "#loc+name+i_en",
        "#loc+name+i_ar",
        "#adm1+code",
        "#country+code",
    ]
    (hol,) = rows
    assert _cell(hol, "#loc+code") == "SY080006-HOL"
    assert _cell(hol, "#adm1+code") == place("SY080006-HOL").governorate.pcode
    assert _number(hol, "#affected+hh") == 12
    assert _number(hol, "#affected+ind+total") == 28


def test_the_xlsx_has_the_hxl_row_and_numbers(programme, donor):
    from openpyxl import load_workbook

    response = logged_in(donor).get("/exports/aggregate/destination.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[1][0] == "#adm1+code+dest"
    (nowhere,) = rows[2:]  # no household has a destination yet
    assert nowhere[0] is None and nowhere[4] == 12


def test_an_unknown_table_or_format_is_404(donor):
    client = logged_in(donor)
    assert client.get("/exports/aggregate/religion.csv").status_code == 404
    assert client.get("/exports/aggregate/origin.pdf").status_code == 404


def test_the_aggregate_download_is_audited(programme, donor):
    logged_in(donor).get("/exports/aggregate/camp.xlsx")
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.actor == donor
    assert entry.details == {
        "channel": "web",
        "kind": "aggregate",
        "by": "camp",
        "format": "xlsx",
        "rows": 1,
        "organisation": "org-a",
    }


# -- The API ---------------------------------------------------------------------------------


@pytest.fixture
def _no_throttle():
    cache.clear()
    yield
    cache.clear()


def test_a_donor_gets_it_with_a_token(programme, donor, tmp_path, _no_throttle):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": donor.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    response = client.get("/api/v1/exports/aggregate.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not response.content.startswith(b"\xef\xbb\xbf")  # for machines: no BOM
    tags, rows = _read(response.content, tmp_path)
    assert tags[0] == "#adm1+code+origin"
    assert {_cell(row, "#adm1+code+origin") for row in rows} == {"IQG01", "SY02", ""}
    for name in ("فاطمة", "خالد", "سلمى", "A-0", "B-0"):
        assert name not in response.content.decode()
    entry = AuditEntry.objects.filter(action=Action.EXPORT).get()
    assert entry.details["channel"] == "api" and entry.actor == donor
    response = client.get("/api/v1/exports/aggregate.csv", {"by": "camp"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert b"#loc+code" in response.content


def test_the_api_refuses_an_unknown_table_and_strangers(programme, donor, _no_throttle):
    from awda.conftest import api_client

    assert (
        api_client(donor).get("/api/v1/exports/aggregate.csv", {"by": "religion"}).status_code
        == 400
    )
    assert APIClient().get("/api/v1/exports/aggregate.csv").status_code in (401, 403)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/exports/aggregate.csv").status_code in (401, 403)


def test_every_staff_role_may_read_it(org_a, programme):
    from awda.conftest import api_client

    for role in (
        "caseworker",
        "registrar",
        "mhpss",
        "returns",
        "liaison",
        "supervisor",
        "dpo",
        "admin",
    ):
        assert (
            api_client(make_user(f"u-{role}", org_a, role))
            .get("/api/v1/exports/aggregate.csv")
            .status_code
            == 200
        )


# -- The command -----------------------------------------------------------------------------


def test_the_command_writes_the_same_as_the_api(programme, donor, tmp_path):
    from awda.conftest import api_client

    output = tmp_path / "aggregate.csv"
    out = io.StringIO()
    call_command("export", "aggregate", "--output", str(output), stdout=out)
    assert "3 rows written" in out.getvalue()
    assert output.read_bytes() == api_client(donor).get("/api/v1/exports/aggregate.csv").content
    entry = AuditEntry.objects.filter(action=Action.EXPORT).first()
    assert entry.actor is None
    assert entry.details["channel"] == "command" and entry.details["kind"] == "aggregate"
    assert entry.details["rows"] == 3 and entry.details["organisation"] is None


# -- Secondary suppression, on any table -----------------------------------------------------


def _row(**counts: int) -> dict[str, int]:
    row = dict.fromkeys(COUNT_KEYS, 0)
    row.update(counts)
    row["people"] = sum(row[p] for p in ADDITIVE[0][1])
    return row


def test_one_small_part_hides_the_next_smallest_part():
    rows = [_row(girls=3, boys=20, women=30, men=25), _row(girls=12, boys=10, women=40, men=30)]
    hidden = suppress(rows)
    # girls=3 small; in its row the next smallest part, boys=20; in the girls column, the
    # other row's girls; and then, that row having one hidden cell, its boys (10).
    assert (0, "girls") in hidden and (0, "boys") in hidden
    assert (1, "girls") in hidden and (1, "boys") in hidden
    assert (0, "people") not in hidden and (0, "women") not in hidden


def test_a_small_total_is_hidden_with_its_parts():
    hidden = suppress([_row(men=1), _row(men=10, women=10)])
    assert {(0, "men"), (0, "people")} <= hidden


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                key: st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 60))
                for key in (
                    "girls",
                    "boys",
                    "women",
                    "men",
                    "age_unknown",
                    "households",
                    "households_returned",
                    "returnees",
                )
            }
        ),
        min_size=1,
        max_size=6,
    )
)
def test_no_suppressed_cell_can_be_worked_out(tables):
    rows = [_row(**{k: v for k, v in t.items()}) for t in tables]
    hidden = suppress(rows)
    for r, row in enumerate(rows):
        for key in COUNT_KEYS:
            if 0 < row[key] < SMALL_CELL:
                assert (r, key) in hidden
        for total, parts in ADDITIVE:
            assert sum((r, key) in hidden for key in (total, *parts)) != 1
    if len(rows) > 1:
        for key in COUNT_KEYS:
            column = [r for r in range(len(rows)) if (r, key) in hidden]
            assert len(column) != 1


def test_an_empty_programme_gives_an_empty_table(db):
    table = aggregate_table("origin")
    assert table.rows == [] and table.hxl[0] == "#adm1+code+origin"
