"""Following a family after it arrived home: follow-ups due 1, 3, 6 and 12 months later,
each answered with a reintegration survey whose definition is data (questions, their
dimension and weight), scored per dimension and as a composite."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedJSONField, EncryptedTextField
from awda.registry.models import Household


class Dimension(models.TextChoices):
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")


class SurveyInstrument(models.Model):
    """A version of a reintegration survey. `definition` holds the dimensions with their
    weights and the questions with their dimension, weight and scored choices (see
    reintegration/instruments.py for its shape and checks). Loading a programme's own
    instrument is a data change (`awda load_survey FILE`), never a code change."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    is_default = models.BooleanField(
        _("shipped default"),
        default=False,
        help_text=_("The default shipped with Awda, not an official instrument."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    definition = models.JSONField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="survey_version_once")
        ]
        verbose_name = _("reintegration survey")

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class FollowUp(models.Model):
    class Status(models.TextChoices):
        DUE = "due", pgettext_lazy("a follow-up not done yet", "Due")
        DONE = "done", pgettext_lazy("a follow-up carried out", "Done")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    MONTHS = (1, 3, 6, 12)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="reintegration_follow_ups"
    )
    months = models.PositiveSmallIntegerField(_("months after arrival"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DUE
    )
    # why a follow-up was missed: often where the family went or what happened to it
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "months"], name="follow_up_once")
        ]
        indexes = [models.Index(fields=["organisation", "status", "due_on"])]
        verbose_name = _("reintegration follow-up")

    def __str__(self) -> str:
        return f"{self.household_id} +{self.months}m"


class Survey(models.Model):
    """One administration of a reintegration survey to a household, with its scores as
    computed then (0 to 1 per dimension, and the weighted composite). Answers to the
    psychosocial questions are sensitive: see selectors for who may read them.

    The answers and all four scores are encrypted at rest. The psychosocial score says as
    much about a family's distress as the answers behind it, and the composite is the
    dimensions' weighted mean, so with the economic and social scores and the
    instrument's weights it gives the psychosocial one back: none of the four can stay
    in the clear alone. Nothing sorts, filters or sums them in SQL; the outcomes per
    place decrypt each household's latest survey only and average in Python."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="reintegration_surveys"
    )
    follow_up = models.OneToOneField(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="survey"
    )
    instrument = models.ForeignKey(SurveyInstrument, on_delete=models.PROTECT, related_name="+")
    answers = EncryptedJSONField()
    # each a number from 0 to 1, or None when no question of the dimension was answered
    economic = EncryptedJSONField(null=True)
    social = EncryptedJSONField(null=True)
    psychosocial = EncryptedJSONField(null=True)
    composite = EncryptedJSONField(null=True)
    conducted_on = models.DateField(_("date"))
    conducted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-conducted_on", "-id"]
        indexes = [models.Index(fields=["household", "conducted_on"])]
        verbose_name = _("reintegration survey response")

    def __str__(self) -> str:
        return f"survey #{self.pk}"
