"""Encryption of sensitive data at rest (fields and files), with keys from the environment.

`AWDA_ENCRYPTION_KEYS` (or the file `AWDA_ENCRYPTION_KEYS_FILE` names) holds Fernet keys
(AES-128-CBC with HMAC-SHA256): the first encrypts, every one decrypts. To rotate, put a new
key first, run `awda rotate_keys` (which re-encrypts everything under the first key), then
remove the old one. In the demo and under DEBUG without keys, one is derived from
SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...], secret: str) -> tuple[Fernet, ...]:
    if not keys:
        derived = hashlib.sha256(b"awda-demo-files:" + secret.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return tuple(Fernet(key.encode()) for key in keys)


@lru_cache(maxsize=4)
def _cipher(fernets: tuple[Fernet, ...]) -> MultiFernet:
    return MultiFernet(list(fernets))


def _keys() -> tuple[Fernet, ...]:
    return _fernets(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(content: bytes) -> bytes:
    """A token under the first key."""
    return _cipher(_keys()).encrypt(content)


def decrypt(token: bytes) -> bytes:
    """The clear bytes; raises InvalidToken when no key opens them or they were altered."""
    return _cipher(_keys()).decrypt(token)


def is_current(token: bytes) -> bool:
    """Whether the first key opens the token (nothing to rotate). Only the signature is
    checked when it does not: a token of another key fails fast."""
    try:
        _keys()[0].decrypt(token)
    except InvalidToken:
        return False
    return True


def rotate(token: bytes) -> bytes:
    """The same content under the first key (its timestamp kept); raises InvalidToken when
    no key opens it."""
    return _cipher(_keys()).rotate(token)


__all__ = ["InvalidToken", "decrypt", "encrypt", "is_current", "rotate"]
