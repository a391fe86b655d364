from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.registry.models import Household


class Referral(models.Model):
    """A household shared with another organisation (referral) or handed over to it
    (transfer). Nothing is shared until the receiving organisation accepts; an accepted
    referral lets the receiver read the household until it is completed or revoked; an
    accepted transfer makes the receiver the household's owner."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        TRANSFER = "transfer", _("Transfer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REVOKED = "revoked", _("Revoked")

    class Service(models.TextChoices):
        CIVIL_DOCUMENTATION = "civil_documentation", _("Civil documentation")
        EDUCATION = "education", _("Education")
        HEALTH = "health", _("Health")
        LIVELIHOODS = "livelihoods", _("Livelihoods")
        LEGAL_AID = "legal_aid", _("Legal aid")
        MHPSS = "mhpss", _("Mental health and psychosocial support")
        PROTECTION = "protection", _("Protection")
        RETURN_SUPPORT = "return_support", _("Return and reintegration support")
        OTHER = "other", _("Other")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sending_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    receiving_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("receiving organisation"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True)
    response_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["receiving_organisation", "status"]),
            models.Index(fields=["household", "status"]),
        ]
        verbose_name = _("referral")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Alert(models.Model):
    """Something a role in an organisation must act on: a screening's risk flag, an
    overdue follow-up, an approval waiting. Shown to users of `organisation` whose role
    is in `roles`; it says what and about whom, never the sensitive content itself."""

    class Kind(models.TextChoices):
        MHPSS_RISK = "mhpss_risk", _("Screening flagged a risk")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, null=True, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
