"""Writing to the audit trail. Every service that touches personal data calls `audit_record`
inside its own transaction, so the entry and the change commit or roll back together."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from awda.accounts.models import User
from awda.audit.models import GENESIS_HASH, Action, AuditEntry
from awda.common import request_context

# Any constant will do: it names the one advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK = 0x41574441  # "AWDA"


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return value.pk
    return value


def normalise(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON round trip, so that what is hashed is exactly what the database gives back."""
    return json.loads(json.dumps(_json_safe(value or {}), ensure_ascii=False))


@dataclass
class AuditEvent:
    action: str
    object_type: str = ""
    object_id: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


def event_for(
    action: Action | str,
    obj: models.Model | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent(
        action=str(action),
        object_type=object_type_of(obj) if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        changes=changes or {},
        details=details or {},
    )


def audit_record(
    *,
    actor: User | None,
    action: Action | str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    return audit_record_many(
        actor=actor, events=[event_for(action, obj, changes=changes, details=details)]
    )[0]


def audit_record_many(*, actor: User | None, events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Append entries to the chain, one after the other, under the chain lock."""
    context = request_context.current.get()
    # No savepoint of its own: an entry that fails must fail the change it records.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
        seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
        now = timezone.now()
        entries = []
        for event in events:
            seq += 1
            entry = AuditEntry(
                seq=seq,
                at=now,
                actor=actor,
                organisation_id=actor.organisation_id if actor else None,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                changes=normalise(event.changes),
                details=normalise(event.details),
                request_id=context.request_id,
                client_ip=context.client_ip or "",
                channel=context.channel,
                prev_hash=prev_hash,
            )
            entry.hash = entry.compute_hash()
            prev_hash = entry.hash
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries, batch_size=500)
    return entries


SENSITIVE = "[changed]"


def _or_none(value: Any) -> Any:
    """Empty is empty: a blank name, no documents and None are the same to a reader."""
    return None if value in ("", [], {}) else value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` (foreign keys as ids), ready for `diff`."""
    values: dict[str, Any] = {}
    for name in fields:
        model_field = instance._meta.get_field(name)
        attname = getattr(model_field, "attname", name)
        values[name] = _json_safe(getattr(instance, attname))
    return values


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = ()
) -> dict[str, Any]:
    """{field: [old, new]} for what changed; sensitive fields only say that they changed."""
    hidden = set(sensitive)
    changes: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _or_none(before.get(name)), _or_none(after.get(name))
        if old != new:
            changes[name] = SENSITIVE if name in hidden else [old, new]
    return changes
