"""Encryption of sensitive files at rest, with keys from the environment.

`AWDA_ENCRYPTION_KEYS` holds Fernet keys (AES-128-CBC with HMAC-SHA256): the first
encrypts, every one decrypts, so a key can be rotated by putting the new one first. In
the demo and under DEBUG without keys, one is derived from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"awda-demo-files:" + secret.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _cipher(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(content: bytes) -> bytes:
    return _current().encrypt(content)


def decrypt(token: bytes) -> bytes:
    """The clear bytes; raises InvalidToken when no key opens them or they were altered."""
    return _current().decrypt(token)


__all__ = ["InvalidToken", "decrypt", "encrypt"]
