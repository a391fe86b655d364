from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.places.models import Place
from awda.registry.countries import NATIONALITIES


class Household(models.Model):
    """A family as registered in a camp. It, its members and everything about them belong
    to the organisation that registered it (`organisation`)."""

    class Status(models.TextChoices):
        """The household's stage on its way home, kept by awda.returns.pipeline from the
        records (never typed in by hand)."""

        REGISTERED = "registered", _("Registered")
        INTENTION = "intention", _("Intention stated")
        PREPARING = "preparing", _("Sponsorship and acceptance")
        ELIGIBLE = "eligible", _("Ready to return")
        SCHEDULED = "scheduled", _("Scheduled on a movement")
        DEPARTED = "departed", _("Departed")
        IN_CENTRE = "in_centre", _("In a rehabilitation centre")
        ARRIVED = "arrived", _("Home")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="households"
    )
    reference = models.CharField(_("reference number"), max_length=40)
    camp = models.ForeignKey(
        Place, verbose_name=_("camp"), on_delete=models.PROTECT, related_name="+"
    )
    camp_section = models.ForeignKey(
        Place,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    camp_block = models.ForeignKey(
        Place,
        verbose_name=_("block"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    tent = models.CharField(_("tent"), max_length=20, blank=True)
    origin = models.ForeignKey(
        Place,
        verbose_name=_("community of origin"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    destination = models.ForeignKey(
        Place,
        verbose_name=_("intended destination"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    nationality = models.CharField(_("nationality"), max_length=2, choices=NATIONALITIES)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    registered_on = models.DateField(_("registration date"), default=timezone.localdate)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Raised by every change; a save that names an older version is refused, so two
    # people editing at once cannot overwrite each other.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="household_reference_unique_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "camp", "camp_block"]),
        ]
        verbose_name = _("household")

    def __str__(self) -> str:
        return self.reference


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class DobPrecision(models.TextChoices):
        EXACT = "exact", _("Exact date")
        YEAR = "year", _("Year only")
        ESTIMATED = "estimated", _("Estimated from age")

    class Relationship(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Son or daughter")
        STEPCHILD = "stepchild", _("Stepchild")
        GRANDCHILD = "grandchild", _("Grandchild")
        PARENT = "parent", _("Father or mother")
        SIBLING = "sibling", _("Brother or sister")
        NEPHEW_NIECE = "nephew_niece", _("Nephew or niece")
        UNCLE_AUNT = "uncle_aunt", _("Uncle or aunt")
        IN_LAW = "in_law", _("Relative by marriage")
        OTHER_RELATIVE = "other_relative", _("Other relative")
        UNRELATED = "unrelated", _("Not related (e.g. foster child)")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=20, choices=Relationship.choices, blank=True
    )
    first_name_ar = models.CharField(_("first name (Arabic)"), max_length=60, blank=True)
    father_name_ar = models.CharField(_("father's name (Arabic)"), max_length=60, blank=True)
    grandfather_name_ar = models.CharField(
        _("grandfather's name (Arabic)"), max_length=60, blank=True
    )
    family_name_ar = models.CharField(_("family name (Arabic)"), max_length=60, blank=True)
    first_name_lat = models.CharField(_("first name (Latin)"), max_length=60, blank=True)
    father_name_lat = models.CharField(_("father's name (Latin)"), max_length=60, blank=True)
    grandfather_name_lat = models.CharField(
        _("grandfather's name (Latin)"), max_length=60, blank=True
    )
    family_name_lat = models.CharField(_("family name (Latin)"), max_length=60, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    dob_precision = models.CharField(
        _("date of birth is"), max_length=10, choices=DobPrecision.choices, blank=True
    )
    nationality = models.CharField(
        _("nationality"),
        max_length=2,
        choices=NATIONALITIES,
        blank=True,
        help_text=_("Leave empty when it is the household's."),
    )
    # Set when a reviewer confirmed that this registration is the same person as another:
    # the record stays (the merge can be undone) but is shown only through the survivor.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_registrations"
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relationship="head"),
                name="one_head_per_household",
            ),
            models.CheckConstraint(
                condition=models.Q(date_of_birth__isnull=True, dob_precision="")
                | (models.Q(date_of_birth__isnull=False) & ~models.Q(dob_precision="")),
                name="dob_has_precision",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "family_name_ar", "first_name_ar"])]
        verbose_name = _("person")

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def full_name_ar(self) -> str:
        parts = (self.first_name_ar, self.father_name_ar, self.grandfather_name_ar)
        return " ".join(p for p in (*parts, self.family_name_ar) if p)

    @property
    def full_name_lat(self) -> str:
        parts = (self.first_name_lat, self.father_name_lat, self.grandfather_name_lat)
        return " ".join(p for p in (*parts, self.family_name_lat) if p)

    @property
    def display_name(self) -> str:
        return self.full_name_ar or self.full_name_lat

    def age_on(self, day: datetime.date) -> int | None:
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Membership(models.Model):
    """A person's time in a household: the history behind `Person.household`."""

    class EndReason(models.TextChoices):
        MOVED = "moved", _("Moved to another household")
        LEFT = "left", _("Left the household")
        SEPARATED = "separated", _("Separated from the family")
        DECEASED = "deceased", _("Deceased")
        CORRECTION = "correction", _("Registered in error")
        MERGED = "merged", _("Same person as another registration")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(max_length=20, choices=Person.Relationship.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=20, choices=EndReason.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(ended_on__isnull=True),
                name="one_open_membership_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} from {self.started_on}"


class CivilDocument(models.Model):
    class Kind(models.TextChoices):
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        NATIONAL_ID = "national_id", _("National ID card")
        FAMILY_BOOKLET = "family_booklet", _("Family booklet")
        NATIONALITY_CERTIFICATE = "nationality_certificate", _("Nationality certificate")
        MARRIAGE_CERTIFICATE = "marriage_certificate", _("Marriage certificate")
        PASSPORT = "passport", _("Passport")
        DEATH_CERTIFICATE = "death_certificate", _("Spouse's death certificate")

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        MISSING = "missing", _("Missing")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="one_document_status_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.status}"


class SpecificNeed(models.Model):
    """UNHCR's specific-needs categories (proGres codes)."""

    class Code(models.TextChoices):
        CHILD_AT_RISK = "CR", _("Child at risk")
        UNACCOMPANIED_CHILD = "UM", _("Unaccompanied child")
        SEPARATED_CHILD = "SC", _("Separated child")
        WOMAN_AT_RISK = "WR", _("Woman at risk")
        OLDER_PERSON_AT_RISK = "ER", _("Older person at risk")
        SINGLE_PARENT = "SP", _("Single parent or caregiver")
        DISABILITY = "DS", _("Disability")
        SERIOUS_MEDICAL_CONDITION = "SM", _("Serious medical condition")
        LEGAL_PROTECTION = "LP", _("Specific legal and physical protection needs")
        TORTURE = "TR", _("Survivor of torture")
        SGBV = "SV", _("Survivor of sexual or gender-based violence")
        FAMILY_UNITY = "FU", _("Family unity")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="needs")
    code = models.CharField(max_length=2, choices=Code.choices)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["person", "code"], name="one_need_per_code")]

    def __str__(self) -> str:
        return self.code
