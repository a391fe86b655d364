"""The movement manifest: its content, the PDF (Arabic text shaped and in reading order,
totals, page numbers, the table heading on every page, the shipped font) and the XLSX.

Every name here is invented."""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from dataclasses import dataclass

import openpyxl
import pytest
from pypdf import PdfReader

from awda.conftest import place, register
from awda.registry.models import Person
from awda.registry.services import PersonData
from awda.returns.manifest import (
    manifest_pdf,
    manifest_rows,
    manifest_totals,
    manifest_xlsx,
)
from awda.returns.models import Centre, Movement, Passenger, Pathway

DEPARTS = datetime.date(2025, 6, 1)
PRINTED = datetime.date(2025, 5, 30)

FEMALE_NAMES = ["آمنة", "خديجة", "زينب", "رقية", "سلمى", "نور", "هدى", "ليلى", "سعاد", "وداد"]
MALE_NAMES = ["يوسف", "إبراهيم", "حسن", "طارق", "سامر", "مازن", "وليد", "كريم", "باسل", "نزار"]
FATHER_NAMES = ["عبد الكريم", "صالح", "جاسم", "منذر", "رائد", "فيصل", "ثامر"]
GRANDFATHER_NAMES = ["حمدان", "عواد", "شاكر", "ناجي", "مهدي"]
FAMILY_NAMES = ["الراوي", "العبيدي", "الدليمي", "الشمري", "الحديثي", "الكبيسي", "الزبيدي"]
FAMILY_NAMES += ["العزاوي", "الجنابي", "الطائي", "السامرائي", "الحلبوسي", "الفلاحي", "المشهداني"]
FAMILY_NAMES += ["البياتي", "النعيمي"]
LATIN_FAMILY = "Al-Rawi"


@dataclass
class Spec:
    sex: str
    age: int | None  # on the departure date
    relationship: str
    precision: str = "exact"
    latin: bool = False


def born(age: int) -> datetime.date:
    """A birthday in September: on 1 June of the departure year, `age` years old."""
    return datetime.date(DEPARTS.year - age - 1, 9, 1)


def households() -> list[list[Spec]]:
    """Sixteen households, 77 people: every age group, both sexes, unknown and estimated
    ages."""
    result = []
    for index in range(16):
        members = [
            Spec("M" if index % 3 else "F", 30 + index * 2, "head", latin=index == 0),
            Spec("F" if index % 3 else "M", 27 + index, "spouse", precision="year"),
            Spec("F" if index % 2 else "M", 1 + index % 4, "child"),  # 0-4
            Spec(
                "M" if index % 3 else "F",
                6 + index % 6,  # 5-11
                "child",
                precision="estimated" if index % 2 else "exact",
            ),
        ]
        if index % 2 == 0:
            members.append(Spec("F", 12 + index % 6, "child"))  # 12-17
        if index % 4 == 1:
            members.append(Spec("M", 61 + index, "parent", precision="estimated"))  # 60+
        if index == 5:
            members.append(Spec("F", None, "other_relative"))  # unknown age
        result.append(members)
    return result


HOUSEHOLDS = households()


def by_sex(specs: list[Spec]) -> tuple[int, int]:
    return sum(1 for s in specs if s.sex == "F"), sum(1 for s in specs if s.sex == "M")


EVERYONE = [s for h in HOUSEHOLDS for s in h]
FEMALE, MALE = by_sex(EVERYONE)
# Vehicle 1 takes the first nine households; 2 and 3 the even and the odd ones after them.
VEHICLES = {
    1: HOUSEHOLDS[:9],
    2: [h for i, h in enumerate(HOUSEHOLDS) if i >= 9 and i % 2 == 0],
    3: [h for i, h in enumerate(HOUSEHOLDS) if i >= 9 and i % 2 == 1],
}


def vehicle_counts(number: int) -> list[str]:
    households = VEHICLES[number]
    specs = [s for h in households for s in h]
    return [str(number), str(len(households)), str(len(specs)), *map(str, by_sex(specs))]


def group_of(age: int | None) -> str:
    if age is None:
        return "unknown"
    for highest, group in ((4, "0-4"), (11, "5-11"), (17, "12-17"), (59, "18-59")):
        if age <= highest:
            return group
    return "60+"


def expected_counts(specs: list[Spec]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for spec in specs:
        key = (spec.sex, group_of(spec.age))
        counts[key] = counts.get(key, 0) + 1
    return counts


def person_data(spec: Spec, household: int, member: int) -> PersonData:
    names = FEMALE_NAMES if spec.sex == "F" else MALE_NAMES
    values = {
        "first_name_ar": names[(household + member) % len(names)],
        "father_name_ar": FATHER_NAMES[(household + member) % len(FATHER_NAMES)],
        "grandfather_name_ar": GRANDFATHER_NAMES[household % len(GRANDFATHER_NAMES)],
        "family_name_ar": FAMILY_NAMES[household],
        "sex": spec.sex,
        "relationship": spec.relationship,
        "date_of_birth": born(spec.age) if spec.age is not None else None,
        "dob_precision": spec.precision if spec.age is not None else "",
        "documents": {"national_id": "held"} if member == 0 else {"birth_certificate": "held"},
    }
    if spec.latin:
        values |= {
            "first_name_lat": "Amina",
            "father_name_lat": "Abd al-Karim",
            "family_name_lat": LATIN_FAMILY,
        }
    return PersonData.from_mapping(values)


def make_movement(by, *, households=HOUSEHOLDS, vehicles=3, reference="MV-2025-017"):
    """A convoy to a rehabilitation centre: the first nine households in vehicle 1 (more
    than a page), the rest shared between the others."""
    centre = Centre.objects.create(
        name_ar="مركز التأهيل التجريبي", name_en="Test centre", place=place("IQG01Q01N01")
    )
    movement = Movement.objects.create(
        organisation=by.organisation,
        reference=reference,
        kind=Movement.Kind.CONVOY,
        pathway=Pathway.IRAQI_REPATRIATION,
        departs_on=DEPARTS,
        origin=place("SY080006-HOL"),
        centre=centre,
        capacity=120,
        vehicles=vehicles,
        created_by=by,
    )
    for index, specs in enumerate(households):
        household = register(
            by,
            reference=f"A-{index + 1:04d}",
            members=[person_data(spec, index, n) for n, spec in enumerate(specs)],
        )
        vehicle = 1 if vehicles == 1 or index < 9 else 2 + index % (vehicles - 1)
        for person in Person.objects.filter(household=household).order_by("-id"):
            Passenger.objects.create(
                movement=movement, person=person, household=household, vehicle=vehicle, added_by=by
            )
    return movement


# Text extraction. pypdf's layout mode gives each line as drawn, left to right (visual
# order), which is what a reader sees. Read right to left, a line is that string
# reversed, except that runs of Latin letters and digits read left to right inside it: this
# turns them back. Cells are separated by two spaces or more.
LTR_RUN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-.:/~']| (?=[A-Za-z0-9]))*")


def reading_order(visual_line: str) -> str:
    return LTR_RUN.sub(lambda m: m.group(0)[::-1], visual_line[::-1]).strip()


def cells(line: str) -> list[str]:
    return re.split(r" {2,}", line)


def pdf_pages(pdf: bytes) -> list[list[str]]:
    """Each page's lines, in reading order; Arabic presentation forms, if an extractor
    returns them, folded into letters."""
    return [
        [
            reading_order(unicodedata.normalize("NFKC", line))
            for line in page.extract_text(extraction_mode="layout").splitlines()
            if line.strip()
        ]
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def pdf_text(pdf: bytes) -> str:
    """All the PDF's text, line by line in reading order (for other tests)."""
    return "\n".join(line for page in pdf_pages(pdf) for line in page)


HEADING = [
    "م",
    "رقم الأسرة",
    "الاسم الكامل",
    "الجنس",
    "العمر",
    "الصلة برب الأسرة",
    "الجنسية",
    "الوثائق المدنية",
    "الحالة",
    "المرافق",
    "التوقيع",
]


@pytest.fixture
def movement(caseworker):
    return make_movement(caseworker)


# -- content -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_list_people_by_vehicle_and_household_head_first(movement):
    rows = manifest_rows(movement)
    assert len(rows) == sum(len(h) for h in HOUSEHOLDS) == 77
    assert [r.number for r in rows] == list(range(1, 78))
    assert [r.vehicle for r in rows] == sorted(r.vehicle for r in rows)
    first = rows[0]
    assert first.household_reference == "A-0001" and first.starts_household
    assert first.relationship == "ربة الأسرة"  # the first household's head is a woman
    assert first.name_ar == "آمنة عبد الكريم حمدان الراوي"
    assert first.name_lat == "Amina Abd al-Karim Al-Rawi"
    assert [r.relationship for r in rows[1:5]] == ["زوج", "ابنة", "ابنة", "ابن"]
    assert not any(r.starts_household for r in rows[1:5])
    # Then the children from the eldest.
    assert [r.age for r in rows[2:5]] == [12, 6, 1]
    assert rows[3].age_estimated is False and rows[3].age_label == "6"
    assert rows[0].documents == "هوية" and rows[1].documents == "بيان ولادة"


@pytest.mark.django_db
def test_rows_show_estimated_and_unknown_ages(movement):
    rows = manifest_rows(movement)
    estimated = next(r for r in rows if r.household_reference == "A-0002" and r.age == 7)
    assert estimated.age_estimated and estimated.age_label == "~7"
    unknown = next(r for r in rows if r.age is None)
    assert unknown.age_group == "unknown" and unknown.age_label == "—"
    assert unknown.household_reference == "A-0006"


@pytest.mark.django_db
def test_totals_count_people_by_sex_and_age_group(movement):
    totals = manifest_totals(manifest_rows(movement))
    expected = expected_counts(EVERYONE)
    for sex in ("F", "M"):
        for group in ("0-4", "5-11", "12-17", "18-59", "60+", "unknown"):
            assert totals.count(sex, group) == expected.get((sex, group), 0), (sex, group)
    assert totals.people == 77 and totals.households == 16
    assert totals.female + totals.male == 77
    assert [
        [str(v.vehicle), str(v.households), str(v.people), str(v.female), str(v.male)]
        for v in totals.by_vehicle
    ] == [vehicle_counts(n) for n in (1, 2, 3)]
    assert [v.households for v in totals.by_vehicle] == [9, 3, 4]


@pytest.mark.django_db
def test_totals_of_a_small_movement(caseworker):
    movement = make_movement(
        caseworker,
        households=[
            [Spec("F", 40, "head"), Spec("M", 3, "child"), Spec("F", 70, "parent")],
            [Spec("M", 16, "head"), Spec("F", None, "sibling"), Spec("F", 4, "sibling")],
        ],
        vehicles=1,
    )
    totals = manifest_totals(manifest_rows(movement))
    assert [(g.code, g.female, g.male) for g in totals.by_age_group] == [
        ("0-4", 1, 1),
        ("5-11", 0, 0),
        ("12-17", 0, 1),
        ("18-59", 1, 0),
        ("60+", 1, 0),
        ("unknown", 1, 0),
    ]
    assert (totals.households, totals.people, totals.female, totals.male) == (2, 6, 4, 2)


@pytest.mark.django_db
def test_people_taken_off_the_movement_are_left_out(movement):
    taken_off = movement.passengers.get(
        person__relationship="spouse", household__reference="A-0003"
    )
    Person.objects.filter(pk=taken_off.person_id).update(first_name_ar="غالية")
    taken_off.status = Passenger.Status.REMOVED
    taken_off.save()
    rows = manifest_rows(movement)
    assert len(rows) == 76
    assert not any(r.name_ar.startswith("غالية") for r in rows)
    assert "غالية" not in str(pdf_pages(manifest_pdf(movement)))


@pytest.mark.django_db
def test_rows_show_status_escort_and_documents(caseworker, movement):
    child_head = register(
        caseworker,
        reference="A-0099",
        members=[person_data(Spec("M", 14, "head"), 3, 5)],
    )
    child = Person.objects.get(household=child_head)
    escort = movement.passengers.get(household__reference="A-0002", person__relationship="head")
    Passenger.objects.create(
        movement=movement,
        person=child,
        household=child_head,
        vehicle=2,
        escort=escort.person,
        added_by=caseworker,
    )
    no_show = movement.passengers.filter(household__reference="A-0004").first()
    no_show.status = Passenger.Status.NO_SHOW
    no_show.save()
    rows = {r.name_ar: r for r in manifest_rows(movement)}
    assert rows[child.full_name_ar].escort == escort.person.full_name_ar
    assert rows[child.full_name_ar].documents == "بيان ولادة"
    assert rows[no_show.person.full_name_ar].status_label in ("لم يحضر", "لم تحضر")
    assert rows[escort.person.full_name_ar].status_label == "مجدول"
    # Who did not show stays on the list, out of the totals; the escorted child counts.
    totals = manifest_totals(list(rows.values()))
    assert (len(rows), totals.people, totals.no_show, totals.households) == (78, 77, 1, 17)


@pytest.mark.django_db
def test_a_child_born_on_the_way_is_listed_under_a_year_old(caseworker, movement):
    mother = movement.passengers.get(household__reference="A-0002", person__relationship="spouse")
    baby = Person.objects.create(
        organisation=caseworker.organisation,
        household=mother.household,
        relationship="child",
        first_name_ar="أمل",
        family_name_ar="العبيدي",
        sex="F",
        date_of_birth=DEPARTS + datetime.timedelta(days=1),
        dob_precision="exact",
    )
    Passenger.objects.create(
        movement=movement,
        person=baby,
        household=mother.household,
        vehicle=mother.vehicle,
        status=Passenger.Status.DEPARTED,
        born_on_the_way=True,
        added_by=caseworker,
    )
    row = next(r for r in manifest_rows(movement) if r.name_ar == "أمل العبيدي")
    assert (row.age, row.age_group, row.status_label) == (0, "0-4", "غادرت، ولدت في الطريق")


@pytest.mark.django_db
def test_the_manifest_takes_a_fixed_number_of_queries(movement, django_assert_max_num_queries):
    passengers = list(movement.passengers.all())  # as a caller might pass them, unjoined
    with django_assert_max_num_queries(6):
        manifest_rows(movement, passengers=passengers)
    with django_assert_max_num_queries(10):
        manifest_pdf(Movement.objects.get(pk=movement.pk))


# -- PDF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pdf_of_an_empty_movement_to_a_place_says_so(caseworker):
    movement = make_movement(caseworker, households=[], vehicles=2)
    movement.centre, movement.destination = None, place("IQG01Q01N01")
    movement.save()
    lines = [
        line for page in pdf_pages(manifest_pdf(movement, printed_on=PRINTED)) for line in page
    ]
    assert "لا أحد على هذه الحركة." in lines
    to = next(cells(line) for line in lines if cells(line)[0] == "إلى")
    assert to[1].startswith("العامرية، ")  # the community, then its governorate
    assert "عدد الأسر: 0 — عدد الأشخاص: 0 — إناث: 0 — ذكور: 0" in lines


@pytest.mark.django_db
def test_pdf_rows_read_right_to_left_with_names_in_order(movement):
    pages = pdf_pages(manifest_pdf(movement, printed_on=PRINTED))
    lines = [line for page in pages for line in page]
    rows = manifest_rows(movement)
    by_number = {cells(line)[0]: cells(line) for line in lines if cells(line)[0].isdigit()}
    for row in rows:
        expected = [
            str(row.number),
            row.household_reference,
            row.name_ar,
            row.sex_label,
            row.age_label,
            row.relationship,
            row.nationality,
            row.documents,
            row.status_label,
        ]
        assert by_number[str(row.number)] == expected
    # The name in Latin letters, under the Arabic, left to right.
    first = next(i for i, line in enumerate(lines) if cells(line)[0] == "1")
    assert lines[first + 1] == "Amina Abd al-Karim Al-Rawi"
    assert by_number["8"][4] == "~62"  # an estimated age


@pytest.mark.django_db
def test_pdf_header_names_the_movement(movement):
    page = pdf_pages(manifest_pdf(movement, printed_on=PRINTED))[0]
    assert cells(page[0]) == ["سري — بيانات شخصية", "كشف ركاب الحركة MV-2025-017"]
    assert page[1] == "كشف ركاب الحركة MV-2025-017"
    assert cells(page[3]) == [
        "رقم الحركة",
        "MV-2025-017",
        "النوع",
        "قافلة برية",
        "المسار",
        "إعادة إلى العراق عبر مركز تأهيل",
        "تاريخ المغادرة",
        "2025-06-01",
        "من المخيم",
        "مخيم الهول",
    ]
    assert cells(page[4]) == [
        "إلى",
        "مركز التأهيل التجريبي، العامرية، الانبار",
        "السعة (أشخاص)",
        "120",
        "عدد المركبات",
        "3",
        "المنظمة",
        "منظمة أ",
        "تاريخ الطباعة",
        "2025-05-30",
    ]
    assert cells(page[5]) == ["المركبة 1", "عدد الأسر: 9 — عدد الأشخاص: 44"]


@pytest.mark.django_db
def test_pdf_pages_are_numbered_and_repeat_the_heading_and_the_confidential_mark(movement):
    pages = pdf_pages(manifest_pdf(movement, printed_on=PRINTED))
    assert len(pages) == 5  # vehicle 1 on two pages, vehicles 2 and 3, the totals
    for number, lines in enumerate(pages, start=1):
        assert cells(lines[0])[0] == "سري — بيانات شخصية"
        assert cells(lines[-1]) == [f"صفحة {number} من 5", "منظمة أ — طبع في 2025-05-30"]
        headings = [line for line in lines if cells(line) == HEADING]
        assert len(headings) == (1 if number < 5 else 0), number
    # Page 2 goes on with vehicle 1, under the repeated heading, without a new title.
    second = pages[1]
    assert cells(second[1]) == HEADING
    assert cells(second[2])[:2] == ["21", "A-0005"]
    assert not any(line.startswith("المركبة") for line in second)
    assert pages[2][1].startswith("المركبة 2")


@pytest.mark.django_db
def test_pdf_totals_by_sex_and_age_group(movement):
    totals_page = pdf_pages(manifest_pdf(movement, printed_on=PRINTED))[-1]
    expected = expected_counts(EVERYONE)
    assert expected[("F", "unknown")] == 1 and expected[("M", "60+")] == 4
    assert totals_page[1] == "المجاميع"
    assert totals_page[2] == f"عدد الأسر: 16 — عدد الأشخاص: 77 — إناث: {FEMALE} — ذكور: {MALE}"
    by_label = {cells(line)[0]: cells(line) for line in totals_page[3:]}
    assert by_label["الفئة العمرية"][:4] == ["الفئة العمرية", "إناث", "ذكور", "المجموع"]
    for group, label in [
        ("0-4", "0-4"),
        ("5-11", "5-11"),
        ("12-17", "12-17"),
        ("18-59", "18-59"),
        ("60+", "60 فأكثر"),
        ("unknown", "غير معروف"),
    ]:
        female, male = expected.get(("F", group), 0), expected.get(("M", group), 0)
        assert by_label[label][:4] == [label, str(female), str(male), str(female + male)]
    assert by_label["المجموع"][:4] == ["المجموع", str(FEMALE), str(MALE), "77"]
    # The vehicles' table stands beside, further along the lines: three vehicles and a total.
    assert [cells(line)[4:] for line in totals_page[4:7]] == [vehicle_counts(n) for n in (1, 2, 3)]
    assert by_label["18-59"][4:] == ["المجموع", "16", "77", str(FEMALE), str(MALE)]


def _to_unicode(font) -> dict[int, str]:
    """A PDF font's glyph id → text map (its ToUnicode CMap)."""
    data = font["/ToUnicode"].get_object().get_data().decode()
    glyphs: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for glyph, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            glyphs[int(glyph, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return glyphs


@pytest.mark.django_db
def test_pdf_embeds_the_shipped_naskh_font_and_shapes_arabic(movement, monkeypatch):
    from fontTools.ttLib import TTFont

    from awda.returns import manifest

    fetched = []
    make_fetcher = manifest._asset_fetcher

    def recording_fetcher():
        fetcher = make_fetcher()
        fetch = fetcher.fetch

        def record(url, headers=None):
            fetched.append(url.rsplit("/", 1)[-1])
            return fetch(url, headers)

        fetcher.fetch = record
        return fetcher

    monkeypatch.setattr(manifest, "_asset_fetcher", recording_fetcher)
    reader = PdfReader(io.BytesIO(manifest_pdf(movement)))
    # The fonts come from the project's files, not from the system's (which may hold the
    # same Noto Naskh Arabic: then only the names below tell which was used).
    assert {
        "NotoNaskhArabic-Regular.ttf",
        "NotoNaskhArabic-Bold.ttf",
        "noto-naskh-arabic-latin-400-normal.woff2",
        "noto-naskh-arabic-latin-700-normal.woff2",
    } <= set(fetched)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            fonts[str(font["/BaseFont"]).split("+", 1)[1]] = (font, program)
    # Every glyph is in one of the shipped faces (named after their @font-face rules), none
    # in a system fallback.
    assert {name: p["name"].getDebugName(1) for name, (_, p) in fonts.items()} == {
        "Awda-Manifest-Naskh": "Noto Naskh Arabic",
        "Awda-Manifest-Naskh-Bold": "Noto Naskh Arabic",
        "Awda-Manifest-Latin": "Noto Naskh Arabic",  # its Latin subset
        "Awda-Manifest-Latin-Bold": "Noto Naskh Arabic",
    }
    # Shaped: letters take their joined forms, glyphs other than the letter's own (the
    # subset keeps the font's glyph ids).
    shipped = TTFont(
        manifest.CSS_FILE.parents[1]
        / "static/vendor/fonts/noto-naskh-arabic/ttf/NotoNaskhArabic-Regular.ttf"
    )
    nominal = shipped.getBestCmap()
    glyphs = _to_unicode(fonts["Awda-Manifest-Naskh"][0])
    for letter in "بمعيهلس":
        used = {shipped.getGlyphName(gid) for gid, text in glyphs.items() if text == letter}
        assert len(used) >= 2 and used - {nominal[ord(letter)]}, letter


def test_the_pdf_renderer_reads_no_file_but_the_stylesheet_and_fonts(tmp_path):
    from awda.returns.manifest import CSS_FILE, _asset_fetcher

    fetcher = _asset_fetcher()
    assert b"@font-face" in fetcher.fetch(CSS_FILE.as_uri()).read()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    for url in [
        secret.as_uri(),
        "https://example.org/font.ttf",
        CSS_FILE.as_uri() + "/../../settings.py",
    ]:
        with pytest.raises(ValueError, match="may not load"):
            fetcher.fetch(url)


# -- XLSX --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_xlsx_lists_everyone_right_to_left_with_totals(movement):
    book = openpyxl.load_workbook(io.BytesIO(manifest_xlsx(movement, printed_on=PRINTED)))
    assert book.sheetnames == ["Manifest", "Totals"]
    sheet = book["Manifest"]
    assert sheet.sheet_view.rightToLeft is True
    assert book["Totals"].sheet_view.rightToLeft is True
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "كشف ركاب الحركة — سري — بيانات شخصية"
    assert values[1][:2] == ["رقم الحركة", "MV-2025-017"]
    heading = next(i for i, r in enumerate(values) if r[0] == "م")
    assert values[heading][:5] == [
        "م",
        "المركبة",
        "رقم الأسرة",
        "الاسم الكامل",
        "الاسم بالأحرف اللاتينية",
    ]
    people = values[heading + 1 :]
    assert len(people) == 77
    assert people[0][:8] == [
        1,
        1,
        "A-0001",
        "آمنة عبد الكريم حمدان الراوي",
        "Amina Abd al-Karim Al-Rawi",
        "أنثى",
        30,
        None,
    ]
    estimated = next(r for r in people if r[2] == "A-0002" and r[6] == 7)
    assert estimated[7] == "تقديري"
    totals = [list(r) for r in book["Totals"].iter_rows(values_only=True)]
    expected = expected_counts(EVERYONE)
    assert totals[0][:4] == ["الفئة العمرية", "إناث", "ذكور", "المجموع"]
    assert totals[1][:4] == ["0-4", expected[("F", "0-4")], expected[("M", "0-4")], 16]
    assert totals[7][:4] == ["المجموع", FEMALE, MALE, 77]
    assert totals[9][:2] == ["عدد الأسر", 16]


@pytest.mark.django_db
def test_xlsx_keeps_a_name_that_looks_like_a_formula_as_text(movement):
    person = movement.passengers.order_by("id").first().person
    Person.objects.filter(pk=person.pk).update(
        first_name_lat='=HYPERLINK("http://example.org","x")',
        father_name_lat="",
        family_name_lat="",
    )
    Person.objects.filter(pk=movement.passengers.order_by("id")[1].person_id).update(
        first_name_lat="@SUM(A1)"
    )
    book = openpyxl.load_workbook(io.BytesIO(manifest_xlsx(movement)))
    sheet = book["Manifest"]
    found = {}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value[:1] in "=@":
                found[cell.value] = cell
    assert set(found) == {'=HYPERLINK("http://example.org","x")', "@SUM(A1)"}
    for cell in found.values():
        assert cell.data_type == "s"  # text, not a formula
        assert cell.quotePrefix is True
