"""Pseudonyms for exports: one per person (and per household) and recipient.

pseudonym = the first 16 characters of base32(HMAC-SHA256(key, "<recipient>:<person pk>"))
(a household: "<recipient>:household:<household pk>"), the key derived from the app's
SECRET_KEY with the fixed salt "awda.exports.pseudonym" (Django's salted_hmac). So the
same person has the same pseudonym in every export to the same recipient (a recipient can
link its exports over time), and unrelated pseudonyms for two recipients (two recipients
cannot link theirs). Without the secret key nobody can go from a pseudonym back to a
record, nor test a guess. Rotating SECRET_KEY changes every pseudonym.

The recipient's name is normalised first (Unicode NFKC, case-folded, spaces collapsed),
so that "UNHCR  Protection unit" and "unhcr protection unit" are one recipient.
"""

from __future__ import annotations

import base64
import unicodedata

from django.utils.crypto import salted_hmac

SALT = "awda.exports.pseudonym"
LENGTH = 16  # 80 bits: no two people of a programme share one


def normalise_recipient(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _code(message: str) -> str:
    digest = salted_hmac(SALT, message, algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


class Pseudonyms:
    """The pseudonyms for one recipient (its name normalised once)."""

    def __init__(self, recipient: str) -> None:
        self.recipient = normalise_recipient(recipient)

    def person(self, person_pk: int) -> str:
        return _code(f"{self.recipient}:{person_pk}")

    def household(self, household_pk: int) -> str:
        return _code(f"{self.recipient}:household:{household_pk}")
