"""Reintegration survey instruments: their definition (data, not code), its checks, the
checks of a household's answers, and the scoring.

A definition is a JSON object:

    {
      "code": "awda-default",            # slug (a-z, 0-9, - and _), at most 40 characters
      "version": 1,                      # whole number >= 1; code + version is loaded once
      "name_ar": "...", "name_en": "...",
      "default": false,                  # optional: true only for a shipped default
      "description_ar": "...", "description_en": "...", "source": "...",   # optional
      "dimensions": {"economic": 1, "social": 1, "psychosocial": 1},
      "questions": [
        {"name": "income_source",        # letters, digits and _, starting with a letter
         "dimension": "economic",        # one of the keys of "dimensions"
         "weight": 1,
         "label_ar": "...", "label_en": "...",
         "choices": [
           {"value": "regular", "label_ar": "...", "label_en": "...", "score": 1},
           {"value": "prefer_not", "label_ar": "...", "label_en": "...", "score": null}
         ]}
      ]
    }

Weights are relative (any positive numbers; they are normalised). A choice's score is
between 0 (worst) and 1 (best), or null for an answer that says nothing about the
household (don't know, refused, does not apply): such an answer is recorded and left out
of the scores.

Scoring (IOM's reintegration sustainability approach, with the instrument's own weights):

1. a dimension's score is the weighted mean of the scores of its answered questions
   (question weights); unanswered and null-scored questions are left out, and a dimension
   with none left has no score (None);
2. the composite is the weighted mean of the dimensions that have a score (dimension
   weights);
3. every score lies between 0 and 1; they are kept to four decimals and shown with two.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

DIMENSIONS = ("economic", "social", "psychosocial")
DEFAULT_FILE = Path(__file__).resolve().parent / "instruments" / "default_v1.json"

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_TOP_REQUIRED = ("code", "version", "name_ar", "name_en", "dimensions", "questions")
_TOP_OPTIONAL = ("default", "description_ar", "description_en", "source")
_QUESTION_KEYS = ("name", "dimension", "weight", "label_ar", "label_en", "choices")
_CHOICE_KEYS = ("value", "label_ar", "label_en", "score")
_PLACES = 4  # decimals kept


class DefinitionError(ValueError):
    """Every problem of a definition, each prefixed with where it is
    (`questions[3].choices[1].score: 1.5 is outside 0-1`; indexes count from 0)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class AnswerError(ValueError):
    """What is wrong with a set of answers, question by question."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems

    @property
    def messages(self) -> list[str]:
        return [f"{name}: {message}" for name, message in self.problems.items()]


def _arabic() -> bool:
    return (get_language() or "ar").startswith("ar")


@dataclass(frozen=True)
class Choice:
    value: str
    label_ar: str
    label_en: str
    score: float | None

    @property
    def label(self) -> str:
        return self.label_ar if _arabic() else self.label_en


@dataclass(frozen=True)
class Question:
    name: str
    dimension: str
    weight: float
    label_ar: str
    label_en: str
    choices: tuple[Choice, ...]

    @property
    def label(self) -> str:
        return self.label_ar if _arabic() else self.label_en

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Scores:
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "economic": self.economic,
            "social": self.social,
            "psychosocial": self.psychosocial,
            "composite": self.composite,
        }


@dataclass(frozen=True)
class Instrument:
    code: str
    version: int
    name_ar: str
    name_en: str
    default: bool
    dimensions: dict[str, float]
    questions: tuple[Question, ...]

    @property
    def name(self) -> str:
        return self.name_ar if _arabic() else self.name_en

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)

    def by_dimension(self) -> list[tuple[str, float, list[Question]]]:
        """(dimension, weight, questions) in the fixed order economic, social,
        psychosocial, for the dimensions the instrument has."""
        return [
            (d, self.dimensions[d], [q for q in self.questions if q.dimension == d])
            for d in DIMENSIONS
            if d in self.dimensions
        ]

    def check(self, answers: object) -> dict[str, str]:
        """The answers as {question name: choice value}, without the unanswered ones
        (missing, null or ""), or AnswerError naming each bad question. At least one
        question must be answered."""
        if not isinstance(answers, dict):
            raise AnswerError(
                {"answers": _("Send the answers as an object: question name → the chosen value.")}
            )
        problems: dict[str, str] = {}
        clean: dict[str, str] = {}
        for name, given in answers.items():
            question = self.question(str(name))
            if question is None:
                problems[str(name)] = _("There is no such question in %(code)s version %(v)s.") % {
                    "code": self.code,
                    "v": self.version,
                }
                continue
            if given is None or given == "":
                continue
            if isinstance(given, bool) or not isinstance(given, str | int):
                problems[question.name] = _("Give the value of one choice, as text.")
                continue
            value = str(given)
            if question.choice(value) is None:
                problems[question.name] = _("“%(value)s” is not one of: %(values)s.") % {
                    "value": value[:40],
                    "values": ", ".join(c.value for c in question.choices),
                }
                continue
            clean[question.name] = value
        if not problems and not clean:
            problems["answers"] = _("No question was answered.")
        if problems:
            raise AnswerError(problems)
        return {q.name: clean[q.name] for q in self.questions if q.name in clean}

    def score(self, answers: dict[str, str]) -> Scores:
        """Scores of answers already checked (see the module's docstring)."""
        dimension_scores: dict[str, float | None] = {}
        for dimension, _weight, questions in self.by_dimension():
            total = weights = 0.0
            for question in questions:
                choice = question.choice(answers.get(question.name, ""))
                if choice is None or choice.score is None:
                    continue
                total += question.weight * choice.score
                weights += question.weight
            dimension_scores[dimension] = total / weights if weights else None
        scored = {d: s for d, s in dimension_scores.items() if s is not None}
        composite = (
            sum(self.dimensions[d] * s for d, s in scored.items())
            / sum(self.dimensions[d] for d in scored)
            if scored
            else None
        )

        def kept(value: float | None) -> float | None:
            return None if value is None else round(value, _PLACES)

        return Scores(
            economic=kept(dimension_scores.get("economic")),
            social=kept(dimension_scores.get("social")),
            psychosocial=kept(dimension_scores.get("psychosocial")),
            composite=kept(composite),
        )


# -- reading and checking a definition ---------------------------------------------------


def _number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _text(problems: list[str], where: str, data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}{key}: " + _("missing or empty; give a text."))
        return ""
    if len(value) > limit:
        problems.append(
            f"{where}{key}: "
            + ngettext("longer than %(n)s character.", "longer than %(n)s characters.", limit)
            % {"n": limit}
        )
    return value.strip()


def _weight(problems: list[str], where: str, value: object) -> float:
    if not _number(value):
        problems.append(f"{where}: " + _("%(value)s is not a number.") % {"value": _show(value)})
        return 0.0
    if float(value) <= 0:  # type: ignore[arg-type]
        problems.append(
            f"{where}: " + _("%(value)s is not above 0; weights are positive.") % {"value": value}
        )
        return 0.0
    return float(value)  # type: ignore[arg-type]


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)[:40]


def _unknown(problems: list[str], where: str, data: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in data:
        if key not in known:
            problems.append(
                f"{where}{key}: " + _("unknown key (known: %(keys)s).") % {"keys": ", ".join(known)}
            )


def _choices(problems: list[str], where: str, value: object) -> tuple[Choice, ...]:
    if not isinstance(value, list) or len(value) < 2:
        problems.append(f"{where}: " + _("give a list of at least two choices."))
        return ()
    choices: list[Choice] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.append(
                f"{at}: "
                + _("a choice is an object with %(keys)s.") % {"keys": ", ".join(_CHOICE_KEYS)}
            )
            continue
        _unknown(problems, f"{at}.", item, _CHOICE_KEYS)
        raw = item.get("value")
        if isinstance(raw, bool) or not isinstance(raw, str | int) or str(raw).strip() == "":
            problems.append(f"{at}.value: " + _("missing or empty; give a text."))
            raw = ""
        choice_value = str(raw).strip()
        if choice_value and choice_value in seen:
            problems.append(
                f"{at}.value: " + _("“%(value)s” is used twice.") % {"value": choice_value}
            )
        seen.add(choice_value)
        label_ar = _text(problems, f"{at}.", item, "label_ar", 300)
        label_en = _text(problems, f"{at}.", item, "label_en", 300)
        score: float | None = None
        if "score" not in item:
            problems.append(
                f"{at}.score: "
                + _("missing; give a number from 0 to 1, or null for an answer not scored.")
            )
        elif item["score"] is not None:
            if not _number(item["score"]):
                problems.append(
                    f"{at}.score: "
                    + _("%(value)s is not a number from 0 to 1 (or null).")
                    % {"value": _show(item["score"])}
                )
            elif not 0 <= float(item["score"]) <= 1:
                problems.append(
                    f"{at}.score: " + _("%(value)s is outside 0-1.") % {"value": item["score"]}
                )
            else:
                score = float(item["score"])
        choices.append(Choice(choice_value, label_ar, label_en, score))
    if choices and all(c.score is None for c in choices):
        problems.append(f"{where}: " + _("no choice has a score; the question could never count."))
    return tuple(choices)


def parse(data: object) -> Instrument:
    """The instrument a definition describes, or DefinitionError listing every problem."""
    if not isinstance(data, dict):
        raise DefinitionError([_("The definition must be a JSON object.")])
    problems: list[str] = []
    _unknown(problems, "", data, _TOP_REQUIRED + _TOP_OPTIONAL)
    code = data.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(
            "code: "
            + _(
                "%(value)s is not a code: lower-case letters, digits, - and _, "
                "at most 40 characters."
            )
            % {"value": _show(code)}
        )
        code = ""
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**31:
        problems.append(
            "version: " + _("%(value)s is not a whole number from 1.") % {"value": _show(version)}
        )
        version = 0
    name_ar = _text(problems, "", data, "name_ar", 200)
    name_en = _text(problems, "", data, "name_en", 200)
    default = data.get("default", False)
    if not isinstance(default, bool):
        problems.append("default: " + _("give true or false."))
        default = False
    for key in ("description_ar", "description_en", "source"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key}: " + _("give a text."))

    dimensions: dict[str, float] = {}
    raw_dimensions = data.get("dimensions")
    if not isinstance(raw_dimensions, dict) or not raw_dimensions:
        problems.append(
            "dimensions: "
            + _("give an object of dimension → weight, from: %(names)s.")
            % {"names": ", ".join(DIMENSIONS)}
        )
    else:
        for name, weight in raw_dimensions.items():
            if name not in DIMENSIONS:
                problems.append(
                    f"dimensions.{name}: "
                    + _("not a dimension (known: %(names)s).") % {"names": ", ".join(DIMENSIONS)}
                )
                continue
            dimensions[name] = _weight(problems, f"dimensions.{name}", weight)

    questions: list[Question] = []
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append("questions: " + _("give a list of at least one question."))
        raw_questions = []
    names: set[str] = set()
    for index, item in enumerate(raw_questions):
        at = f"questions[{index}]"
        if not isinstance(item, dict):
            problems.append(
                f"{at}: "
                + _("a question is an object with %(keys)s.") % {"keys": ", ".join(_QUESTION_KEYS)}
            )
            continue
        _unknown(problems, f"{at}.", item, _QUESTION_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(
                f"{at}.name: "
                + _(
                    "%(value)s is not a name: letters, digits and _, starting with a letter, "
                    "at most 64 characters."
                )
                % {"value": _show(name)}
            )
            name = ""
        elif name in names:
            problems.append(f"{at}.name: " + _("“%(value)s” is used twice.") % {"value": name})
        names.add(name)
        dimension = item.get("dimension")
        if not isinstance(dimension, str) or dimension not in DIMENSIONS:
            problems.append(
                f"{at}.dimension: "
                + _("%(value)s is not one of: %(names)s.")
                % {"value": _show(dimension), "names": ", ".join(DIMENSIONS)}
            )
            dimension = ""
        elif isinstance(raw_dimensions, dict) and dimension not in raw_dimensions:
            problems.append(
                f"{at}.dimension: "
                + _("“%(value)s” has no weight under dimensions.") % {"value": dimension}
            )
        weight = _weight(problems, f"{at}.weight", item.get("weight"))
        label_ar = _text(problems, f"{at}.", item, "label_ar", 500)
        label_en = _text(problems, f"{at}.", item, "label_en", 500)
        choices = _choices(problems, f"{at}.choices", item.get("choices"))
        questions.append(Question(name, dimension, weight, label_ar, label_en, choices))
    for dimension in dimensions:
        if raw_questions and not any(q.dimension == dimension for q in questions):
            problems.append(
                f"dimensions.{dimension}: " + _("no question belongs to this dimension.")
            )
    if problems:
        raise DefinitionError(problems)
    return Instrument(
        code=str(code),
        version=int(version),
        name_ar=name_ar,
        name_en=name_en,
        default=bool(default),
        dimensions=dimensions,
        questions=tuple(questions),
    )


def read(content: bytes | str) -> dict[str, Any]:
    """A definition file's JSON object, or DefinitionError saying why it cannot be read."""
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        data = json.loads(text)
    except UnicodeDecodeError:
        raise DefinitionError([_("The file is not UTF-8 text.")]) from None
    except json.JSONDecodeError as error:
        raise DefinitionError(
            [
                _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": error.msg, "line": error.lineno, "column": error.colno}
            ]
        ) from None
    if not isinstance(data, dict):
        raise DefinitionError([_("The definition must be a JSON object.")])
    return data


def default_definition() -> dict[str, Any]:
    """The default instrument shipped with Awda (not IOM's official one)."""
    return read(DEFAULT_FILE.read_bytes())


def load_default_instrument(instrument_model: Any) -> None:
    """Create the shipped default (active) if its code and version are missing; the model
    is passed in so that a migration can use its historical one."""
    definition = default_definition()
    instrument = parse(definition)
    instrument_model.objects.get_or_create(
        code=instrument.code,
        version=instrument.version,
        defaults={
            "name_ar": instrument.name_ar,
            "name_en": instrument.name_en,
            "is_default": True,
            "is_active": True,
            "definition": definition,
        },
    )
