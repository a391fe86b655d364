"""The subject access export as a PDF in Arabic: the same content as the JSON
(awda.rights.access), laid out as sections of fields and tables, right to left, with the
Noto Naskh Arabic font shipped with Awda, "سري — بيانات شخصية" on every page and
"صفحة X من Y" at the foot.

As for the movement manifest (awda.returns.manifest), the document's own words are
written here in Arabic (the English beside them), so that a printed copy never depends on
the translation catalogue; the labels of codes come from the models' choices, with
Arabic active. The renderer reads the stylesheet and the fonts and nothing else.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import TextChoices
from django.template.loader import render_to_string
from django.utils import timezone, translation

from awda.audit.models import Action
from awda.cases.models import Case, CaseEvent, Referral, ServiceRecord
from awda.community.models import CommunityActor, Sponsorship
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.mhpss.models import Session
from awda.registry.countries import NATIONALITIES
from awda.registry.models import CivilDocument, Household, Membership, Person, SpecificNeed
from awda.reintegration.models import FollowUp as ReintegrationFollowUp
from awda.returns.models import Movement, Passenger, Pathway
from awda.tracing.models import Relation, TracingRequest

CSS_FILE = Path(__file__).resolve().with_name("subject_access.css")
_FONTS = Path(__file__).resolve().parents[1] / "static" / "vendor" / "fonts"
NONE = "—"
TITLE = "نسخة من البيانات الشخصية المحفوظة"  # a copy of the personal data held


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Block:
    """A titled group: fields (label, value) and tables under them."""

    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Section:
    title: str
    blocks: list[Block]

    @property
    def empty(self) -> bool:
        return not any(b.fields or any(t.rows for t in b.tables) for b in self.blocks)


def _when(value: str | None) -> str:
    """An ISO date-time of the export, as a reader reads it: local time, to the minute."""
    if not value:
        return NONE
    moment = timezone.localtime(datetime.datetime.fromisoformat(value))
    # The mark keeps date and time in reading order inside right-to-left text.
    return f"\u200e{moment:%Y-%m-%d %H:%M}"


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, bool):
        return "نعم" if value else "لا"  # yes, no
    if isinstance(value, dict) and "pcode" in value:
        return f"{value['name_ar']} ({value['pcode']})"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _label(choices: type[TextChoices] | dict[str, Any], code: Any) -> str:
    if code in (None, ""):
        return NONE
    labels = choices if isinstance(choices, dict) else dict(choices.choices)
    return str(labels.get(code, code))


_NATIONALITY = dict(NATIONALITIES)


def _registration(person: dict[str, Any], title: str) -> Block:
    names = [
        ("الاسم الأول", "first_name"),  # first name
        ("اسم الأب", "father_name"),  # father's name
        ("اسم الجد", "grandfather_name"),  # grandfather's name
        ("الكنية", "family_name"),  # family name
    ]
    fields = [("رقم التسجيل", _text(person["id"]))]  # registration number
    for label, key in names:
        fields.append((label, _text(person[f"{key}_ar"])))
    for label, key in names:
        fields.append((f"{label} (بالأحرف اللاتينية)", _text(person[f"{key}_lat"])))
    fields += [
        ("الجنس", _label(Person.Sex, person["sex"])),  # sex
        ("تاريخ الميلاد", _text(person["date_of_birth"])),  # date of birth
        ("دقة التاريخ", _label(Person.DobPrecision, person["date_of_birth_precision"])),
        ("الجنسية", _label(_NATIONALITY, person["nationality"])),  # nationality
        ("الصلة برب الأسرة", _label(Person.Relationship, person["relationship"])),
        ("رقم الأسرة الحالية", _text(person["household"])),  # current household
        ("تاريخ التسجيل", _when(person["registered_at"])),  # registered on
        ("المنظمة", _text(person["organisation"])),  # organisation
    ]
    documents = Table(
        "الوثائق المدنية",  # civil documents
        ["الوثيقة", "الحالة"],  # document, status
        [
            [_label(CivilDocument.Kind, d["kind"]), _label(CivilDocument.Status, d["status"])]
            for d in person["documents"]
        ],
    )
    needs = Table(
        "الاحتياجات الخاصة",  # specific needs
        ["الرمز", "الوصف"],  # code, description
        [[code, _label(SpecificNeed.Code, code)] for code in person["specific_needs"]],
    )
    return Block(title, fields, [documents, needs])


def _households(data: dict[str, Any]) -> list[Block]:
    blocks = [
        Block(
            "تاريخ العضوية في الأسر",  # household membership history
            tables=[
                Table(
                    "",
                    ["رقم الأسرة", "الصلة", "من", "إلى", "السبب"],  # household, ..., from, to
                    [
                        [
                            m["household_reference"],
                            _label(Person.Relationship, m["relationship"]),
                            _text(m["started_on"]),
                            _text(m["ended_on"]),
                            _label(Membership.EndReason, m["end_reason"]),
                        ]
                        for m in data["memberships"]
                    ],
                )
            ],
        )
    ]
    for h in data["households"]:
        fields = [
            ("رقم الأسرة", h["reference"]),  # household reference
            ("المخيم", _text(h["camp"])),  # camp
            ("القطاع", _text(h["camp_section"])),  # section
            ("البلوك", _text(h["camp_block"])),  # block
            ("الخيمة", _text(h["tent"])),  # tent
            ("مكان الأصل", _text(h["origin"])),  # origin
            ("الوجهة المقصودة", _text(h["destination"])),  # intended destination
            ("الجنسية", _label(_NATIONALITY, h["nationality"])),  # nationality
            ("مرحلة العودة", _label(Household.Status, h["stage"])),  # return stage
            ("تاريخ التسجيل", _text(h["registered_on"])),  # registered on
        ]
        members = Table(
            "الأفراد (بالأرقام فقط)",  # members (by number only)
            ["رقم الشخص", "الصلة برب الأسرة", "الجنس", "سنة الميلاد"],
            [
                [
                    _text(m["person"]),
                    _label(Person.Relationship, m["relationship"]),
                    _label(Person.Sex, m["sex"]),
                    _text(m["birth_year"]),
                ]
                for m in h["members"]
            ],
        )
        blocks.append(Block(f"الأسرة {h['reference']}", fields, [members]))  # household
    return blocks


def _cases(data: dict[str, Any]) -> list[Block]:
    blocks = []
    for c in data["cases"]:
        fields = [
            ("رقم الحالة", c["reference"]),  # case reference
            ("المنظمة", c["organisation"]),  # organisation
            ("النوع", "حالة فردية" if c["person"] else "حالة أسرة"),  # individual / family case
            ("المرحلة", _label(Case.Status, c["status"])),  # status
            ("الخطورة", _label(Case.Risk, c["risk"])),  # risk
            ("تاريخ الفتح", _text(c["opened_on"])),  # opened on
            ("تاريخ الإغلاق", _text(c["closed_on"])),  # closed on
        ]
        tables = [
            Table(
                "سجل الحالة",  # case history
                ["التاريخ", "الخطوة", "من", "إلى", "التعليق"],  # date, step, from, to, comment
                [
                    [
                        _when(e["at"]),
                        _label(CaseEvent.Kind, e["kind"]),
                        _label(Case.Status, e["from_status"]),
                        _label(Case.Status, e["to_status"]),
                        _text(e["comment"]),
                    ]
                    for e in c["events"]
                ],
            ),
            Table(
                "الملاحظات",  # notes
                ["التاريخ", "النص"],
                [[_when(n["written_at"]), _text(n["text"])] for n in c["notes"]],
            ),
            Table(
                "التقييمات",  # assessments
                ["النموذج", "التاريخ", "الإجابات"],  # form, date, answers
                [
                    [
                        f"{a['form']} v{a['form_version']}",
                        _when(a["recorded_at"]),
                        "؛ ".join(f"{k}: {_text(v)}" for k, v in (a["answers"] or {}).items()),
                    ]
                    for a in c["assessments"]
                ],
            ),
            Table(
                "الخدمات",  # services
                ["الخدمة", "عن طريق", "التاريخ", "ملاحظة"],
                [
                    [
                        _label(Referral.Service, s["service"]),
                        _label(ServiceRecord.Channel, s["channel"]),
                        _text(s["delivered_on"]),
                        _text(s["note"]),
                    ]
                    for s in c["services"]
                ],
            ),
            Table(
                "المتابعات",  # follow-ups
                ["المهمة", "الموعد", "أنجزت في"],  # task, due, done on
                [
                    [_text(f["title"]), _text(f["due_on"]), _text(f["done_on"])]
                    for f in c["follow_ups"]
                ],
            ),
            Table(
                "خطة الحالة",  # case plan
                ["الهدف", "الخطوات"],  # goal, actions
                [
                    [g["title"], "؛ ".join(a["title"] for a in g["actions"]) or NONE]
                    for g in c["goals"]
                ],
            ),
            Table(
                "الملفات المرفقة",  # attached files
                ["العنوان", "النوع", "الحجم (بايت)", "التاريخ"],
                [
                    [a["title"], a["content_type"], _text(a["size"]), _when(a["uploaded_at"])]
                    for a in c["attachments"]
                ],
            ),
        ]
        blocks.append(Block(f"الحالة {c['reference']}", fields, tables))  # case
    referrals = Table(
        "الإحالات والتحويلات",  # referrals and transfers
        ["النوع", "الخدمة", "من", "إلى", "الحالة", "التاريخ", "السبب", "الموافقة", "الرد"],
        [
            [
                _label(Referral.Kind, r["kind"]),
                _label(Referral.Service, r["service"]),
                r["from"],
                r["to"],
                _label(Referral.Status, r["status"]),
                _when(r["created_at"]),
                _text(r["reason"]),
                f"{_label(Referral.Consent, r['consent'])} {_text(r['consent_note'])}",
                _text(r["response_note"]),
            ]
            for r in data["referrals"]
        ],
    )
    return [*blocks, Block("الإحالات", tables=[referrals])]  # referrals


def _mhpss(data: dict[str, Any]) -> list[Block]:
    mhpss = data["mhpss"]
    return [
        Block(
            "الدعم النفسي والاجتماعي",  # psychosocial support
            tables=[
                Table(
                    "المسوحات",  # screenings
                    ["الأداة", "التاريخ", "الإجابات", "الدرجة الخام", "الدرجة", "الفئة", "تنبيهات"],
                    [
                        [
                            s["instrument"].upper(),
                            _text(s["administered_on"]),
                            _text(s["answers"]),
                            _text(s["raw_score"]),
                            _text(s["score"]),
                            _text(s["band"]),
                            _text(s["flags"]),
                        ]
                        for s in mhpss["screenings"]
                    ],
                ),
                Table(
                    "الجلسات",  # sessions
                    ["التاريخ", "النوع", "الدقائق", "الملاحظات"],
                    [
                        [
                            _text(s["held_on"]),
                            _label(Session.Kind, s["kind"]),
                            _text(s["minutes"]),
                            _text(s["notes"]),
                        ]
                        for s in mhpss["sessions"]
                    ],
                ),
            ],
        )
    ]


def _consents(data: dict[str, Any]) -> list[Block]:
    rows = [
        [
            _label(Purpose, c["purpose"]) + (f" ← {c['recipient']}" if c["recipient"] else ""),
            _label(LegalBasis, c["legal_basis"]),
            _label(Consent.GivenBy, c["given_by"])
            + (" (بصفته مقدم الرعاية)" if c["as_caregiver"] else ""),  # as caregiver
            _label(Consent.Assent, c["child_assent"]),
            _text(c["given_on"]),
            _when(c["revoked_at"]),
            _text(c["note"]),
        ]
        for c in data["consents"]
    ]
    headers = [
        "الغرض",
        "الأساس القانوني",
        "من أعطاها",
        "موافقة الطفل",
        "التاريخ",
        "سحبت في",
        "ملاحظة",
    ]
    return [Block("الموافقات والأساس القانوني", tables=[Table("", headers, rows)])]


def _returns(data: dict[str, Any]) -> list[Block]:
    r = data["returns"]
    tables = [
        Table(
            "نوايا العودة",  # return intentions
            ["المسار", "الوجهة", "القرية", "البلد", "الأسباب", "التاريخ"],
            [
                [
                    _label(Pathway, i["pathway"]),
                    _text(i["destination"]),
                    _text(i["village"]),
                    _label(_NATIONALITY, i["country"]),
                    _text(i["reasons"]),
                    _text(i["stated_on"]),
                ]
                for i in r["intentions"]
            ],
        ),
        Table(
            "الحركات (بصفته راكباً)",  # movements (as a passenger)
            ["الحركة", "النوع", "تاريخ المغادرة", "إلى", "المركبة", "الحالة", "ملاحظة"],
            [
                [
                    m["movement"],
                    _label(Movement.Kind, m["kind"]),
                    _text(m["departs_on"]),
                    _text(m["destination"] or m["centre"] or m["country"]),
                    _text(m["vehicle"]),
                    _label(Passenger.Status, m["status"]),
                    _text(m["note"]),
                ]
                for m in r["movements"]
            ],
        ),
        Table(
            "الإقامة في مركز التأهيل",  # rehabilitation centre stays
            ["المركز", "الدخول", "الخروج", "البرامج"],
            [
                [s["centre"], _text(s["entered_on"]), _text(s["exited_on"]), _text(s["programmes"])]
                for s in r["centre_stays"]
            ],
        ),
        Table(
            "الوصول إلى الديار",  # arrival home
            ["التاريخ", "المكان", "القرية"],
            [
                [_text(a["arrived_on"]), _text(a["place"]), _text(a["village"])]
                for a in r["arrivals"]
            ],
        ),
        Table(
            "متابعات إعادة الاندماج",  # reintegration follow-ups
            ["بعد (أشهر)", "الموعد", "الحالة", "ملاحظة"],
            [
                [
                    _text(f["months"]),
                    _text(f["due_on"]),
                    _label(ReintegrationFollowUp.Status, f["status"]),
                    _text(f["note"]),
                ]
                for f in r["follow_ups"]
            ],
        ),
        Table(
            "استبيانات إعادة الاندماج",  # reintegration surveys
            ["الاستبيان", "التاريخ", "الإجابات", "الدرجات"],
            [
                [s["instrument"], _text(s["conducted_on"]), _text(s["answers"]), _text(s["scores"])]
                for s in r["surveys"]
            ],
        ),
        Table(
            "الكفالات المجتمعية",  # community sponsorships
            ["الكفيل", "المكان", "الحالة", "الطلب", "الموافقة", "التحقق", "السحب", "ملاحظة"],
            [
                [
                    _label(CommunityActor.Kind, s["sponsor_kind"]),
                    _text(s["sponsor_place"]),
                    _label(Sponsorship.Status, s["status"]),
                    _text(s["requested_on"]),
                    _text(s["agreed_on"]),
                    _text(s["fulfilled_on"]),
                    _text(s["withdrawn_on"]),
                    _text(s["note"]),
                ]
                for s in data["sponsorships"]
            ],
        ),
    ]
    return [Block("العودة", tables=tables)]  # the return


def _tracing(data: dict[str, Any]) -> list[Block]:
    t = data["tracing"]
    made = Table(
        "طلبات البحث التي قدمها",  # tracing requests made
        ["رقم الطلب", "الشخص المفقود", "الصلة", "الانفصال", "الظروف", "الحالة", "التاريخ"],
        [
            [
                _text(r["id"]),
                " ".join(
                    v
                    for k, v in r["sought"].items()
                    if k.endswith(("_ar", "_lat")) and isinstance(v, str) and v
                )
                or NONE,
                _label(Relation, r["relationship"]),
                _label(TracingRequest.Separation, r["separation"]),
                _text(r["circumstances"]),
                _label(TracingRequest.Status, r["status"]),
                _when(r["created_at"]),
            ]
            for r in t["requests_made"]
        ],
    )
    sought = Table(
        "طلبات بحث عنه تم تأكيدها",  # requests that sought them, confirmed
        ["رقم الطلب", "المنظمة", "الصلة", "الحالة", "التاريخ"],
        [
            [
                _text(r["request"]),
                r["organisation"],
                _label(Relation, r["relationship"]),
                _label(TracingRequest.Status, r["status"]),
                _when(r["created_at"]),
            ]
            for r in t["sought_in"]
        ],
    )
    links = Table(
        "روابط القرابة",  # family links
        ["من", "إلى", "الصلة", "المصدر"],
        [
            [
                _text(x["from_person"]),
                _text(x["to_person"]),
                _label(Relation, x["relation"]),
                x["source"],
            ]
            for x in t["family_links"]
        ],
    )
    return [Block("البحث عن الأقارب", tables=[made, sought, links])]  # family tracing


def _audit(data: dict[str, Any]) -> list[Block]:
    rows = [
        [
            _text(e["seq"]),
            _when(e["at"]),
            _text(e["user"]),
            _text(e["organisation"]),
            _label(Action, e["action"]),
            f"{e['object_type']} #{e['object_id']}",
            "، ".join(e["fields_changed"]) or NONE,
        ]
        for e in data["audit_trail"]
    ]
    headers = ["#", "الوقت", "المستخدم", "المنظمة", "الإجراء", "السجل", "الحقول المعدلة"]
    return [Block("من اطلع على السجلات أو عدلها", tables=[Table("", headers, rows)])]


def sections(data: dict[str, Any]) -> list[Section]:
    with translation.override("ar"):
        registration = [_registration(data["person"], "التسجيل")]  # registration
        registration += [
            _registration(p, f"تسجيل مدمج رقم {p['id']}")  # merged registration
            for p in data["merged_registrations"]
        ]
        return [
            Section("التسجيل", registration),  # registration
            Section("الأسرة", _households(data)),  # household
            Section("إدارة الحالات", _cases(data)),  # case management
            Section("الدعم النفسي والاجتماعي", _mhpss(data)),  # MHPSS
            Section("الموافقات", _consents(data)),  # consents
            Section("العودة وإعادة الاندماج", _returns(data)),  # return and reintegration
            Section("البحث عن الأقارب", _tracing(data)),  # family tracing
            Section("سجل التدقيق", _audit(data)),  # audit trail
        ]


def subject_access_html(data: dict[str, Any], *, organisation: str) -> str:
    person = data["person"]
    name_ar = " ".join(
        person[f"{p}_ar"] for p in ("first_name", "father_name", "grandfather_name", "family_name")
    )
    name_lat = " ".join(
        person[f"{p}_lat"] for p in ("first_name", "father_name", "grandfather_name", "family_name")
    )
    with translation.override("ar"):
        return render_to_string(
            "rights/subject_access_pdf.html",
            {
                "title": TITLE,
                "person": person,
                "name_ar": " ".join(name_ar.split()),
                "name_lat": " ".join(name_lat.split()),
                "organisation": organisation,
                "generated_at": _when(data["generated_at"]),
                "sections": sections(data),
            },
        )


def _asset_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads the stylesheet and the shipped fonts and
    nothing else: no network, no other file, whatever the data holds."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("file://"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                allowed = path == CSS_FILE or path.is_relative_to(_FONTS)
                if allowed and path.is_file():
                    return URLFetcherResponse(url, body=path.read_bytes())
            raise ValueError(f"The subject access export may not load {url}")

    return AssetFetcher()


def subject_access_pdf(data: dict[str, Any], *, organisation: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = subject_access_html(data, organisation=organisation)
    fetcher = _asset_fetcher()
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(CSS_FILE), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url=CSS_FILE.parent.as_uri() + "/")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf
