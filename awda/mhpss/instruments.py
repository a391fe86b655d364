"""Validated screening instruments and their exact scoring (see DOMAIN.md).

- WHO-5 Well-Being Index (WHO, freely usable): 5 items scored 0-5 over the last two
  weeks; raw 0-25, reported as a percentage (raw x 4). Raw below 13, or any item at 0 or
  1, calls for an assessment for depression.
- K6 (Kessler): 6 items scored 0-4; total 0-24; 13 or more is serious psychological
  distress.
- K10 (Kessler): 10 items scored 1-5; total 10-50; bands 10-15 low, 16-21 moderate,
  22-29 high, 30-50 very high (Australian Bureau of Statistics).

The SDQ is not here: its licence forbids electronic versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class AnswerError(ValueError):
    """What is wrong with the answers, item by item."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Result:
    raw_score: int
    score: int
    band: str
    flags: list[str]


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    low: int
    high: int
    items: tuple[tuple[str, str], ...]  # (Arabic, English) item texts
    choices: tuple[tuple[str, str], ...]  # labels of low..high
    score: Callable[[Sequence[int]], Result]

    def check(self, answers: object) -> list[int]:
        """The answers as integers, or AnswerError naming each bad item (1-based)."""
        if not isinstance(answers, list | tuple):
            raise AnswerError([str(_("Send the answers as a list of numbers, one per item."))])
        problems = []
        if len(answers) != len(self.items):
            items, given = len(self.items), len(answers)
            has = ngettext("%(name)s has %(n)s item.", "%(name)s has %(n)s items.", items)
            got = ngettext("%(given)s answer was given.", "%(given)s answers were given.", given)
            problems.append(
                " ".join([has % {"name": self.name, "n": items}, got % {"given": given}])
            )
        values = []
        for index, answer in enumerate(answers[: len(self.items)], start=1):
            if answer is None or answer == "":
                problems.append(str(_("Item %(i)s is missing.")) % {"i": index})
                continue
            try:
                value = int(answer)
                if isinstance(answer, float) and answer != value:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(
                    str(_("Item %(i)s: %(v)r is not a whole number.")) % {"i": index, "v": answer}
                )
                continue
            if not self.low <= value <= self.high:
                problems.append(
                    str(_("Item %(i)s: %(v)s is outside %(low)s-%(high)s."))
                    % {"i": index, "v": value, "low": self.low, "high": self.high}
                )
                continue
            values.append(value)
        if problems:
            raise AnswerError(problems)
        return values


def _who5(answers: Sequence[int]) -> Result:
    raw = sum(answers)
    flags = []
    if raw < 13:
        flags.append("poor_wellbeing")
    if any(a <= 1 for a in answers):
        flags.append("item_at_0_or_1")
    return Result(raw, raw * 4, "poor" if flags else "adequate", flags)


def _k6(answers: Sequence[int]) -> Result:
    raw = sum(answers)
    serious = raw >= 13
    return Result(
        raw,
        raw,
        "serious" if serious else "below_threshold",
        ["serious_distress"] if serious else [],
    )


def _k10(answers: Sequence[int]) -> Result:
    raw = sum(answers)
    flags: list[str]
    if raw <= 15:
        band, flags = "low", []
    elif raw <= 21:
        band, flags = "moderate", []
    elif raw <= 29:
        band, flags = "high", ["high_distress"]
    else:
        band, flags = "very_high", ["very_high_distress"]
    return Result(raw, raw, band, flags)


_FREQUENCY_6 = (
    ("في أي وقت", "At no time"),
    ("بعض الوقت", "Some of the time"),
    ("أقل من نصف الوقت", "Less than half of the time"),
    ("أكثر من نصف الوقت", "More than half of the time"),
    ("معظم الوقت", "Most of the time"),
    ("طوال الوقت", "All of the time"),
)
_KESSLER_5 = (
    ("أبداً", "None of the time"),
    ("قليلاً من الوقت", "A little of the time"),
    ("بعض الوقت", "Some of the time"),
    ("معظم الوقت", "Most of the time"),
    ("طوال الوقت", "All of the time"),
)
# The Arabic item texts are working translations for the programme's screeners; a
# programme with a validated Arabic version should load its wording instead.
WHO5 = Instrument(
    code="who5",
    name="WHO-5",
    low=0,
    high=5,
    items=(
        ("شعرت بالبهجة وبمزاج جيد", "I have felt cheerful and in good spirits"),
        ("شعرت بالهدوء والاسترخاء", "I have felt calm and relaxed"),
        ("شعرت بالنشاط والحيوية", "I have felt active and vigorous"),
        ("استيقظت وأنا أشعر بالانتعاش والراحة", "I woke up feeling fresh and rested"),
        (
            "امتلأت حياتي اليومية بأشياء تهمني",
            "My daily life has been filled with things that interest me",
        ),
    ),
    choices=_FREQUENCY_6,
    score=_who5,
)
_K10_ITEMS = (
    ("شعرت بالتعب دون سبب وجيه", "tired out for no good reason"),
    ("شعرت بالعصبية", "nervous"),
    ("شعرت بعصبية شديدة لدرجة أن لا شيء يهدئك", "so nervous that nothing could calm you down"),
    ("شعرت باليأس", "hopeless"),
    ("شعرت بعدم الاستقرار أو التململ", "restless or fidgety"),
    ("شعرت بتململ شديد لدرجة أنك لم تستطع الجلوس ساكناً", "so restless you could not sit still"),
    ("شعرت بالاكتئاب", "depressed"),
    ("شعرت أن كل شيء يتطلب جهداً", "that everything was an effort"),
    ("شعرت بحزن شديد لدرجة أن لا شيء يفرحك", "so sad that nothing could cheer you up"),
    ("شعرت بأنك عديم القيمة", "worthless"),
)
K10 = Instrument(
    code="k10",
    name="K10",
    low=1,
    high=5,
    items=_K10_ITEMS,
    choices=_KESSLER_5,
    score=_k10,
)
# K6 is six of the K10 items (nervous, hopeless, restless, depressed, effort, worthless),
# scored 0-4.
K6 = Instrument(
    code="k6",
    name="K6",
    low=0,
    high=4,
    items=tuple(_K10_ITEMS[i] for i in (1, 3, 4, 6, 7, 9)),
    choices=_KESSLER_5,
    score=_k6,
)
INSTRUMENTS = {i.code: i for i in (WHO5, K6, K10)}

FLAG_TEXT = {
    "poor_wellbeing": _("Poor wellbeing (WHO-5 raw score below 13): assess for depression"),
    "item_at_0_or_1": _("A WHO-5 item at 0 or 1: assess for depression"),
    "serious_distress": _("Serious psychological distress (K6 13 or more)"),
    "high_distress": _("High psychological distress (K10 22-29)"),
    "very_high_distress": _("Very high psychological distress (K10 30 or more)"),
}
BAND_TEXT = {
    "poor": _("poor wellbeing"),
    "adequate": _("adequate wellbeing"),
    "serious": _("serious distress"),
    "below_threshold": _("below the threshold"),
    "low": _("low"),
    "moderate": _("moderate"),
    "high": _("high"),
    "very_high": _("very high"),
}
