"""The readiness checklists Awda starts with; administrators change them afterwards
(/returns/checklists/). Loaded by a data migration, and again by the tests after a flush."""

from __future__ import annotations

from typing import Any

DEFAULTS = {
    "sy_sponsorship": [
        ("destination", "destination", "اختيار مكان العودة", "Destination chosen"),
        ("sponsor", "sponsor", "موافقة الكفيل", "Sponsor agreed"),
        (
            "acceptance",
            "acceptance",
            "قبول المجتمع في مكان العودة",
            "Destination community accepting",
        ),
        (
            "documents",
            "documents",
            "وثيقة ثبوتية لكل فرد",
            "Every member holds an identity document",
        ),
        ("medical", "manual", "اللياقة الطبية للسفر", "Medically fit to travel"),
        ("consent", "consent", "موافقة مستنيرة على العودة", "Informed consent to return"),
        (
            "clearance",
            "clearance",
            "تسجيل قرار الموافقة الأمنية",
            "Authorities' clearance recorded",
        ),
    ],
    "iq_repatriation": [
        ("destination", "destination", "اختيار مكان العودة", "Destination chosen"),
        ("medical", "manual", "اللياقة الطبية للسفر", "Medically fit to travel"),
        ("consent", "consent", "موافقة مستنيرة على العودة", "Informed consent to return"),
        (
            "clearance",
            "clearance",
            "تسجيل قرار الموافقة الأمنية",
            "Authorities' clearance recorded",
        ),
    ],
    "third_country": [
        ("destination", "destination", "تحديد بلد الإعادة", "Country of repatriation chosen"),
        (
            "travel_documents",
            "manual",
            "وثائق السفر صادرة عن البلد",
            "Travel documents issued by the country",
        ),
        ("medical", "manual", "اللياقة الطبية للسفر", "Medically fit to travel"),
        ("consent", "consent", "موافقة مستنيرة على العودة", "Informed consent to return"),
    ],
}


def load_default_checklists(ChecklistItem: Any) -> None:
    for pathway, items in DEFAULTS.items():
        for position, (code, rule, label_ar, label_en) in enumerate(items, start=1):
            ChecklistItem.objects.get_or_create(
                pathway=pathway,
                code=code,
                defaults={
                    "rule": rule,
                    "label_ar": label_ar,
                    "label_en": label_en,
                    "position": position * 10,
                },
            )
