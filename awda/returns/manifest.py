"""A movement's manifest: the list of everyone on board, vehicle by vehicle, that the
convoy leader, the camp gate and the receiving authorities sign and keep. It is an Arabic
document by design, printed as a PDF (WeasyPrint, with the Noto Naskh Arabic font shipped
in the project, so that rendering never depends on the system's fonts or the network) and
exported as XLSX.

`manifest_rows` and `manifest_totals` compute the content; `manifest_pdf` and
`manifest_xlsx` lay it out. None of them checks who asks: the caller has fetched the
movement through a selector that did (`awda.returns.selectors`).

The manifest's own vocabulary (column headings, statuses, short relationship and document
names) is written here and in the template in Arabic, with the English beside it, so that
a printed form never depends on the translation catalogue; labels the registry already
translates (nationalities) come from gettext with Arabic active.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone, translation

from awda.places.models import Place
from awda.registry.countries import NATIONALITIES
from awda.registry.models import CivilDocument, Person
from awda.returns.models import Movement, Passenger, Pathway

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

CSS_FILE = Path(__file__).resolve().with_name("manifest.css")
# The only files the PDF renderer may read: the stylesheet and the fonts it names.
_ASSETS = (CSS_FILE.parent, Path(__file__).resolve().parents[1] / "static" / "vendor" / "fonts")

FEMALE, MALE = Person.Sex.FEMALE.value, Person.Sex.MALE.value
UNKNOWN_AGE = "unknown"
# (code, lowest age, highest age): the age groups humanitarian reporting uses.
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0-4", 0, 4),
    ("5-11", 5, 11),
    ("12-17", 12, 17),
    ("18-59", 18, 59),
    ("60+", 60, None),
)
AGE_GROUP_LABELS = {
    "0-4": "0-4",
    "5-11": "5-11",
    "12-17": "12-17",
    "18-59": "18-59",
    "60+": "60 فأكثر",  # 60 and over
    UNKNOWN_AGE: "غير معروف",  # unknown
}
SEX_LABELS = {FEMALE: "أنثى", MALE: "ذكر"}  # female, male

# Relationship to the head, short and by sex: (for a woman, for a man).
_R = Person.Relationship
RELATIONSHIP_LABELS: dict[str, tuple[str, str]] = {
    _R.HEAD: ("ربة الأسرة", "رب الأسرة"),  # head of household
    _R.SPOUSE: ("زوجة", "زوج"),  # wife, husband
    _R.CHILD: ("ابنة", "ابن"),  # daughter, son
    _R.STEPCHILD: ("ربيبة", "ربيب"),  # stepdaughter, stepson
    _R.GRANDCHILD: ("حفيدة", "حفيد"),  # granddaughter, grandson
    _R.PARENT: ("أم", "أب"),  # mother, father
    _R.SIBLING: ("أخت", "أخ"),  # sister, brother
    _R.NEPHEW_NIECE: ("ابنة أخ أو أخت", "ابن أخ أو أخت"),  # niece, nephew
    _R.UNCLE_AUNT: ("عمة أو خالة", "عم أو خال"),  # aunt, uncle
    _R.IN_LAW: ("قريبة بالمصاهرة", "قريب بالمصاهرة"),  # relative by marriage
    _R.OTHER_RELATIVE: ("قريبة", "قريب"),  # other relative
    _R.UNRELATED: ("بلا قرابة", "بلا قرابة"),  # not related
}

_D = CivilDocument.Kind
DOCUMENT_LABELS: dict[str, str] = {  # in the order they are listed
    _D.NATIONAL_ID: "هوية",  # national ID card
    _D.PASSPORT: "جواز سفر",  # passport
    _D.FAMILY_BOOKLET: "دفتر عائلة",  # family booklet
    _D.BIRTH_CERTIFICATE: "بيان ولادة",  # birth certificate
    _D.NATIONALITY_CERTIFICATE: "شهادة جنسية",  # nationality certificate
    _D.MARRIAGE_CERTIFICATE: "عقد زواج",  # marriage certificate
    _D.DEATH_CERTIFICATE: "شهادة وفاة",  # spouse's death certificate
}

_S = Passenger.Status
STATUS_LABELS: dict[str, tuple[str, str]] = {  # (for a woman, for a man)
    _S.SCHEDULED: ("مجدولة", "مجدول"),  # scheduled
    _S.DEPARTED: ("غادرت", "غادر"),  # departed
    _S.NO_SHOW: ("لم تحضر", "لم يحضر"),  # did not show
    _S.ARRIVED: ("وصلت", "وصل"),  # arrived
    _S.SEPARATED: ("انفصلت في الطريق", "انفصل في الطريق"),  # separated on the way
    _S.DECEASED: ("توفيت في الطريق", "توفي في الطريق"),  # died on the way
}
BORN_ON_THE_WAY = ("ولدت في الطريق", "ولد في الطريق")  # born on the way

KIND_LABELS: dict[str, str] = {
    Movement.Kind.CONVOY: "قافلة برية",  # road convoy
    Movement.Kind.FLIGHT: "رحلة جوية",  # flight
}
PATHWAY_LABELS: dict[str, str] = {
    Pathway.SYRIAN_SPONSORSHIP: "عودة إلى سوريا بكفالة مجتمعية",  # Syrian, sponsored
    Pathway.IRAQI_REPATRIATION: "إعادة إلى العراق عبر مركز تأهيل",  # Iraqi, via a centre
    Pathway.THIRD_COUNTRY: "إعادة إلى بلد ثالث",  # third country
    Pathway.STAYING: "البقاء حالياً",  # staying for now
}
NONE = "—"
TITLE = "كشف ركاب الحركة"  # movement manifest
CONFIDENTIAL = "سري — بيانات شخصية"  # confidential — personal data
ESTIMATED = "تقديري"  # estimated
NATIONALITY_NAMES = dict(NATIONALITIES)  # translated by gettext, with Arabic active


@dataclass(frozen=True)
class ManifestRow:
    """One person on the manifest, as printed."""

    number: int  # running number over the whole manifest
    vehicle: int
    household_id: int
    household_reference: str
    starts_household: bool  # the first of its household in this vehicle
    name_ar: str
    name_lat: str
    sex: str  # "F" or "M"
    age: int | None  # whole years on the departure date
    age_estimated: bool
    age_group: str  # a code of AGE_GROUPS, or "unknown"
    relationship: str
    nationality: str
    documents: str
    status: str  # Passenger.Status
    status_label: str
    escort: str

    @property
    def sex_label(self) -> str:
        return SEX_LABELS.get(self.sex, NONE)

    @property
    def age_label(self) -> str:
        if self.age is None:
            return NONE
        return f"~{self.age}" if self.age_estimated else str(self.age)


@dataclass(frozen=True)
class VehicleCount:
    vehicle: int
    households: int
    people: int
    female: int
    male: int


@dataclass(frozen=True)
class AgeGroupCount:
    code: str
    label: str
    female: int
    male: int

    @property
    def total(self) -> int:
        return self.female + self.male


@dataclass(frozen=True)
class ManifestTotals:
    """Who travels: everyone listed but those who did not show (counted apart)."""

    households: int
    people: int
    female: int
    male: int
    by_age_group: list[AgeGroupCount]
    by_vehicle: list[VehicleCount]
    no_show: int

    def count(self, sex: str, age_group: str) -> int:
        row = next(g for g in self.by_age_group if g.code == age_group)
        return row.female if sex == FEMALE else row.male


@dataclass
class VehicleSection:
    vehicle: int
    rows: list[ManifestRow] = field(default_factory=list)

    @property
    def households(self) -> int:
        return sum(1 for r in self.rows if r.starts_household)


def age_group_of(age: int | None) -> str:
    if age is None:
        return UNKNOWN_AGE
    for code, lowest, highest in AGE_GROUPS:
        if age >= lowest and (highest is None or age <= highest):
            return code
    return UNKNOWN_AGE


def manifest_passengers(
    movement: Movement, passengers: Iterable[Passenger] | None = None
) -> list[Passenger]:
    """The people on the manifest (everyone but those taken off), with what the rows need
    loaded in a fixed number of queries, whether the caller fetched them or not."""
    if passengers is None:
        passengers = movement.passengers.select_related("person", "household", "escort")
    chosen = [p for p in passengers if p.status != Passenger.Status.REMOVED]
    prefetch_related_objects(chosen, "person", "household", "escort", "person__documents")
    return chosen


_MEMBER_RANK: dict[str, int] = {_R.HEAD: 0, _R.SPOUSE: 1}  # then the others


def _member_order(passenger: Passenger) -> tuple[int, datetime.date, int]:
    person = passenger.person
    return (
        _MEMBER_RANK.get(person.relationship, 2),
        person.date_of_birth or datetime.date.max,
        person.pk,
    )


def _short(labels: tuple[str, str], sex: str) -> str:
    return labels[0] if sex == FEMALE else labels[1]


def manifest_rows(
    movement: Movement, *, passengers: Iterable[Passenger] | None = None
) -> list[ManifestRow]:
    """Everyone on the movement, vehicle by vehicle, household by household (by
    reference), the head first, then the spouse, then the others from the eldest."""
    chosen = manifest_passengers(movement, passengers)
    chosen.sort(key=lambda p: (p.vehicle, p.household.reference, p.household_id, *_member_order(p)))
    rows: list[ManifestRow] = []
    previous: tuple[int, int] | None = None
    with translation.override("ar"):
        for number, passenger in enumerate(chosen, start=1):
            person = passenger.person
            age = person.age_on(movement.departs_on)
            if age is not None:
                age = max(age, 0)  # born on the way, after the departure date
            held = {d.kind for d in person.documents.all() if d.status == "held"}
            status = _short(STATUS_LABELS.get(passenger.status, (NONE, NONE)), person.sex)
            if passenger.born_on_the_way:
                status = f"{status}، {_short(BORN_ON_THE_WAY, person.sex)}"
            nationality = person.nationality or passenger.household.nationality
            key = (passenger.vehicle, passenger.household_id)
            rows.append(
                ManifestRow(
                    number=number,
                    vehicle=passenger.vehicle,
                    household_id=passenger.household_id,
                    household_reference=passenger.household.reference,
                    starts_household=key != previous,
                    name_ar=person.full_name_ar,
                    name_lat=person.full_name_lat,
                    sex=person.sex,
                    age=age,
                    age_estimated=person.dob_precision == Person.DobPrecision.ESTIMATED,
                    age_group=age_group_of(age),
                    relationship=_short(
                        RELATIONSHIP_LABELS.get(person.relationship, (NONE, NONE)), person.sex
                    ),
                    nationality=str(NATIONALITY_NAMES.get(nationality, nationality)),
                    documents="، ".join(t for k, t in DOCUMENT_LABELS.items() if k in held) or NONE,
                    status=passenger.status,
                    status_label=status,
                    escort=passenger.escort.display_name if passenger.escort else "",
                )
            )
            previous = key
    return rows


def manifest_totals(rows: Sequence[ManifestRow]) -> ManifestTotals:
    """People by sex and age group, households, and the count in each vehicle, of those
    who travel (a person who did not show stays on the list, out of the totals)."""
    travelling = [r for r in rows if r.status != Passenger.Status.NO_SHOW]
    by_group = {code: {FEMALE: 0, MALE: 0} for code in AGE_GROUP_LABELS}
    vehicles: dict[int, dict[str, Any]] = {}
    for row in travelling:
        counts = vehicles.setdefault(
            row.vehicle, {"households": set(), "people": 0, FEMALE: 0, MALE: 0}
        )
        counts["households"].add(row.household_id)
        counts["people"] += 1
        if row.sex in (FEMALE, MALE):
            by_group[row.age_group][row.sex] += 1
            counts[row.sex] += 1
    return ManifestTotals(
        households=len({r.household_id for r in travelling}),
        people=len(travelling),
        female=sum(c[FEMALE] for c in by_group.values()),
        male=sum(c[MALE] for c in by_group.values()),
        by_age_group=[
            AgeGroupCount(code, AGE_GROUP_LABELS[code], c[FEMALE], c[MALE])
            for code, c in by_group.items()
        ],
        by_vehicle=[
            VehicleCount(
                vehicle=number,
                households=len(c["households"]),
                people=c["people"],
                female=c[FEMALE],
                male=c[MALE],
            )
            for number, c in sorted(vehicles.items())
        ],
        no_show=len(rows) - len(travelling),
    )


def _sections(rows: Sequence[ManifestRow]) -> list[VehicleSection]:
    sections: dict[int, VehicleSection] = {}
    for row in rows:
        sections.setdefault(row.vehicle, VehicleSection(row.vehicle)).rows.append(row)
    return list(sections.values())


def _place_name(place: Place) -> str:
    """A place with its governorate, so that a village's name is not ambiguous."""
    governorate = place.governorate
    if governorate is None or governorate.pk == place.pk:
        return place.name_ar
    return f"{place.name_ar}، {governorate.name_ar}"


def _destination(movement: Movement) -> str:
    if movement.centre is not None:
        return f"{movement.centre.name_ar}، {_place_name(movement.centre.place)}"
    if movement.destination is not None:
        return _place_name(movement.destination)
    if movement.country:  # a third country
        return str(NATIONALITY_NAMES.get(movement.country, movement.country))
    return NONE


def manifest_header(
    movement: Movement, *, printed_on: datetime.date | None = None
) -> list[tuple[str, str]]:
    """The movement's particulars as (Arabic label, value) pairs, for both formats."""
    with translation.override("ar"):
        return [
            ("رقم الحركة", movement.reference),  # movement reference
            ("النوع", KIND_LABELS.get(movement.kind, movement.kind)),  # kind
            ("المسار", PATHWAY_LABELS.get(movement.pathway, movement.pathway)),  # pathway
            ("تاريخ المغادرة", movement.departs_on.isoformat()),  # departure date
            ("من المخيم", movement.origin.name_ar),  # from camp
            ("إلى", _destination(movement)),  # to (place, centre or country)
            ("السعة (أشخاص)", str(movement.capacity)),  # capacity (people)
            ("عدد المركبات", str(movement.vehicles)),  # vehicles
            ("المنظمة", movement.organisation.name_ar),  # organisation
            ("تاريخ الطباعة", (printed_on or timezone.localdate()).isoformat()),  # printed on
        ]


# -- PDF ---------------------------------------------------------------------------------------


def _asset_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads the manifest's stylesheet and fonts and
    nothing else: no network, no other file, whatever the HTML holds."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("file://"):
                from urllib.parse import unquote, urlsplit

                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(folder) for folder in _ASSETS) and path.is_file():
                    return URLFetcherResponse(url, body=path.read_bytes())
            raise ValueError(f"The manifest may not load {url}")

    return AssetFetcher()


def manifest_html(
    movement: Movement,
    *,
    passengers: Iterable[Passenger] | None = None,
    printed_on: datetime.date | None = None,
) -> str:
    rows = manifest_rows(movement, passengers=passengers)
    header = manifest_header(movement, printed_on=printed_on)
    with translation.override("ar"):
        return render_to_string(
            "returns/manifest.html",
            {
                "movement": movement,
                "printed_on": printed_on or timezone.localdate(),
                "particulars": [header[i : i + 5] for i in range(0, len(header), 5)],
                "sections": _sections(rows),
                "totals": manifest_totals(rows),
            },
        )


def manifest_pdf(
    movement: Movement,
    *,
    passengers: Iterable[Passenger] | None = None,
    printed_on: datetime.date | None = None,
) -> bytes:
    """The manifest as an A4 landscape PDF in Arabic, right to left, with the table's
    heading on every page and "page X of Y" in the footer."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = manifest_html(movement, passengers=passengers, printed_on=printed_on)
    fetcher = _asset_fetcher()
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(CSS_FILE), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url=CSS_FILE.parent.as_uri() + "/")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf


# -- XLSX --------------------------------------------------------------------------------------

# A spreadsheet takes a cell starting with one of these as a formula (or, for tab and
# carriage return, hides it); names and references are typed in by people.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [  # (Arabic heading, width)
    ("م", 6),  # number
    ("المركبة", 8),  # vehicle
    ("رقم الأسرة", 18),  # household reference
    ("الاسم الكامل", 34),  # full name (Arabic)
    ("الاسم بالأحرف اللاتينية", 30),  # name in Latin letters
    ("الجنس", 8),  # sex
    ("العمر", 7),  # age (years on the departure date)
    ("العمر تقديري", 10),  # age estimated
    ("الفئة العمرية", 11),  # age group
    ("الصلة برب الأسرة", 16),  # relationship to the head
    ("الجنسية", 12),  # nationality
    ("الوثائق المدنية", 30),  # civil documents held
    ("الحالة", 14),  # status
    ("المرافق", 26),  # escort
]


def _put(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Write a value; text that a spreadsheet would run as a formula stays text."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def _put_row(sheet: Worksheet, row: int, values: Sequence[object]) -> None:
    for column, value in enumerate(values, start=1):
        _put(sheet, row, column, value)


def manifest_xlsx(
    movement: Movement,
    *,
    passengers: Iterable[Passenger] | None = None,
    printed_on: datetime.date | None = None,
) -> bytes:
    """The manifest as a workbook: the sheet "Manifest" (particulars, then one row per
    person) and the sheet "Totals", both right to left."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = manifest_rows(movement, passengers=passengers)
    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "Manifest"
    sheet.sheet_view.rightToLeft = True
    _put(sheet, 1, 1, f"{TITLE} — {CONFIDENTIAL}")
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    line = 2
    for label, value in manifest_header(movement, printed_on=printed_on):
        _put_row(sheet, line, [label, value])
        sheet.cell(line, 1).font = bold
        line += 1
    heading = line + 1
    for column, (title, width) in enumerate(COLUMNS, start=1):
        _put(sheet, heading, column, title)
        sheet.cell(heading, column).font = bold
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(heading + 1, 1)
    for line, row in enumerate(rows, start=heading + 1):
        _put_row(
            sheet,
            line,
            [
                row.number,
                row.vehicle,
                row.household_reference,
                row.name_ar,
                row.name_lat,
                row.sex_label,
                row.age,
                ESTIMATED if row.age_estimated else "",
                AGE_GROUP_LABELS[row.age_group],
                row.relationship,
                row.nationality,
                row.documents,
                row.status_label,
                row.escort,
            ],
        )

    summary = book.create_sheet("Totals")
    summary.sheet_view.rightToLeft = True
    for line, values in enumerate(_totals_table(manifest_totals(rows)), start=1):
        _put_row(summary, line, values)
    for column, width in enumerate((22, 12, 12, 12, 12), start=1):
        summary.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _totals_table(totals: ManifestTotals) -> list[list[object]]:
    table: list[list[object]] = [
        ["الفئة العمرية", "إناث", "ذكور", "المجموع"]
    ]  # age group, F, M, all
    table += [[g.label, g.female, g.male, g.total] for g in totals.by_age_group]
    table += [
        ["المجموع", totals.female, totals.male, totals.people],  # total
        [],
        ["عدد الأسر", totals.households],  # households
        ["عدد الأشخاص", totals.people],  # people
        ["لم يحضروا (خارج المجاميع)", totals.no_show],  # did not show (not in the totals)
        [],
        ["المركبة", "عدد الأسر", "عدد الأشخاص", "إناث", "ذكور"],  # vehicle, households, ...
    ]
    table += [[v.vehicle, v.households, v.people, v.female, v.male] for v in totals.by_vehicle]
    return table
