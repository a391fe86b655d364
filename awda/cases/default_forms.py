"""The assessment forms Awda ships with (a programme edits them, or loads its own as
XLSForm). Labels in Arabic and English; skip logic in XLSForm syntax."""

from __future__ import annotations

from typing import Any

YES_NO = [
    {"name": "yes", "label": {"ar": "نعم", "en": "Yes"}},
    {"name": "no", "label": {"ar": "لا", "en": "No"}},
]


def _q(name: str, kind: str, ar: str, en: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "label": {"ar": ar, "en": en},
        "required": False,
        "relevant": "",
        "choices": [],
        **extra,
    }


def _c(*pairs: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "label": {"ar": ar, "en": en}} for n, ar, en in pairs]


DEFAULT_FORMS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    (
        "household-vulnerability",
        "تقييم هشاشة الأسرة",
        "Household vulnerability assessment",
        [
            _q(
                "income",
                "select_one",
                "هل للأسرة مصدر دخل؟",
                "Does the household have any income?",
                required=True,
                choices=YES_NO,
            ),
            _q(
                "income_source",
                "text",
                "ما مصدر الدخل؟",
                "What is the source of income?",
                relevant="${income} = 'yes'",
            ),
            _q(
                "debts",
                "select_one",
                "هل على الأسرة ديون؟",
                "Does the household have debts?",
                choices=YES_NO,
            ),
            _q(
                "meals",
                "integer",
                "كم وجبة تتناول الأسرة في اليوم؟",
                "How many meals does the household eat a day?",
                required=True,
            ),
            _q(
                "shelter",
                "select_one",
                "حالة المأوى",
                "State of the shelter",
                choices=_c(
                    ("adequate", "ملائم", "Adequate"),
                    ("damaged", "متضرر", "Damaged"),
                    ("none", "لا يوجد", "None"),
                ),
            ),
            _q(
                "needs",
                "select_multiple",
                "الاحتياجات الأكثر إلحاحاً",
                "Most urgent needs",
                choices=_c(
                    ("food", "غذاء", "Food"),
                    ("health", "صحة", "Health"),
                    ("documents", "وثائق", "Documents"),
                    ("education", "تعليم", "Education"),
                    ("shelter", "مأوى", "Shelter"),
                ),
            ),
        ],
    ),
    (
        "child-protection",
        "تقييم حماية الطفل",
        "Child protection assessment",
        [
            _q(
                "separated",
                "select_one",
                "هل الطفل منفصل عن والديه أو مقدمي الرعاية؟",
                "Is the child separated from parents or caregivers?",
                required=True,
                choices=YES_NO,
            ),
            _q(
                "caregiver",
                "text",
                "من يرعى الطفل حالياً؟",
                "Who cares for the child now?",
                relevant="${separated} = 'yes'",
            ),
            _q(
                "school",
                "select_one",
                "هل يذهب الطفل إلى المدرسة أو مركز تعلم؟",
                "Does the child attend school or a learning centre?",
                choices=YES_NO,
            ),
            _q("work", "select_one", "هل يعمل الطفل؟", "Does the child work?", choices=YES_NO),
            _q(
                "concerns",
                "select_multiple",
                "مخاوف الحماية الملاحظة",
                "Protection concerns observed",
                choices=_c(
                    ("violence", "عنف", "Violence"),
                    ("neglect", "إهمال", "Neglect"),
                    ("distress", "ضيق نفسي", "Distress"),
                    ("exploitation", "استغلال", "Exploitation"),
                ),
            ),
            _q(
                "urgent",
                "select_one",
                "هل يحتاج الطفل إلى تدخل عاجل؟",
                "Does the child need urgent action?",
                required=True,
                choices=YES_NO,
            ),
        ],
    ),
    (
        "civil-documentation",
        "احتياجات الوثائق المدنية",
        "Civil documentation needs",
        [
            _q(
                "has_id",
                "select_one",
                "هل لرب الأسرة بطاقة هوية؟",
                "Does the head of household hold an ID card?",
                required=True,
                choices=YES_NO,
            ),
            _q(
                "children_unregistered",
                "integer",
                "كم طفلاً بلا شهادة ميلاد؟",
                "How many children have no birth certificate?",
                required=True,
            ),
            _q(
                "marriage_registered",
                "select_one",
                "هل الزواج مسجل؟",
                "Is the marriage registered?",
                choices=YES_NO,
            ),
            _q(
                "missing_documents",
                "select_multiple",
                "الوثائق المفقودة",
                "Documents missing",
                choices=_c(
                    ("birth", "شهادة ميلاد", "Birth certificate"),
                    ("id", "بطاقة هوية", "ID card"),
                    ("family_booklet", "دفتر عائلة", "Family booklet"),
                    ("marriage", "عقد زواج", "Marriage certificate"),
                ),
            ),
            _q(
                "legal_aid",
                "select_one",
                "هل تحتاج الأسرة إلى مساعدة قانونية؟",
                "Does the family need legal aid?",
                choices=YES_NO,
                relevant="${children_unregistered} > 0 or ${has_id} = 'no'",
            ),
        ],
    ),
    (
        "return-intention",
        "نية العودة",
        "Return intention",
        [
            _q(
                "wants_return",
                "select_one",
                "هل ترغب الأسرة في العودة إلى منطقة المنشأ؟",
                "Does the family wish to return to its area of origin?",
                required=True,
                choices=_c(
                    ("yes", "نعم", "Yes"), ("no", "لا", "No"), ("undecided", "لم تقرر", "Undecided")
                ),
            ),
            _q(
                "when",
                "select_one",
                "متى؟",
                "When?",
                relevant="${wants_return} = 'yes'",
                choices=_c(
                    ("3m", "خلال ثلاثة أشهر", "Within three months"),
                    ("6m", "خلال ستة أشهر", "Within six months"),
                    ("later", "لاحقاً", "Later"),
                ),
            ),
            _q(
                "obstacles",
                "select_multiple",
                "ما الذي يمنع العودة؟",
                "What prevents the return?",
                relevant="${wants_return} != 'yes'",
                choices=_c(
                    ("safety", "الأمان", "Safety"),
                    ("housing", "السكن", "Housing"),
                    ("documents", "الوثائق", "Documents"),
                    ("acceptance", "قبول المجتمع", "Community acceptance"),
                    ("livelihood", "سبل العيش", "Livelihood"),
                ),
            ),
            _q(
                "sponsor_known",
                "select_one",
                "هل يعرفون كفيلاً في منطقة المنشأ؟",
                "Do they know a sponsor in the area of origin?",
                choices=YES_NO,
            ),
        ],
    ),
]


def load_default_forms(form_model: Any, version_model: Any) -> None:
    """Create the shipped forms that are missing (version 1); the models are passed in so
    that a migration can use its historical ones."""
    for slug, title_ar, title_en, fields in DEFAULT_FORMS:
        form, created = form_model.objects.get_or_create(
            slug=slug, defaults={"title_ar": title_ar, "title_en": title_en}
        )
        if created:
            version_model.objects.create(form=form, number=1, fields=fields)
