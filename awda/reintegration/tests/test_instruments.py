"""Instrument definitions: exact scores worked out by hand, every problem of a bad
definition named by its place, and answers checked question by question."""

from __future__ import annotations

import copy
import json

import pytest
from django.utils import translation

from awda.reintegration.instruments import (
    DEFAULT_FILE,
    AnswerError,
    DefinitionError,
    default_definition,
    parse,
    read,
)
from awda.reintegration.tests.conftest import TINY

# answers → (economic, social, psychosocial, composite), worked out by hand:
WORKED = [
    # economic (2×0.5 + 1×0.25) / 3 = 0.41667; social 0.6; psychosocial (3×0.2 + 1×0.8) / 4
    # = 0.35; composite (2×0.41667 + 1×0.6 + 1×0.35) / 4 = 0.44583
    ({"e1": "b", "e2": "b", "s1": "b", "p1": "b", "p2": "a"}, (0.4167, 0.6, 0.35, 0.4458)),
    # e1 "don't know" is left out: economic = e2 alone = 1; social unanswered → None;
    # psychosocial (3×1 + 1×0) / 4 = 0.75; composite (2×1 + 1×0.75) / 3 = 0.91667
    ({"e1": "x", "e2": "a", "p1": "a", "p2": "b"}, (1.0, None, 0.75, 0.9167)),
    # the best answers: psychosocial (3×1 + 1×0.8) / 4 = 0.95; composite (2 + 1 + 0.95) / 4
    ({"e1": "a", "e2": "a", "s1": "a", "p1": "a", "p2": "a"}, (1.0, 1.0, 0.95, 0.9875)),
    # the worst: every scored answer 0 where 0 exists (e2 b = 0.25, s1 b = 0.6, p1 b = 0.2)
    ({"e1": "c", "e2": "b", "s1": "b", "p1": "b", "p2": "b"}, (0.0833, 0.6, 0.15, 0.2292)),
    # only refusals: recorded, but nothing can be scored
    ({"e1": "x", "s1": "x"}, (None, None, None, None)),
    # one dimension only: the composite is that dimension
    ({"s1": "b"}, (None, 0.6, None, 0.6)),
]


@pytest.mark.parametrize(("answers", "expected"), WORKED)
def test_scores_are_weighted_means_worked_out_by_hand(answers, expected):
    instrument = parse(TINY)
    scores = instrument.score(instrument.check(answers))
    assert (scores.economic, scores.social, scores.psychosocial, scores.composite) == expected


def test_unanswered_questions_are_left_out_of_the_answers_kept():
    instrument = parse(TINY)
    assert instrument.check({"p2": "a", "e1": "b", "s1": None, "e2": ""}) == {
        "e1": "b",
        "p2": "a",
    }


def test_answers_are_checked_question_by_question():
    instrument = parse(TINY)
    with translation.override("en"), pytest.raises(AnswerError) as caught:
        instrument.check({"e1": "z", "s1": ["a"], "q9": "a", "p1": "a"})
    assert caught.value.problems == {
        "e1": "“z” is not one of: a, b, c, x.",
        "s1": "Give the value of one choice, as text.",
        "q9": "There is no such question in tiny version 1.",
    }
    with translation.override("en"), pytest.raises(AnswerError) as caught:
        instrument.check({})
    assert caught.value.messages == ["answers: No question was answered."]
    with translation.override("en"), pytest.raises(AnswerError):
        instrument.check(["a", "b"])


def test_a_bad_definition_names_every_problem_by_its_place():
    bad = copy.deepcopy(TINY)
    bad["code"] = "Tiny Survey"
    bad["version"] = 0
    bad["extra"] = 1
    bad["dimensions"] = {"economic": 2, "social": -1, "psychosocial": 1, "legal": 1}
    bad["questions"][1]["name"] = "e1"
    bad["questions"][2]["dimension"] = "civic"
    bad["questions"][3]["weight"] = "heavy"
    bad["questions"][3]["choices"][1]["score"] = 1.5
    del bad["questions"][4]["label_ar"]
    bad["questions"][4]["choices"] = [bad["questions"][4]["choices"][0]]
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        parse(bad)
    assert caught.value.problems == [
        "extra: unknown key (known: code, version, name_ar, name_en, dimensions, questions, "
        "default, description_ar, description_en, source).",
        'code: "Tiny Survey" is not a code: lower-case letters, digits, - and _, '
        "at most 40 characters.",
        "version: 0 is not a whole number from 1.",
        "dimensions.social: -1 is not above 0; weights are positive.",
        "dimensions.legal: not a dimension (known: economic, social, psychosocial).",
        "questions[1].name: “e1” is used twice.",
        'questions[2].dimension: "civic" is not one of: economic, social, psychosocial.',
        'questions[3].weight: "heavy" is not a number.',
        "questions[3].choices[1].score: 1.5 is outside 0-1.",
        "questions[4].label_ar: missing or empty; give a text.",
        "questions[4].choices: give a list of at least two choices.",
        "dimensions.social: no question belongs to this dimension.",
    ]


def test_choices_need_a_score_or_null_and_at_least_one_scored():
    bad = copy.deepcopy(TINY)
    del bad["questions"][0]["choices"][0]["score"]
    for choice in bad["questions"][1]["choices"]:
        choice["score"] = None
    bad["questions"][2]["choices"][1]["value"] = "a"
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        parse(bad)
    assert caught.value.problems == [
        "questions[0].choices[0].score: missing; give a number from 0 to 1, "
        "or null for an answer not scored.",
        "questions[1].choices: no choice has a score; the question could never count.",
        "questions[2].choices[1].value: “a” is used twice.",
    ]


def test_a_file_that_is_not_json_says_where_it_breaks():
    with translation.override("en"), pytest.raises(DefinitionError) as caught:
        read(b'{"code": "x",\n "version": }')
    assert caught.value.problems == [
        "The file is not valid JSON: Expecting value (line 2, column 13)."
    ]
    with translation.override("en"), pytest.raises(DefinitionError):
        read(b"[1, 2]")


def test_the_default_instrument_is_labelled_as_a_default_and_covers_three_dimensions():
    definition = default_definition()
    instrument = parse(definition)
    assert instrument.default is True
    assert "not IOM's official instrument" in instrument.name_en
    assert "وليس الأداة الرسمية للمنظمة الدولية للهجرة" in instrument.name_ar
    assert [(d, len(q)) for d, _w, q in instrument.by_dimension()] == [
        ("economic", 5),
        ("social", 5),
        ("psychosocial", 5),
    ]
    for question in instrument.questions:
        refusal = question.choice("prefer_not")
        assert refusal is not None and refusal.score is None, question.name
        assert any(c.score == 1 for c in question.choices), question.name
        assert any(c.score == 0 for c in question.choices), question.name
    assert json.loads(DEFAULT_FILE.read_text(encoding="utf-8")) == definition
