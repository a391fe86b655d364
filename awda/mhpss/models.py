from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedJSONField, EncryptedTextField
from awda.registry.models import Person


class Screening(models.Model):
    """One administration of a screening instrument, with its score as computed then.
    The answers are opinions about a person's mental health: the most sensitive data
    Awda holds, seen only by MHPSS roles (see selectors). The answers and everything
    derived from them (scores, band, flags) are encrypted at rest: a score says as much
    as the answers. They are read, scored and charted in Python, never queried."""

    class Instrument(models.TextChoices):
        WHO5 = "who5", "WHO-5"
        K6 = "k6", "K6"
        K10 = "k10", "K10"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(_("instrument"), max_length=5, choices=Instrument.choices)
    answers = EncryptedJSONField()
    raw_score = EncryptedJSONField()
    score = EncryptedJSONField()
    band = EncryptedJSONField()
    flags = EncryptedJSONField(default=list)
    administered_on = models.DateField(_("date"), default=timezone.localdate)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-administered_on", "-id"]
        indexes = [models.Index(fields=["person", "instrument", "administered_on"])]

    def __str__(self) -> str:
        return f"{self.instrument} #{self.pk}"


class Session(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        FAMILY = "family", pgettext_lazy("a kind of MHPSS session", "Family")
        GROUP = "group", _("Group")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"), default=datetime.date.today)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=45)
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"session #{self.pk}"
