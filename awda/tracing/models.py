"""Family tracing: a registered person asks for a relative they were separated from;
Awda looks for the relative across every organisation's registry (among people whose
consent covers tracing) and among other families' requests, and organisations reach each
other through a mediated contact request before anything of one's records is shown to
the other. Confirmed links between relatives feed the family graph."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedTextField
from awda.places.models import Place
from awda.registry.models import Person


class Relation(models.TextChoices):
    """Who the sought person is to the requester."""

    CHILD = "child", _("Son or daughter")
    PARENT = "parent", _("Father or mother")
    SIBLING = "sibling", _("Brother or sister")
    SPOUSE = "spouse", _("Husband or wife")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other relative")


class TracingRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("a tracing request's status", "Open")
        CANDIDATE_FOUND = "candidate_found", _("Possible match found")
        CONFIRMED = "confirmed", _("Confirmed")
        REUNIFIED = "reunified", _("Reunified")
        CONTACT_RESTORED = "contact_restored", _("Contact restored")
        CLOSED = "closed", pgettext_lazy("a tracing request's status", "Closed")

    class Separation(models.TextChoices):
        """As the family reports it — never an allegation."""

        REPORTED_DETAINED = "reported_detained", _("Reported detained")
        REPORTED_TRANSFERRED_IRAQ = "reported_transferred_iraq", _("Reported transferred to Iraq")
        IN_ANOTHER_CAMP = "in_another_camp", _("In another camp")
        IN_A_CENTRE = "in_a_centre", _("In a rehabilitation centre")
        RETURNED = "returned", _("Already returned")
        UNKNOWN = "unknown", _("Unknown")

    ACTIVE = (Status.OPEN, Status.CANDIDATE_FOUND)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    requester = models.ForeignKey(
        Person, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="+"
    )
    relationship = models.CharField(
        _("the sought person is the requester's"), max_length=12, choices=Relation.choices
    )
    sought_first_name_ar = models.CharField(_("first name (Arabic)"), max_length=60, blank=True)
    sought_father_name_ar = models.CharField(_("father's name (Arabic)"), max_length=60, blank=True)
    sought_grandfather_name_ar = models.CharField(
        _("grandfather's name (Arabic)"), max_length=60, blank=True
    )
    sought_family_name_ar = models.CharField(_("family name (Arabic)"), max_length=60, blank=True)
    sought_first_name_lat = models.CharField(_("first name (Latin)"), max_length=60, blank=True)
    sought_father_name_lat = models.CharField(_("father's name (Latin)"), max_length=60, blank=True)
    sought_grandfather_name_lat = models.CharField(
        _("grandfather's name (Latin)"), max_length=60, blank=True
    )
    sought_family_name_lat = models.CharField(_("family name (Latin)"), max_length=60, blank=True)
    sought_sex = models.CharField(_("sex"), max_length=1, choices=Person.Sex.choices)
    sought_birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sought_age = models.PositiveSmallIntegerField(_("age now (estimated)"), null=True, blank=True)
    last_known_place = models.ForeignKey(
        Place,
        verbose_name=_("last known place"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_seen_on = models.DateField(_("last seen on"), null=True, blank=True)
    separation = models.CharField(
        _("as the family reports it"),
        max_length=30,
        choices=Separation.choices,
        default=Separation.UNKNOWN,
    )
    # The family's account: sensitive, encrypted, never searched, never shared.
    circumstances = EncryptedTextField(_("circumstances of the separation"), blank=True)
    # Often says what happened to the requester (in hospital, detained…): encrypted. Only
    # whether it is empty is ever asked of the database.
    # A photo the family gave, optional: encrypted at rest like every sensitive field (as
    # base64 text, so that key rotation covers it), shown only to the organisations
    # working on the request.
    photo = EncryptedTextField(_("photo"), blank=True)
    photo_type = models.CharField(max_length=20, blank=True)
    consent_override = EncryptedTextField(
        _("why a supervisor traces without the requester's consent"), blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    searched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]
        verbose_name = _("tracing request")

    def __str__(self) -> str:
        return f"tracing #{self.pk}"

    @property
    def sought_name_ar(self) -> str:
        parts = (
            self.sought_first_name_ar,
            self.sought_father_name_ar,
            self.sought_grandfather_name_ar,
            self.sought_family_name_ar,
        )
        return " ".join(p for p in parts if p)

    @property
    def sought_name_lat(self) -> str:
        parts = (
            self.sought_first_name_lat,
            self.sought_father_name_lat,
            self.sought_grandfather_name_lat,
            self.sought_family_name_lat,
        )
        return " ".join(p for p in parts if p)

    @property
    def sought_name(self) -> str:
        return self.sought_name_ar or self.sought_name_lat


class Candidate(models.Model):
    """A possible match for a request: a registered person, or another family's request
    that seeks this requester (two families looking for each other). The score and the
    evidence per field are kept so that a person reviews them; nothing is a match until
    the organisation holding the record confirms it."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        CONTACT_REQUESTED = "contact_requested", _("Contact requested")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined by the person")
        NOT_THE_PERSON = "not_the_person", _("Not the person")
        DISMISSED = "dismissed", _("Dismissed")

    request = models.ForeignKey(TracingRequest, on_delete=models.PROTECT, related_name="candidates")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    other_request = models.ForeignKey(
        TracingRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The organisation holding the candidate's record (the person's, or the other
    # request's): only it may confirm.
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    evidence = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUGGESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "person"],
                condition=models.Q(person__isnull=False),
                name="candidate_person_once",
            ),
            models.UniqueConstraint(
                fields=["request", "other_request"],
                condition=models.Q(other_request__isnull=False),
                name="candidate_request_once",
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, other_request__isnull=True)
                | models.Q(person__isnull=True, other_request__isnull=False),
                name="candidate_is_a_person_or_a_request",
            ),
        ]

    def __str__(self) -> str:
        return f"candidate #{self.pk}"


class ContactRequest(models.Model):
    """One organisation asks another to check with a person it holds whether they are the
    relative sought. The receiver sees the request's own details (what the requesting
    family said) and which of its people matched; it answers after asking the person."""

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", _("It is the person, who agrees to share contact")
        DECLINED = "declined", _("It is the person, who does not want contact")
        NOT_THE_PERSON = "not_the_person", _("Not the person")

    candidate = models.OneToOneField(
        Candidate, on_delete=models.PROTECT, related_name="contact_request"
    )
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["to_organisation", "answer"])]

    def __str__(self) -> str:
        return f"contact request #{self.pk}"


class FamilyLink(models.Model):
    """Two people are relatives: `relation` says what `to_person` is to `from_person`.
    Fed by confirmed tracing matches and by registration (a household's relationships);
    links inside one household are read from the household itself, not stored."""

    class Source(models.TextChoices):
        TRACING = "tracing", _("Confirmed tracing match")
        REGISTRATION = "registration", _("Registration")

    from_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_from")
    to_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_to")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    request = models.ForeignKey(
        TracingRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["from_person", "to_person"], name="family_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.from_person_id} → {self.to_person_id}: {self.relation}"
