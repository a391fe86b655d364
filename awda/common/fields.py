"""Model fields for sensitive data kept encrypted at rest (see awda.common.crypto).

What the database, its dumps, its logs of statements and its indexes hold is a Fernet
token, unreadable without the keys. Such a field cannot be searched, filtered or ordered
on (a token is different each time the same text is encrypted): only `isnull`, and for
text `= ""`, are allowed, and anything else fails loudly instead of silently matching
nothing. Code that needs the content (scoring, say) reads it decrypted, in Python.

`awda rotate_keys` finds every field of these two classes through the app registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import lookups

from awda.common import crypto


class UnreadableValue(RuntimeError):
    """A stored value that no key in AWDA_ENCRYPTION_KEYS opens. The message names the
    model and field, never the content."""


def _where(field: models.Field[Any, Any]) -> str:
    model = getattr(field, "model", None)
    return f"{model._meta.label}.{field.name}" if model is not None else str(field.name)


def _open(field: models.Field[Any, Any], value: object) -> bytes:
    try:
        return crypto.decrypt(str(value).encode("ascii"))
    except (crypto.InvalidToken, UnicodeEncodeError):
        raise UnreadableValue(
            f"{_where(field)}: no key in AWDA_ENCRYPTION_KEYS opens a stored value (a key "
            "was removed before `awda rotate_keys` re-encrypted everything, or the value "
            "was altered in the database)."
        ) from None


class _EmptyOnlyExact(lookups.Exact):
    """`field=""` is the one equality that works on encrypted text: empty text is stored
    as itself."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError(
                f"{_where(self.lhs.output_field)} is encrypted: it can only be compared "
                "with empty text."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Empty text stays empty (it says nothing)."""

    description = "Text encrypted at rest"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value).encode()).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return _open(self, value).decode()

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedJSONField(models.JSONField):
    """A JSON value (object, list, number, text…) serialised, then stored as a Fernet
    token in a text column. `None` is SQL NULL (so a field that may be empty needs
    `null=True`); everything else, empty lists included, is encrypted. It behaves as a
    JSONField towards forms and the API, not towards queries: there are no key lookups."""

    description = "JSON encrypted at rest"

    def get_internal_type(self) -> str:
        return "TextField"  # a text column on every database, no JSON check constraint

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if hasattr(value, "as_sql"):
            return value
        if value is None:
            return None
        text = json.dumps(value, cls=self.encoder, ensure_ascii=False)
        return crypto.encrypt(text.encode()).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(_open(self, value), cls=self.decoder)

    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name: str) -> Any:
        return None


ENCRYPTED_FIELDS = (EncryptedTextField, EncryptedJSONField)


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The model's own encrypted columns, for `rotate_keys` and for the audit trail's
    lists of sensitive fields (`diff(..., sensitive=encrypted_field_names(Model))`)."""
    return [f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED_FIELDS)]


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in encrypted_fields(model)]


# -- data migrations ----------------------------------------------------------------------------
# Used by migrations that turn a clear column into an encrypted one. They take the
# historical models that `apps.get_model` gives, and work in batches of primary keys.


def pk_batches(model: Any, batch_size: int) -> Iterator[list[Any]]:
    """The model's primary keys in order, `batch_size` at a time (each batch read when
    the previous one is done, so rows added meanwhile are included)."""
    last = None
    while True:
        query = model._base_manager.order_by("pk")
        if last is not None:
            query = query.filter(pk__gt=last)
        pks = list(query.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def encrypt_text_in_place(model: Any, name: str, *, batch_size: int = 1000) -> None:
    """Replace clear text in a text column with tokens. The historical field must still be
    a plain TextField (run this before the AlterField to EncryptedTextField)."""
    for pks in pk_batches(model, batch_size):
        rows = model._base_manager.filter(pk__in=pks).exclude(**{name: ""})
        changed = []
        for row in rows.only("pk", name):
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, crypto.encrypt(value.encode()).decode("ascii"))
                changed.append(row)
        model._base_manager.bulk_update(changed, [name])


def decrypt_text_in_place(model: Any, name: str, *, batch_size: int = 1000) -> None:
    """The reverse of `encrypt_text_in_place` (the historical field is a TextField again)."""
    for pks in pk_batches(model, batch_size):
        rows = model._base_manager.filter(pk__in=pks).exclude(**{name: ""})
        changed = []
        for row in rows.only("pk", name):
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, _open(model._meta.get_field(name), value).decode())
                changed.append(row)
        model._base_manager.bulk_update(changed, [name])


def copy_column(model: Any, source: str, target: str, *, batch_size: int = 1000) -> None:
    """Copy every row's value from one field to another through the historical fields,
    which encrypt or decrypt as they are declared."""
    for pks in pk_batches(model, batch_size):
        rows = list(model._base_manager.filter(pk__in=pks).only("pk", source))
        for row in rows:
            setattr(row, target, getattr(row, source))
        model._base_manager.bulk_update(rows, [target])
