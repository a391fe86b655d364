"""The audit trail: append-only, hash-chained.

Each entry stores the SHA-256 of its own content and of the entry before it (`prev_hash`),
so editing, deleting or reordering any entry breaks the chain from that entry on;
`awda audit verify` finds the first broken one. The application cannot update or delete
entries (this module refuses), and on PostgreSQL a trigger refuses it in the database too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from awda.common.fields import EncryptedTextField

GENESIS_HASH = "0" * 64


class AuditImmutableError(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("Audit entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("Audit entries cannot be deleted.")


class Action(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    VIEW = "view", _("viewed")
    LIST = "list", _("listed")
    EXPORT = "export", _("exported")
    LOGIN = "login", _("logged in")
    LOGIN_FAILED = "login_failed", _("failed to log in")
    LOCKED_OUT = "locked_out", _("locked out")
    LOGOUT = "logout", _("logged out")
    LOGOUT_EVERYWHERE = "logout_everywhere", _("logged out everywhere")
    TOKEN = "token", _("received an API token")
    MEMBER_JOIN = "member_join", _("joined household")
    MEMBER_LEAVE = "member_leave", _("left household")
    REFER = "refer", _("referred")
    ACCEPT = "accept", _("accepted")
    DECLINE = "decline", _("declined")
    IMPORT = "import", _("imported")
    SCAN = "scan", _("searched for duplicates")
    MERGE = "merge", _("merged")
    UNMERGE = "unmerge", _("merge undone")
    REJECT = "reject", _("marked as different people")
    SCREEN = "screen", _("screened")
    CASE_STEP = "case_step", _("moved a case on")
    APPROVE = "approve", _("approved")
    RETURN = "return", _("returned with comments")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=8)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["actor", "at"]),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditImmutableError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("Audit entries cannot be deleted.")

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the hash itself."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "organisation": self.organisation_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "changes": self.changes,
            "details": self.details,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "channel": self.channel,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        canonical = json.dumps(
            self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- The breach log ------------------------------------------------------------------------


class Breach(models.Model):
    """A personal data breach, recorded by the organisation's data protection officer:
    when it was found, what happened, which data and people it touched, what was done to
    contain it, and whether and when the supervisory authority and the people affected were
    told. What happened and what was done are free text that may name people or systems:
    encrypted at rest. Only the organisation's data protection officers see the log."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("a breach's status", "Open")
        CONTAINED = "contained", pgettext_lazy("a breach's status", "Contained")
        CLOSED = "closed", pgettext_lazy("a breach's status", "Closed")

    class DataCategory(models.TextChoices):
        IDENTITY = "identity", _("Names, dates of birth, identity documents")
        LOCATION = "location", _("Camp addresses, origins and destinations")
        CASES = "cases", _("Case files, notes and protection concerns")
        MHPSS = "mhpss", _("Psychosocial screenings and session notes")
        CLEARANCE = "clearance", _("Security clearance decisions")
        RETURNS = "returns", _("Return plans and movements")
        CONTACTS = "contacts", _("Contact details of sponsors and community actors")
        ATTACHMENTS = "attachments", _("Attached documents")
        ACCOUNTS = "accounts", _("User accounts and credentials")
        OTHER = "other", _("Other")

    class PeopleCategory(models.TextChoices):
        ADULTS = "adults", _("Adults in the camps or returned")
        CHILDREN = "children", _("Children")
        SPONSORS = "sponsors", _("Sponsors and community actors")
        STAFF = "staff", _("Staff and users")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    discovered_at = models.DateTimeField(_("found on"))
    occurred_on = models.DateField(_("happened on"), null=True, blank=True)
    description = EncryptedTextField(_("what happened"))
    data_categories = models.JSONField(_("data concerned"), default=list)
    people_categories = models.JSONField(_("people concerned"), default=list)
    people_affected = models.PositiveIntegerField(_("estimated number of people affected"))
    containment = EncryptedTextField(_("containment actions"), blank=True)
    authority_notified_on = models.DateField(
        _("supervisory authority notified on"), null=True, blank=True
    )
    people_notified_on = models.DateField(_("people affected notified on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    version = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-discovered_at", "-id"]
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")

    def __str__(self) -> str:
        return f"breach #{self.pk}"

    @property
    def authority_deadline(self) -> datetime.datetime:
        """Notify the supervisory authority within 72 hours of finding a breach (GDPR
        art. 33, the benchmark of the humanitarian data protection handbooks)."""
        return self.discovered_at + datetime.timedelta(hours=72)

    def get_data_categories_display(self) -> list[str]:
        labels = dict(self.DataCategory.choices)
        return [str(labels.get(code, code)) for code in self.data_categories]

    def get_people_categories_display(self) -> list[str]:
        labels = dict(self.PeopleCategory.choices)
        return [str(labels.get(code, code)) for code in self.people_categories]
