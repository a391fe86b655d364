"""The skip logic of assessment forms: XLSForm's `relevant` expressions, the subset field
teams use — `${field} = 'value'`, `!=`, `<`, `<=`, `>`, `>=`, `selected(${field}, 'value')`,
`and`, `or`, `not(...)` and parentheses. Parsed once, when a form is saved or imported
(an expression outside the subset is refused there), and evaluated against answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|=|<|>)|(?P<word>and|or|not|selected)"
    r"|(?P<punct>[(),]))"
)


class RelevanceError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise RelevanceError(f"cannot read {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise RelevanceError(f"expected {value or 'more'}")
        self.index += 1
        return token

    def expression(self) -> Any:
        left = self.conjunction()
        while self.peek() == ("word", "or"):
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.comparison()
        while self.peek() == ("word", "and"):
            self.take()
            left = ("and", left, self.comparison())
        return left

    def comparison(self) -> Any:
        left = self.atom()
        token = self.peek()
        if token and token[0] == "op":
            self.take()
            return ("cmp", token[1], left, self.atom())
        return left

    def atom(self) -> Any:
        kind, value = self.take()
        if kind == "ref":
            return ("ref", value[2:-1])
        if kind == "str":
            return ("lit", value[1:-1])
        if kind == "num":
            return ("lit", float(value))
        if value == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if value == "not":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return ("not", inner)
        if value == "selected":
            self.take("(")
            field = self.atom()
            self.take(",")
            choice = self.atom()
            self.take(")")
            return ("selected", field, choice)
        raise RelevanceError(f"unexpected {value!r}")


def parse(text: str) -> Any:
    """The expression's tree, or RelevanceError."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek() is not None:
        raise RelevanceError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return tree


def references(tree: Any) -> set[str]:
    if not isinstance(tree, tuple):
        return set()
    if tree[0] == "ref":
        return {tree[1]}
    return set().union(*(references(part) for part in tree[1:]))


def _value(node: Any, answers: Mapping[str, Any]) -> Any:
    if node[0] == "ref":
        return answers.get(node[1])
    return node[1]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def holds(tree: Any, answers: Mapping[str, Any]) -> bool:
    kind = tree[0]
    if kind == "or":
        return holds(tree[1], answers) or holds(tree[2], answers)
    if kind == "and":
        return holds(tree[1], answers) and holds(tree[2], answers)
    if kind == "not":
        return not holds(tree[1], answers)
    if kind == "selected":
        value = _value(tree[1], answers)
        return _value(tree[2], answers) in (value if isinstance(value, list) else [value])
    if kind == "cmp":
        left, right = _value(tree[2], answers), _value(tree[3], answers)
        if tree[1] in ("=", "!="):
            equal = str(left if left is not None else "") == (
                str(int(right)) if isinstance(right, float) and right.is_integer() else str(right)
            )
            return equal if tree[1] == "=" else not equal
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[tree[1]]
    return bool(_value(tree, answers))
