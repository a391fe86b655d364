from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedJSONField
from awda.common.models import Task


class ImportTemplate(models.Model):
    """A column mapping saved under a name, for the next list from the same agency."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, default="registration")
    # The file's header -> the field it fills ("" = leave the column out).
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="one_template_per_name")
        ]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One file brought in: checked first (the dry run), then committed as a whole, and
    undone as a whole if need be. The file itself is kept encrypted in the var directory
    until the batch is committed or discarded; the report names rows and columns and
    quotes values, so it is encrypted too."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        CHECKED = "checked", _("Checked, not imported")
        UNREADABLE = "unreadable", _("Cannot be read")
        COMMITTING = "committing", _("Being imported")
        COMMITTED = "committed", _("Imported")
        ROLLED_BACK = "rolled_back", _("Undone")
        DISCARDED = "discarded", _("Discarded")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=10, default="web")  # web / command
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_kind = models.CharField(max_length=20, blank=True)  # xlsx, csv, kobo-json, ...
    form_id = models.CharField(max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, default="registration")
    encoding = models.CharField(max_length=20, blank=True)
    template = models.ForeignKey(
        ImportTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The mapping the last check used: the file's header -> field.
    mapping = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHECKING)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, related_name="+")
    error = models.CharField(max_length=300, blank=True)  # why the file cannot be read
    rows = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)  # counts only
    problems = EncryptedJSONField(default=list, blank=True)
    # Rows the user chose to bring in although they look like someone already registered.
    import_anyway = models.JSONField(default=list, blank=True)
    # What the commit wrote, by model label, so that a rollback undoes exactly that.
    created = models.JSONField(default=dict, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"import #{self.pk}"


class ImportedSubmission(models.Model):
    """A submission (Kobo `_uuid`, ODK instance id, or a registration list's household)
    already brought in: importing it again changes nothing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    submission_id = models.CharField(max_length=200)
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="submissions")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "submission_id"], name="one_import_per_submission"
            )
        ]

    def __str__(self) -> str:
        return self.submission_id
