from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedJSONField, EncryptedTextField
from awda.registry.models import Household


class Referral(models.Model):
    """A household shared with another organisation (referral) or handed over to it
    (transfer). Nothing is shared until the receiving organisation accepts; an accepted
    referral lets the receiver read the household until it is completed or revoked; an
    accepted transfer makes the receiver the household's owner.

    Its free text (why the household is referred, who consented or why a supervisor
    decided without consent, the receiver's answer) describes protection concerns and
    names people: it is encrypted at rest."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        TRANSFER = "transfer", _("Transfer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REVOKED = "revoked", _("Revoked")

    class Consent(models.TextChoices):
        GIVEN = "given", _("The person (or caregiver) consented")
        OVERRIDE = "override", _("A supervisor decided without consent")

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
    reason = EncryptedTextField(_("reason"), blank=True)
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
    response_note = EncryptedTextField(_("note"), blank=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices)
    consent_note = EncryptedTextField(
        _("who consented, or why a supervisor decided without consent"), blank=True
    )
    # Slugs of the assessment forms whose answers the receiver may read (a case referral).
    shared_forms = models.JSONField(_("assessments shared"), default=list, blank=True)
    ended_at = models.DateTimeField(null=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

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


class Case(models.Model):
    """A case for a household, or for one member who needs their own (a child). It moves
    new → assessment → case plan → services → monitoring → closed; the case plan and the
    closure wait for a supervisor's approval; a closed case can be reopened."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSESSMENT = "assessment", _("Assessment")
        CASE_PLAN = "case_plan", _("Case plan")
        SERVICES = "services", _("Services")
        MONITORING = "monitoring", _("Monitoring")
        CLOSED = "closed", _("Closed")

    class Approval(models.TextChoices):
        NONE = "", _("Nothing waiting")
        CASE_PLAN = "case_plan", _("Case plan waiting for approval")
        CLOSURE = "closure", _("Closure waiting for approval")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("member (for an individual case)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    reference = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    awaiting = models.CharField(max_length=10, choices=Approval.choices, blank=True, default="")
    risk = models.CharField(_("risk"), max_length=6, choices=Risk.choices, default=Risk.MEDIUM)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        on_delete=models.PROTECT,
        null=True,
        related_name="cases",
    )
    next_due_on = models.DateField(_("next action due"), null=True, blank=True)
    opened_on = models.DateField(_("date opened"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="case_reference_unique_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseEvent(models.Model):
    """The case's own history: each step, decision and comment, in order. A comment (a
    supervisor's reasons, why a case was reopened) is encrypted at rest."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("opened")
        MOVED = "moved", _("moved on")
        ASSIGNED = "assigned", _("assigned")
        SUBMITTED = "submitted", _("sent for approval")
        APPROVED = "approved", _("approved")
        RETURNED = "returned", _("returned with comments")
        REOPENED = "reopened", _("reopened")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    comment = EncryptedTextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"


class FollowUp(models.Model):
    """Something to do on a case by a date: a visit, a call, a document to chase."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    title = models.CharField(_("what"), max_length=200)
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    done_on = models.DateField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["assigned_to", "done_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_on})"


class Goal(models.Model):
    """A goal of the case plan (e.g. "the children have birth certificates")."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("goal", "Open")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class PlanAction(models.Model):
    """A step towards a goal, with who does it and by when."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ServiceRecord(models.Model):
    """A service the family received: given by the organisation itself, or through a
    referral. Its note is encrypted at rest."""

    class Channel(models.TextChoices):
        IN_HOUSE = "in_house", _("By us")
        REFERRAL = "referral", _("Through a referral")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(_("service"), max_length=30, choices=Referral.Service.choices)
    channel = models.CharField(_("given"), max_length=10, choices=Channel.choices)
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivered_on = models.DateField(_("date"))
    note = EncryptedTextField(_("note"), blank=True)  # at most 300 characters (service)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-delivered_on", "-id"]

    def __str__(self) -> str:
        return f"{self.service} {self.delivered_on}"


class CaseNote(models.Model):
    """A caseworker's note. Its text is encrypted at rest and stays out of the audit
    trail."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_at", "-id"]

    def __str__(self) -> str:
        return f"note #{self.pk}"


class FormDefinition(models.Model):
    """An assessment form. Its questions live in versions (`FormVersion`): editing a
    form makes a new version, and answers keep the version they were given with."""

    slug = models.SlugField(max_length=60, unique=True)
    title_ar = models.CharField(_("title in Arabic"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def title(self) -> str:
        return self.title_ar if (get_language() or "ar").startswith("ar") else self.title_en

    def latest(self) -> FormVersion | None:
        return self.versions.order_by("-number").first()


class FormVersion(models.Model):
    """The questions of one version of a form, as data: a list of
    {name, type, label: {ar, en}, required, choices: [{name, label}], relevant}."""

    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    fields = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="one_number_per_form_version")
        ]

    def __str__(self) -> str:
        return f"{self.form.slug} v{self.number}"


class Assessment(models.Model):
    """A form filled for a case, with the version it was filled with. The answers (a
    child's protection risks, a family's vulnerabilities) are encrypted at rest."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    answers = EncryptedJSONField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"assessment #{self.pk}"


class Attachment(models.Model):
    """A file attached to a case, stored encrypted outside the web root; its title is
    encrypted in the database (it names what the file is: "medical report", "detention
    record"); only its type, size and checksum are kept in the clear."""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    title = EncryptedTextField(_("title"))  # at most 200 characters (service)
    content_type = models.CharField(max_length=40, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_as = models.CharField(max_length=80, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"attachment #{self.pk}"  # not the title: it would reach logs and error pages
