"""Whole numbers typed into query strings, forms and JSON keys by people and programs."""

from __future__ import annotations

# The largest id a database integer holds (PostgreSQL's bigint, SQLite's INTEGER).
MAX_ID = 2**63 - 1


def whole_number(value: object, maximum: int = MAX_ID) -> int | None:
    """`value` as a whole number from 0 to `maximum`, or None for anything else.

    Not `int(v) if v.isdigit()`: isdigit() takes "²", which int() refuses (a server
    error), and a number beyond a 64-bit integer makes SQLite refuse the query instead
    of finding nothing. Arabic-Indic digits (٣) are decimal digits and count."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not text.isdecimal() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None
