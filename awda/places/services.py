"""Loading gazetteers: Awda's own CSV (`pcode,level,name_ar,name_en,parent_pcode,lat,lon`,
optionally `kind`) and OCHA-style CSVs with an HXL hashtag row under the headers.

Every row is checked first and the report names each problem by row and column; only a
file without problems is written, in one transaction. Loading the same file again
changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from awda.places.models import ADMIN_KINDS, Place

DATA_DIR = Path(__file__).resolve().parent / "data"
BUILT_IN = ("syria.csv", "iraq.csv", "camps.csv")

_AWDA_COLUMNS = {"pcode", "level", "name_ar", "name_en", "parent_pcode"}
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_PCODE = re.compile(r"^[A-Z]{2}[A-Z0-9_-]{0,38}$")
_KIND_LEVELS: dict[str, int] = {
    Place.Kind.GOVERNORATE: 1,
    Place.Kind.DISTRICT: 2,
    Place.Kind.SUBDISTRICT: 3,
    Place.Kind.COMMUNITY: 4,
    Place.Kind.CAMP: 4,
    Place.Kind.CAMP_SECTION: 5,
    Place.Kind.CAMP_BLOCK: 6,
}


class GazetteerError(Exception):
    pass


@dataclass
class PlaceRow:
    row: int
    pcode: str
    level: int
    kind: str
    name_ar: str
    name_en: str
    parent_pcode: str
    lat: Decimal | None
    lon: Decimal | None


@dataclass
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row} Not Processed: {self.column} {self.message}"


@dataclass
class LoadReport:
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            return (
                f"{self.source}: {len(self.problems)} problem(s) in {self.rows} rows; "
                "nothing was loaded."
            )
        return (
            f"{self.source}: {self.rows} rows, {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged."
        )


def _decimal(value: str, column: str, row: int, low: int, high: int) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise GazetteerError(f"{column}: {value!r} is not a number") from None
    if not (low <= number <= high):
        raise GazetteerError(f"{column}: {value} is outside {low}..{high}")
    return number.quantize(Decimal("0.00001"))


def _is_hxl_row(cells: Sequence[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _read(text: str) -> tuple[list[str], list[str] | None, list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise GazetteerError("the file is empty") from None
    rows = list(reader)
    hxl = None
    first_data_row = 2
    if rows and _is_hxl_row(rows[0]):
        hxl = rows.pop(0)
        first_data_row = 3
    numbered = [(first_data_row + i, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    return header, hxl, numbered


def _awda_rows(
    header: list[str], data: list[tuple[int, list[str]]], report: LoadReport
) -> list[PlaceRow]:
    columns = [h.strip() for h in header]
    out = []
    for number, cells in data:
        record = dict(zip(columns, (c.strip() for c in cells), strict=False))
        try:
            pcode = record.get("pcode", "")
            if not pcode:
                raise GazetteerError("pcode blank")
            level_text = record.get("level", "")
            if not level_text.isdigit() or not 1 <= int(level_text) <= 6:
                raise GazetteerError(f"level: {level_text!r} is not a level from 1 to 6")
            level = int(level_text)
            kind = record.get("kind") or ADMIN_KINDS.get(level, "")
            if kind not in _KIND_LEVELS:
                raise GazetteerError(f"kind: {kind!r} is not a kind of place")
            if _KIND_LEVELS[kind] != level:
                raise GazetteerError(f"kind: a {kind} is not at level {level}")
            out.append(
                PlaceRow(
                    row=number,
                    pcode=pcode,
                    level=level,
                    kind=kind,
                    name_ar=record.get("name_ar", ""),
                    name_en=record.get("name_en", ""),
                    parent_pcode=record.get("parent_pcode", ""),
                    lat=_decimal(record.get("lat", ""), "lat", number, -90, 90),
                    lon=_decimal(record.get("lon", ""), "lon", number, -180, 180),
                )
            )
        except GazetteerError as exc:
            column, _, message = str(exc).partition(" ")
            report.problems.append(RowProblem(number, column.rstrip(":"), message))
    return out


@dataclass
class _HxlColumns:
    code: int | None = None
    name_ar: int | None = None
    name_en: int | None = None


def _hxl_rows(
    hxl: list[str], data: list[tuple[int, list[str]]], report: LoadReport
) -> list[PlaceRow]:
    levels: dict[int, _HxlColumns] = {}
    lat_col = lon_col = None
    for index, tag in enumerate(hxl):
        parts = tag.strip().lower().replace(" ", "").split("+")
        hashtag, attributes = parts[0], set(parts[1:])
        match = re.fullmatch(r"#adm([1-4])", hashtag)
        if match:
            columns = levels.setdefault(int(match.group(1)), _HxlColumns())
            if "code" in attributes:
                columns.code = index
            elif "name" in attributes or not attributes:
                if "i_ar" in attributes:
                    columns.name_ar = index
                elif "i_en" in attributes or columns.name_en is None:
                    columns.name_en = index
        elif hashtag == "#geo" and "lat" in attributes:
            lat_col = index
        elif hashtag == "#geo" and ("lon" in attributes or "long" in attributes):
            lon_col = index
    if not levels:
        raise GazetteerError("the HXL row has no #adm1…#adm4 hashtags")
    for level, columns in levels.items():
        if columns.code is None:
            raise GazetteerError(f"the HXL row has no #adm{level}+code column")

    def cell(cells: list[str], index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    out: dict[str, PlaceRow] = {}
    for number, cells in data:
        # The deepest level the row speaks of, by code or by name: a name without its
        # code is an error, not a shallower place.
        deepest = max(
            (
                lvl
                for lvl, c in levels.items()
                if cell(cells, c.code) or cell(cells, c.name_ar) or cell(cells, c.name_en)
            ),
            default=0,
        )
        if not deepest:
            report.problems.append(RowProblem(number, "adm1+code", "blank"))
            continue
        parent = ""
        try:
            for level in range(1, deepest + 1):
                level_columns = levels.get(level)
                if level_columns is None:
                    raise GazetteerError(f"adm{level}+code column missing")
                columns = level_columns
                code = cell(cells, columns.code)
                if not code:
                    raise GazetteerError(f"adm{level}+code blank")
                name_ar, name_en = cell(cells, columns.name_ar), cell(cells, columns.name_en)
                if name_en and _ARABIC.search(name_en) and not name_ar:
                    name_ar, name_en = name_en, ""
                is_deepest = level == deepest
                place = PlaceRow(
                    row=number,
                    pcode=code,
                    level=level,
                    kind=ADMIN_KINDS.get(level, Place.Kind.COMMUNITY),
                    name_ar=name_ar,
                    name_en=name_en,
                    parent_pcode=parent,
                    lat=_decimal(cell(cells, lat_col), "geo+lat", number, -90, 90)
                    if is_deepest
                    else None,
                    lon=_decimal(cell(cells, lon_col), "geo+lon", number, -180, 180)
                    if is_deepest
                    else None,
                )
                seen = out.get(code)
                if seen and (seen.parent_pcode != parent or seen.level != level):
                    raise GazetteerError(
                        f"adm{level}+code {code} sits under {seen.parent_pcode or 'nothing'} "
                        f"in row {seen.row} and under {parent or 'nothing'} here"
                    )
                if seen is None or is_deepest:
                    out[code] = place
                parent = code
        except GazetteerError as exc:
            column, _, message = str(exc).partition(" ")
            report.problems.append(RowProblem(number, column, message))
    return sorted(out.values(), key=lambda p: (p.level, p.row))


def _check(rows: Iterable[PlaceRow], report: LoadReport) -> list[PlaceRow]:
    """Checks that need the whole file and the database: names, codes, parents."""
    rows = sorted(rows, key=lambda p: (p.level, p.row))
    in_file: dict[str, PlaceRow] = {}
    for place in rows:
        problem: tuple[str, str] | None = None
        if not _PCODE.match(place.pcode):
            problem = ("pcode", f"{place.pcode!r} is not a P-code (capital letters, digits, -)")
        elif place.pcode in in_file and in_file[place.pcode].row != place.row:
            problem = ("pcode", f"{place.pcode} repeats row {in_file[place.pcode].row}")
        elif not place.name_ar and not place.name_en:
            problem = ("name", "blank: a place needs an Arabic or English name")
        elif place.level == 1 and place.parent_pcode:
            problem = ("parent_pcode", "a governorate has no parent")
        elif place.level > 1 and not place.parent_pcode:
            problem = ("parent_pcode", "blank")
        if problem:
            report.problems.append(RowProblem(place.row, *problem))
            continue
        in_file[place.pcode] = place
    existing = {
        p.pcode: p
        for p in Place.objects.filter(
            pcode__in={*in_file, *(p.parent_pcode for p in in_file.values())}
        )
    }
    for place in in_file.values():
        parent_level = None
        if place.parent_pcode:
            if place.parent_pcode in in_file:
                parent_level = in_file[place.parent_pcode].level
            elif place.parent_pcode in existing:
                parent_level = existing[place.parent_pcode].level
            else:
                report.problems.append(
                    RowProblem(
                        place.row, "parent_pcode", f"{place.parent_pcode} is not a known place"
                    )
                )
                continue
            if parent_level != place.level - 1:
                report.problems.append(
                    RowProblem(
                        place.row,
                        "parent_pcode",
                        f"{place.parent_pcode} is at level {parent_level}, not {place.level - 1}",
                    )
                )
        known = existing.get(place.pcode)
        if known and known.level != place.level:
            report.problems.append(
                RowProblem(
                    place.row, "pcode", f"{place.pcode} is already loaded at level {known.level}"
                )
            )
    return list(in_file.values())


def load_gazetteer(text: str, *, source: str) -> LoadReport:
    report = LoadReport(source=source)
    try:
        header, hxl, data = _read(text)
        report.rows = len(data)
        if hxl is not None:
            rows = _hxl_rows(hxl, data, report)
        elif {h.strip() for h in header} >= _AWDA_COLUMNS:
            rows = _awda_rows(header, data, report)
        else:
            raise GazetteerError(
                "unknown format: expected the columns pcode,level,name_ar,name_en,parent_pcode "
                "or an HXL row (#adm1+code, #adm1+name, ...) under the headers"
            )
    except GazetteerError as exc:
        report.problems.append(RowProblem(1, "file", str(exc)))
        return report
    rows = _check(rows, report)
    if report.problems:
        report.problems.sort(key=lambda p: p.row)
        return report
    with transaction.atomic():
        _write(rows, report)
    return report


def _write(rows: list[PlaceRow], report: LoadReport) -> None:
    by_code = {p.pcode: p for p in Place.objects.filter(pcode__in=[r.pcode for r in rows])}
    for row in sorted(rows, key=lambda r: (r.level, r.row)):
        parent = None
        if row.parent_pcode:
            parent = by_code.get(row.parent_pcode) or Place.objects.get(pcode=row.parent_pcode)
            by_code[parent.pcode] = parent
        governorate_id = parent.governorate_id if parent else None
        country = (
            row.pcode[:2]
            if row.pcode[:2] in Place.Country.values
            else (parent.country if parent else "")
        )
        values = {
            "kind": row.kind,
            "level": row.level,
            "country": country,
            "name_ar": row.name_ar or row.name_en,
            "name_en": row.name_en or row.name_ar,
            "parent_id": parent.pk if parent else None,
            "lat": row.lat,
            "lon": row.lon,
        }
        place = by_code.get(row.pcode)
        if place is None:
            place = Place.objects.create(pcode=row.pcode, governorate_id=governorate_id, **values)
            if row.level == 1:
                place.governorate_id = place.pk
                place.save(update_fields=["governorate"])
            report.created += 1
        else:
            if row.level == 1:
                governorate_id = place.pk
            values["governorate_id"] = governorate_id
            changed = [k for k, v in values.items() if getattr(place, k) != v]
            if changed:
                for key in changed:
                    setattr(place, key, values[key])
                place.save(update_fields=[k.removesuffix("_id") for k in changed])
                report.updated += 1
            else:
                report.unchanged += 1
        by_code[row.pcode] = place


def load_file(path: Path) -> LoadReport:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report = LoadReport(source=path.name)
        report.problems.append(RowProblem(1, "file", f"is not UTF-8 text ({exc.reason})"))
        return report
    return load_gazetteer(text, source=path.name)


def load_built_in() -> list[LoadReport]:
    return [load_file(DATA_DIR / name) for name in BUILT_IN]
