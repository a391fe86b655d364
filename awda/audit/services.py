"""Writing to the audit trail. Every service that touches personal data calls `audit_record`
inside its own transaction, so the entry and the change commit or roll back together."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import GENESIS_HASH, Action, AuditEntry, Breach
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


# --- The breach log ------------------------------------------------------------------------

BREACH_FIELDS = (
    "discovered_at",
    "occurred_on",
    "description",
    "data_categories",
    "people_categories",
    "people_affected",
    "containment",
    "authority_notified_on",
    "people_notified_on",
    "status",
)
# What happened and what was done: free text the audit trail says changed, never what it says.
SENSITIVE_BREACH_FIELDS = ("description", "containment")
BREACH_TEXT_LIMIT = 5000


@dataclass(frozen=True)
class BreachData:
    discovered_at: datetime.datetime
    description: str
    data_categories: Sequence[str]
    people_categories: Sequence[str]
    people_affected: int
    occurred_on: datetime.date | None = None
    containment: str = ""
    authority_notified_on: datetime.date | None = None
    people_notified_on: datetime.date | None = None
    status: str = Breach.Status.OPEN

    def cleaned(self) -> BreachData:
        """Text trimmed, categories in the order of their lists, the time made aware."""
        discovered_at = self.discovered_at
        if timezone.is_naive(discovered_at):
            discovered_at = timezone.make_aware(discovered_at)
        return replace(
            self,
            discovered_at=discovered_at,
            description=self.description.strip(),
            containment=self.containment.strip(),
            data_categories=_in_order(self.data_categories, Breach.DataCategory.values),
            people_categories=_in_order(self.people_categories, Breach.PeopleCategory.values),
        )


def _in_order(chosen: Sequence[str], known: Sequence[str]) -> list[str]:
    unknown = sorted(set(chosen) - set(known))
    return [code for code in known if code in chosen] + unknown


def _breach_officer(user: User) -> int:
    """The user's organisation, if the user keeps its breach log (its data protection
    officer)."""
    if not user.can(Can.SEARCH_AUDIT) or user.organisation_id is None:
        raise PermissionDenied
    return user.organisation_id


def _keep_under(limit: int) -> str:
    return ngettext(
        "Keep it under %(limit)s character.", "Keep it under %(limit)s characters.", limit
    ) % {"limit": limit}


def _breach_errors(data: BreachData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    found_on = timezone.localdate(data.discovered_at)
    if data.discovered_at > timezone.now():
        add("discovered_at", _("The date is in the future."))
    if data.occurred_on is not None and data.occurred_on > found_on:
        add("occurred_on", _("A breach cannot have happened after it was found."))
    if not data.description:
        add("description", _("Say what happened."))
    for name in ("description", "containment"):
        if len(getattr(data, name)) > BREACH_TEXT_LIMIT:
            add(name, _keep_under(BREACH_TEXT_LIMIT))
    for name, known in (
        ("data_categories", Breach.DataCategory.values),
        ("people_categories", Breach.PeopleCategory.values),
    ):
        chosen = getattr(data, name)
        if not chosen:
            add(name, _("Choose at least one."))
        elif not set(chosen) <= set(known):
            add(name, _("Choose among the listed categories."))
    if data.people_affected < 0:
        add("people_affected", _("Give a number of people: 0 or more."))
    for name in ("authority_notified_on", "people_notified_on"):
        day = getattr(data, name)
        if day is None:
            continue
        if day > timezone.localdate():
            add(name, _("The date is in the future."))
        elif day < found_on:
            add(
                name,
                _("The date is before the breach was found (%(date)s).")
                % {"date": found_on.isoformat()},
            )
    if data.status not in Breach.Status.values:
        add("status", _("Choose a status."))
    elif data.status != Breach.Status.OPEN and not data.containment:
        add("containment", _("Say how the breach was contained before marking it so."))
    return errors


def breach_record(*, by: User, data: BreachData) -> Breach:
    """Record a breach in the organisation's log."""
    organisation_id = _breach_officer(by)
    data = data.cleaned()
    errors = _breach_errors(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        breach = Breach(organisation_id=organisation_id, recorded_by=by)
        for name in BREACH_FIELDS:
            setattr(breach, name, getattr(data, name))
        breach.save()
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=breach,
            changes=diff({}, snapshot(breach, BREACH_FIELDS), sensitive=SENSITIVE_BREACH_FIELDS),
        )
    return breach


def breach_update(*, by: User, breach: Breach, expected_version: int, data: BreachData) -> Breach:
    """Change a breach record read at `expected_version`; someone else's save since then
    refuses the change (EditConflict) rather than overwrite it."""
    # (imported here: the registry's services write to the audit trail through this module)
    from awda.registry.services import EditConflict

    if breach.organisation_id != _breach_officer(by):
        raise PermissionDenied
    data = data.cleaned()
    errors = _breach_errors(data)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Breach.objects.select_for_update().get(pk=breach.pk)
        if current.version != expected_version:
            raise EditConflict
        before = snapshot(current, BREACH_FIELDS)
        for name in BREACH_FIELDS:
            setattr(current, name, getattr(data, name))
        changes = diff(before, snapshot(current, BREACH_FIELDS), sensitive=SENSITIVE_BREACH_FIELDS)
        if changes:
            current.version += 1
            current.updated_by = by
            current.save()
            audit_record(actor=by, action=Action.UPDATE, obj=current, changes=changes)
    return current
