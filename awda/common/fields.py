"""Model fields for sensitive text kept encrypted at rest (see awda.common.crypto)."""

from __future__ import annotations

from typing import Any

from django.db import models

from awda.common import crypto


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: what the database, its backups and its search
    indexes hold is unreadable without the keys. It cannot be filtered or ordered on, which
    is the point: such text must never be searched."""

    description = "Text encrypted at rest"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value).encode()).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value.encode("ascii")).decode()
