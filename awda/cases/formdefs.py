"""Assessment forms as data: checking a form's questions, reading and writing XLSForm
(the format KoboToolbox and ODK use), and scoring answers against a version."""

from __future__ import annotations

import datetime
import io
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awda.cases import relevance

TYPES = ("text", "integer", "decimal", "date", "select_one", "select_multiple", "note")
ARABIC, ENGLISH = "Arabic (ar)", "English (en)"


class FormError(ValueError):
    """What is wrong with a form, question by question."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def check_fields(fields: Any) -> list[dict[str, Any]]:
    """The questions, checked: known types, unique names, choices for selects, skip
    logic that parses and refers to earlier questions."""
    problems: list[str] = []
    if not isinstance(fields, list) or not fields:
        raise FormError(["A form needs at least one question."])
    seen: list[str] = []
    for number, field in enumerate(fields, start=1):
        where = f"question {number}"
        name = str(field.get("name", ""))
        if not name.isidentifier():
            problems.append(f"{where}: {name!r} is not a valid name (letters, digits, _)")
        elif name in seen:
            problems.append(f"{where}: the name {name!r} is used twice")
        if field.get("type") not in TYPES:
            problems.append(
                f"{where} ({name}): type {field.get('type')!r} is not one of {', '.join(TYPES)}"
            )
        label = field.get("label") or {}
        if not (label.get("ar") or label.get("en")):
            problems.append(f"{where} ({name}): it needs a label in Arabic or English")
        if field.get("type") in ("select_one", "select_multiple"):
            choices = field.get("choices") or []
            if not choices or not all(str(c.get("name", "")).strip() for c in choices):
                problems.append(f"{where} ({name}): a choice question needs named choices")
        rule = field.get("relevant") or ""
        if rule:
            try:
                unknown = relevance.references(relevance.parse(rule)) - set(seen)
            except relevance.RelevanceError as error:
                problems.append(f"{where} ({name}): skip logic {rule!r}: {error}")
            else:
                if unknown:
                    names = ", ".join(sorted(unknown))
                    problems.append(
                        f"{where} ({name}): skip logic refers to {names}, not an earlier question"
                    )
        seen.append(name)
    if problems:
        raise FormError(problems)
    return fields


def relevant_fields(
    fields: list[dict[str, Any]], answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The questions that apply, given the answers so far."""
    return [
        f
        for f in fields
        if not f.get("relevant") or relevance.holds(relevance.parse(f["relevant"]), answers)
    ]


def clean_answers(fields: list[dict[str, Any]], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Answers by name, typed and checked; questions skipped by the skip logic are dropped
    (their answers are not kept). Raises FormError naming each question."""
    problems: list[str] = []
    answers: dict[str, Any] = {}
    for field in fields:
        if field.get("relevant") and not relevance.holds(
            relevance.parse(field["relevant"]), answers
        ):
            continue
        name, kind = field["name"], field["type"]
        if kind == "note":
            continue
        value = raw.get(name)
        empty = value in (None, "", [])
        if empty:
            if field.get("required"):
                problems.append(f"{label_of(field)}: required")
            continue
        choices = {c["name"] for c in field.get("choices") or []}
        try:
            if kind == "integer":
                answers[name] = int(str(value))
            elif kind == "decimal":
                answers[name] = float(str(value))
            elif kind == "date":
                answers[name] = datetime.date.fromisoformat(str(value)).isoformat()
            elif kind == "select_one":
                if value not in choices:
                    raise ValueError
                answers[name] = value
            elif kind == "select_multiple":
                values = value if isinstance(value, list) else [value]
                if not set(values) <= choices:
                    raise ValueError
                answers[name] = sorted(values)
            else:
                answers[name] = str(value)[:2000]
        except ValueError:
            problems.append(f"{label_of(field)}: {value!r} is not a valid answer")
    if problems:
        raise FormError(problems)
    return answers


def label_of(field: Mapping[str, Any], language: str = "en") -> str:
    label = field.get("label") or {}
    return str(label.get(language) or label.get("en") or label.get("ar") or field.get("name"))


# -- XLSForm ------------------------------------------------------------------------------------


def to_xlsform(*, slug: str, title: str, version: int, fields: list[dict[str, Any]]) -> bytes:
    """The form as an XLSForm workbook (survey, choices, settings), checked by pyxform."""
    import openpyxl

    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", f"label::{ARABIC}", f"label::{ENGLISH}", "required", "relevant"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", f"label::{ARABIC}", f"label::{ENGLISH}"])
    for field in fields:
        kind = field["type"]
        if kind in ("select_one", "select_multiple"):
            kind = f"{kind} {field['name']}_choices"
            for choice in field.get("choices") or []:
                label = choice.get("label") or {}
                choices.append(
                    [
                        f"{field['name']}_choices",
                        choice["name"],
                        label.get("ar", ""),
                        label.get("en", ""),
                    ]
                )
        label = field.get("label") or {}
        survey.append(
            [
                kind,
                field["name"],
                label.get("ar", ""),
                label.get("en", ""),
                "yes" if field.get("required") else "",
                field.get("relevant", ""),
            ]
        )
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([title, slug, str(version), ENGLISH])
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    from_xlsform(content)  # the same checks a field team's tools make
    return content


def from_xlsform(content: bytes) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Settings (title, id) and questions of an XLSForm, read with pyxform. Groups are
    flattened; question types Awda does not keep are refused by name."""
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "form.xlsx"
        path.write_bytes(content)
        try:
            survey = parse_file_to_json(str(path))
            create_survey_element_from_dict(survey).to_xml()
        except PyXFormError as error:
            raise FormError([f"XLSForm: {error}"]) from error
        except Exception as error:  # a broken workbook
            raise FormError(
                [f"The file is not an XLSForm workbook ({type(error).__name__})."]
            ) from error
    fields: list[dict[str, Any]] = []
    problems: list[str] = []

    def language(label: Any, code: str) -> str:
        if isinstance(label, dict):
            for key, text in label.items():
                if f"({code})" in key or key.lower().startswith(
                    {"ar": "arabic", "en": "english"}[code]
                ):
                    return str(text)
            return ""
        return str(label or "") if code == "en" else ""

    def walk(children: list[dict[str, Any]]) -> None:
        for child in children:
            kind = child.get("type", "")
            if kind in ("group", "repeat"):
                if child.get("name") != "meta":
                    walk(child.get("children", []))
                continue
            if kind in ("calculate", "start", "end", "today", "deviceid", "username"):
                continue
            mapped = {"select one": "select_one", "select all that apply": "select_multiple"}.get(
                kind, kind
            )
            if mapped not in TYPES:
                problems.append(
                    f"question {child.get('name')!r}: type {kind!r} is not kept by Awda"
                )
                continue
            label = child.get("label")
            fields.append(
                {
                    "name": child["name"],
                    "type": mapped,
                    "label": {"ar": language(label, "ar"), "en": language(label, "en")},
                    "required": str((child.get("bind") or {}).get("required", "")).lower()
                    in ("yes", "true", "true()"),
                    "relevant": (child.get("bind") or {}).get("relevant", ""),
                    "choices": [
                        {
                            "name": c["name"],
                            "label": {
                                "ar": language(c.get("label"), "ar"),
                                "en": language(c.get("label"), "en"),
                            },
                        }
                        for c in child.get("choices") or []
                    ],
                }
            )

    walk(survey.get("children", []))
    if problems:
        raise FormError(problems)
    settings = {"title": str(survey.get("title") or ""), "id": str(survey.get("id_string") or "")}
    return settings, check_fields(fields)
