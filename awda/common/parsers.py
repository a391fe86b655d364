"""The API's request parsers, refusing a NUL character anywhere in what was sent.

A NUL has no place in anything Awda stores or looks up, and PostgreSQL refuses it in
text and JSON: left in, it reaches a query (a place's P-code, a name searched, a form's
answers) and the answer is a server error instead of a 400. Query strings and the pages'
forms are checked by awda.common.middleware.RefuseNulMiddleware."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def holds_nul(data: Any) -> bool:
    """Whether a NUL character is in any text of `data` (keys included; files are not
    looked into)."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, Mapping):
        items = data.lists() if hasattr(data, "lists") else data.items()
        return any(holds_nul(key) or holds_nul(value) for key, value in items)
    if isinstance(data, list | tuple):
        return any(holds_nul(item) for item in data)
    return False


def nul_message() -> str:
    return _("The request holds a NUL character, which no field takes.")


class _RefusesNul(parsers.BaseParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data if isinstance(parsed, parsers.DataAndFiles) else parsed
        if holds_nul(data):
            raise ParseError(nul_message())
        return parsed


class JSONParser(_RefusesNul, parsers.JSONParser):
    pass


class FormParser(_RefusesNul, parsers.FormParser):
    pass


class MultiPartParser(_RefusesNul, parsers.MultiPartParser):
    pass
