"""Reading the audit trail: the chain check and per-record history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import GENESIS_HASH, AuditEntry, Breach


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # seq of the first entry that does not hold
    reason: str
    head_hash: str

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def audit_verify(*, chunk: int = 2000) -> ChainReport:
    """Walk the chain in order: each entry must hash to its stored hash, point at the
    previous entry's hash, and follow it without a gap in `seq`."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(
                count, entry.seq, f"entry {expected_seq} is missing before it", prev_hash
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(count, entry.seq, "it does not follow the previous entry", prev_hash)
        if entry.compute_hash() != entry.hash:
            return ChainReport(count, entry.seq, "its content does not match its hash", prev_hash)
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    return ChainReport(count, None, "", prev_hash)


@dataclass(frozen=True)
class AuditFilters:
    username: str = ""
    action: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


def audit_search_for_user(user: User, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """What the users of the searcher's organisation did, newest first."""
    if user.organisation_id is None:
        return AuditEntry.objects.none()
    entries = AuditEntry.objects.filter(organisation_id=user.organisation_id)
    if filters.username:
        entries = entries.filter(actor__username=filters.username)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.since:
        entries = entries.filter(at__date__gte=filters.since)
    if filters.until:
        entries = entries.filter(at__date__lte=filters.until)
    return entries.select_related("actor", "organisation").order_by("-seq")


def audit_history_for(targets: Iterable[tuple[str, str]]) -> QuerySet[AuditEntry]:
    """Entries about any of the (object_type, object_id) targets, newest first."""
    condition = Q(pk__in=[])
    for object_type, object_id in targets:
        condition |= Q(object_type=object_type, object_id=object_id)
    return (
        AuditEntry.objects.filter(condition)
        .select_related("actor", "organisation")
        .order_by("-seq")
    )


# --- The breach log ------------------------------------------------------------------------


def breach_list_for_user(user: User) -> QuerySet[Breach]:
    """The breaches of the user's organisation, for its data protection officers only;
    latest found first."""
    if not user.can(Can.SEARCH_AUDIT) or user.organisation_id is None:
        return Breach.objects.none()
    return Breach.objects.filter(organisation_id=user.organisation_id).select_related(
        "recorded_by", "updated_by"
    )


def breach_get_for_user(user: User, pk: int) -> Breach:
    """One breach of the user's log; 404 for any other (it does not exist for them)."""
    breach = breach_list_for_user(user).filter(pk=pk).first()
    if breach is None:
        raise Http404
    return breach
