"""Consent and the legal basis for each use of a person's data.

A record says: for this person and this purpose (and, for a referral, this receiving
organisation), the data is processed on this legal basis, given by the person or their
caregiver (with the child's own assent or refusal alongside), recorded by whom and when.
Revoking keeps the record (its history) and stops what it covered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedTextField
from awda.registry.models import Person


class Purpose(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    CASE_MANAGEMENT = "case_management", _("Case management")
    REFERRAL = "referral", _("Referral to a named organisation")
    TRACING = "tracing", _("Family tracing")
    RETURN = "return", _("Return")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    VITAL_INTEREST = "vital_interest", _("Vital interest")
    PUBLIC_INTEREST = "public_interest", _("Public interest")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")


class Consent(models.Model):
    class GivenBy(models.TextChoices):
        PERSON = "person", _("The person")
        CAREGIVER = "caregiver", _("A parent or caregiver")
        NOT_APPLICABLE = "", _("Not applicable (another legal basis)")

    class Assent(models.TextChoices):
        GIVEN = "given", _("The child agrees")
        REFUSED = "refused", _("The child does not agree")
        NOT_ASKED = "not_asked", _("Not asked (too young or unable)")
        NOT_APPLICABLE = "", _("Not a child")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("receiving organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices, blank=True)
    caregiver = models.ForeignKey(
        Person,
        verbose_name=_("caregiver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    child_assent = models.CharField(
        _("child's assent"), max_length=10, choices=Assent.choices, blank=True
    )
    note = EncryptedTextField(_("note"), blank=True)
    given_on = models.DateField(_("date"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "purpose", "revoked_at"])]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None and self.child_assent != self.Assent.REFUSED
