"""The demo's imports, through the import's own services: an agency's Arabic registration
list checked and waiting for the registrar (a few rows to correct, a misspelt place with
its suggested P-code, one family already registered), and a Kobo export of the
registration form, committed, whose households are now in the registry."""

from __future__ import annotations

import io
import json
import random
import uuid

from openpyxl import Workbook

from awda.accounts.models import User
from awda.demo import names
from awda.imports import services
from awda.registry.models import Household

HEADERS = [
    "رقم العائلة", "الاسم الأول", "اسم الأب", "اسم الجد", "الكنية", "الجنس", "تاريخ الميلاد",
    "صلة القرابة", "المخيم", "القطاع", "البلوك", "الخيمة", "المحافظة", "الجنسية",
]  # fmt: skip
# Households of the Kobo export, committed: in the registry beside the generated ones.
KOBO_HOUSEHOLDS = 5
GOVERNORATES = ["دير الزور", "الرقة", "الحسكة", "حلب"]


def _family(rng: random.Random, reference: str, size: int) -> list[list[str]]:
    men = [n[0] for n in names.MALE_FIRST[:60]]
    women = [n[0] for n in names.FEMALE_FIRST[:60]]
    families = [n[0] for n in names.FAMILY_NAMES_SY[:80]]
    family = rng.choice(families)
    father, grandfather = rng.choice(men), rng.choice(men)
    year = rng.randint(1965, 1995)
    section = rng.randint(1, 8)
    block, tent = str(rng.randint(1, 8)), str(rng.randint(1, 300))
    governorate = rng.choice(GOVERNORATES)
    rows = [
        [reference, father, grandfather, rng.choice(men), family, "ذكر",
         f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}", "رب الأسرة", "مخيم الهول",
         f"القطاع {section}", block, tent, governorate, "سوري"],
        [reference, rng.choice(women), rng.choice(men), "", rng.choice(families), "أنثى",
         str(year + rng.randint(0, 6)), "زوجة", "مخيم الهول", f"القطاع {section}", block,
         tent, governorate, "سورية"],
    ]  # fmt: skip
    for _index in range(size - 2):
        girl = rng.random() < 0.5
        rows.append(
            [reference, rng.choice(women if girl else men), father, grandfather, family,
             "أنثى" if girl else "ذكر", str(rng.randint(max(year + 18, 2005), 2024)),
             "ابنة" if girl else "ابن", "مخيم الهول", f"القطاع {section}", block, tent,
             governorate, "سوري"]
        )  # fmt: skip
    return rows


def _agency_list(rng: random.Random, registered: Household) -> bytes:
    rows: list[list[str]] = [HEADERS]
    for number in range(1, 9):
        rows += _family(rng, f"NGO-{number:03d}", rng.randint(2, 6))
    # What a real list brings: a date that does not exist, a governorate run together,
    # a sex the check cannot read, and a family registered already.
    rows[3][6] = "31/02/2016"
    rows[5][12] = "ديرالزور"
    rows[8][5] = "م"
    head = registered.members.get(relationship="head")
    dob = head.date_of_birth.strftime("%d/%m/%Y") if head.date_of_birth else ""
    rows.append(
        ["NGO-009", head.first_name_ar, head.father_name_ar, head.grandfather_name_ar,
         head.family_name_ar, "ذكر" if head.sex == "M" else "أنثى", dob, "رب الأسرة",
         "مخيم الهول", "", "", "", "الحسكة", "سوري"]
    )  # fmt: skip
    book = Workbook()
    sheet = book.active
    sheet.title = "قائمة"
    sheet.sheet_view.rightToLeft = True
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kobo_export(rng: random.Random) -> bytes:
    submissions = []
    for _number in range(KOBO_HOUSEHOLDS):
        family = rng.choice([n[0] for n in names.FAMILY_NAMES_IQ[:60]])
        men = [n[0] for n in names.MALE_FIRST[:60]]
        women = [n[0] for n in names.FEMALE_FIRST[:60]]
        father = rng.choice(men)
        members = [
            {"members/relationship": "head", "members/first_name_ar": rng.choice(women),
             "members/father_name_ar": rng.choice(men), "members/family_name_ar": family,
             "members/sex": "F",
             "members/date_of_birth": f"{rng.randint(1970, 1995)}-0{rng.randint(1, 9)}-15",
             "members/dob_precision": "exact", "members/nationality": "IQ"},
        ]  # fmt: skip
        for _child in range(rng.randint(1, 4)):
            girl = rng.random() < 0.5
            members.append(
                {"members/relationship": "child",
                 "members/first_name_ar": rng.choice(women if girl else men),
                 "members/father_name_ar": father, "members/family_name_ar": family,
                 "members/sex": "F" if girl else "M",
                 "members/date_of_birth": str(rng.randint(2008, 2023)),
                 "members/dob_precision": "year", "members/nationality": "IQ"}
            )  # fmt: skip
        submissions.append(
            {
                "_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "_xform_id_string": "awda_registration",
                "household/camp": "SY080006-HOL",
                "household/camp_section": "SY080006-HOL-AX",
                "household/household_nationality": "IQ",
                "household/origin_governorate": "IQG01",
                "members": members,
            }
        )
    return json.dumps({"count": len(submissions), "results": submissions}).encode()


def load_imports(users: dict[str, User], rng: random.Random) -> None:
    registrar = users["registrar.a"]
    registered = (
        Household.objects.filter(organisation=registrar.organisation, members__relationship="head")
        .order_by("pk")
        .first()
    )
    if registered is None:
        return
    kobo = services.batch_start(
        by=registrar,
        content=_kobo_export(rng),
        file_name="awda_registration_2026_10_30.json",
        check_now=True,
    )
    if kobo.problem_count == 0:
        services.batch_commit(kobo, by=registrar, skip_bad_rows=False, progress=lambda _p, _m: None)
    services.batch_start(
        by=registrar,
        content=_agency_list(rng, registered),
        file_name="قائمة تسجيل - منظمة شريكة.xlsx",
        check_now=True,
    )
