"""Data protection rights: a person's requests to correct what Awda holds, the record of
every anonymisation (on request or by a retention rule), and the retention rules each
organisation's data protection officer sets."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedTextField
from awda.registry.models import Person


class CorrectionRequest(models.Model):
    """A person asked that something held about them be corrected. What they asked quotes
    their data: encrypted at rest. The correction itself is made on the registration
    (registry.services.person_update), which keeps its own versions and audit."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        CORRECTED = "corrected", _("Corrected")
        PARTLY = "partly", _("Partly corrected")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"))
    request = EncryptedTextField(_("what the person asked"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decision_note = EncryptedTextField(_("what was changed, or why not"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("correction request")

    def __str__(self) -> str:
        return f"correction #{self.pk}"


class RetentionRule(models.Model):
    """After how long a kind of record that has come to its end is anonymised. Applied by
    `awda apply_retention` (nightly), after a dry run."""

    class RecordType(models.TextChoices):
        CLOSED_CASES = "closed_cases", _("Closed cases")
        ENDED_TRACING = "ended_tracing", _("Tracing requests that have ended")
        RETURNED_HOUSEHOLDS = (
            "returned_households",
            _("Households followed up after their return, or closed"),
        )
        WITHDRAWN_CONSENT = (
            "withdrawn_consent",
            _("People who withdrew their consent to registration"),
        )

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise")

    MIN_MONTHS = 12

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(_("records"), max_length=30, choices=RecordType.choices)
    action = models.CharField(
        _("action"), max_length=10, choices=Action.choices, default=Action.ANONYMISE
    )
    after_months = models.PositiveSmallIntegerField(
        _("after (months)"), validators=[MinValueValidator(MIN_MONTHS)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "record_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "record_type"], name="one_retention_rule_per_type"
            ),
            models.CheckConstraint(
                condition=models.Q(after_months__gte=12), name="retention_at_least_12_months"
            ),
        ]
        verbose_name = _("retention rule")

    def __str__(self) -> str:
        return f"retention rule #{self.pk}"


class Anonymisation(models.Model):
    """One record made anonymous: a person (on their request, or by a retention rule), or a
    case or tracing request by a retention rule. The reason is kept here, never in the
    audit trail, whose entry points to this row; `counts` says what was changed, by kind,
    never what it said."""

    class Basis(models.TextChoices):
        ERASURE = "erasure", _("The person asked for erasure")
        OBJECTION = "objection", _("The person objected to the processing")
        NO_LEGAL_BASIS = "no_legal_basis", _("No legal basis is left")
        RETENTION = "retention", _("Retention rule")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    # The person, for a person's anonymisation (other apps can leave them out by it).
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="anonymisation"
    )
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    reason = models.TextField(_("reason"), max_length=500)
    rule = models.ForeignKey(
        RetentionRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # None when done by `awda apply_retention`, whose `operator` (the operating-system
    # account) is kept instead.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    operator = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"], name="anonymised_once")
        ]
        verbose_name = _("anonymisation")

    def __str__(self) -> str:
        return f"anonymisation of {self.object_type}:{self.object_id}"
