"""The return itself: what a family intends, what must be true before it may leave (a
checklist per pathway that administrators configure), the authorities' decision as a
bare fact, the movement that carries it, a stay in a rehabilitation centre, and its
arrival home (which starts the reintegration follow-ups)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedTextField
from awda.places.models import Place
from awda.registry.countries import NATIONALITIES
from awda.registry.models import Household, Person


class Pathway(models.TextChoices):
    SYRIAN_SPONSORSHIP = "sy_sponsorship", _("Syrian return with community sponsorship")
    IRAQI_REPATRIATION = "iq_repatriation", _("Iraqi repatriation through a rehabilitation centre")
    THIRD_COUNTRY = "third_country", _("Repatriation to a third country")
    STAYING = "staying", _("Staying for now")


class Intention(models.Model):
    """A household's stated return intention. Revising it adds a row: the latest is the
    current intention, the others its history."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="intentions")
    pathway = models.CharField(_("pathway"), max_length=20, choices=Pathway.choices)
    destination = models.ForeignKey(
        Place,
        verbose_name=_("destination"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    village = models.CharField(
        _("village or neighbourhood"),
        max_length=200,
        blank=True,
        help_text=_("When the place is not in the gazetteer: its name, under the sub-district."),
    )
    country = models.CharField(
        _("country of repatriation"), max_length=2, choices=NATIONALITIES, blank=True
    )
    # why the family wants to go, or to stay: fears, family ties, threats (encrypted)
    reasons = EncryptedTextField(_("reasons"), blank=True)
    stated_on = models.DateField(_("stated on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["household", "created_at"])]
        verbose_name = _("return intention")

    def __str__(self) -> str:
        return f"intention #{self.pk}"


class Centre(models.Model):
    """A rehabilitation centre where repatriated families stay before going home (Jeddah-1,
    also called al-Amal, in Ninewa)."""

    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("rehabilitation centre")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class ChecklistItem(models.Model):
    """One condition of readiness for a pathway. Administrators add, reorder and retire
    items; a rule other than `manual` is checked against the records, a manual one is
    ticked by a person for each household."""

    class Rule(models.TextChoices):
        MANUAL = "manual", _("Ticked by a caseworker")
        DESTINATION = "destination", _("Destination chosen")
        SPONSOR = "sponsor", _("Sponsor agreed")
        ACCEPTANCE = "acceptance", _("Destination community accepting")
        DOCUMENTS = "documents", _("Every member holds an identity document")
        CLEARANCE = "clearance", _("Authorities' clearance recorded")
        CONSENT = "consent", _("Consent to return recorded for the head of household")

    pathway = models.CharField(_("pathway"), max_length=20, choices=Pathway.choices)
    code = models.SlugField(_("code"), max_length=40)
    rule = models.CharField(_("checked by"), max_length=20, choices=Rule.choices)
    label_ar = models.CharField(_("label in Arabic"), max_length=200)
    label_en = models.CharField(_("label in English"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    # Raised by every change: two administrators editing one item cannot overwrite each
    # other (a change names the version it was made on).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pathway", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "code"], name="checklist_code_per_pathway")
        ]
        verbose_name = _("readiness item")

    def __str__(self) -> str:
        return f"{self.pathway}/{self.code}"

    @property
    def label(self) -> str:
        return self.label_ar if (get_language() or "ar").startswith("ar") else self.label_en


class ChecklistTick(models.Model):
    """A manual readiness item marked done (or undone) for a household: the latest row for
    a household and item is its state, earlier rows its history."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField()
    on = models.DateField(default=timezone.localdate)
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["household", "item", "created_at"])]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.done}"


class Clearance(models.Model):
    """The authorities' security clearance decision, taken outside Awda: the decision, its
    date and reference only. Never the reasons, never intelligence."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Submitted, no decision yet")
        CLEARED = "cleared", _("Cleared")
        NOT_CLEARED = "not_cleared", _("Not cleared")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    decided_on = models.DateField(_("date of the decision"))
    reference = EncryptedTextField(_("reference"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clearance decision")

    def __str__(self) -> str:
        return f"clearance #{self.pk}"


class ReadinessOverride(models.Model):
    """A supervisor's decision that a household may be scheduled although its checklist is
    not complete, with the reason; revoked by setting `revoked_at`."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"override #{self.pk}"


class Movement(models.Model):
    """A road convoy or a flight carrying households from a camp to a destination or to a
    rehabilitation centre, with a capacity in people and a number of vehicles."""

    class Kind(models.TextChoices):
        CONVOY = "convoy", _("Road convoy")
        FLIGHT = "flight", _("Flight")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DEPARTED = "departed", _("Departed")
        ARRIVED = "arrived", _("Arrived")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    pathway = models.CharField(_("pathway"), max_length=20, choices=Pathway.choices)
    departs_on = models.DateField(_("departure date"))
    origin = models.ForeignKey(
        Place, verbose_name=_("from camp"), on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        Place,
        verbose_name=_("to place"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    centre = models.ForeignKey(
        Centre,
        verbose_name=_("to rehabilitation centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    # A repatriation to a third country goes to that country, not to a place in Syria or
    # Iraq.
    country = models.CharField(_("to country"), max_length=2, choices=NATIONALITIES, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"))
    vehicles = models.PositiveSmallIntegerField(_("vehicles"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    notes = models.TextField(_("notes"), blank=True)
    departed_on = models.DateField(_("departed on"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-departs_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="movement_reference_unique_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(destination__isnull=False, centre__isnull=True, country="")
                | models.Q(destination__isnull=True, centre__isnull=False, country="")
                | (models.Q(destination__isnull=True, centre__isnull=True) & ~models.Q(country="")),
                name="movement_goes_to_a_place_a_centre_or_a_country",
            ),
            models.CheckConstraint(condition=models.Q(vehicles__gte=1), name="movement_vehicles"),
        ]
        indexes = [models.Index(fields=["organisation", "status", "departs_on"])]
        verbose_name = _("movement")

    def __str__(self) -> str:
        return self.reference


class Passenger(models.Model):
    """A person on a movement, in a vehicle, with what happened to them on the way."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("a person on a movement", "Scheduled")
        DEPARTED = "departed", pgettext_lazy("a person on a movement", "Departed")
        NO_SHOW = "no_show", _("Did not show")
        ARRIVED = "arrived", pgettext_lazy("a person on a movement", "Arrived")
        SEPARATED = "separated", _("Separated on the way")
        DECEASED = "deceased", _("Died on the way")
        REMOVED = "removed", _("Taken off the movement")

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="passengers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    vehicle = models.PositiveSmallIntegerField(_("vehicle"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    # An adult travelling with a child whose own family is not on the movement.
    escort = models.ForeignKey(
        Person,
        verbose_name=_("escort"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    born_on_the_way = models.BooleanField(default=False)
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vehicle", "household_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["movement", "person"], name="passenger_once"),
            # Nobody is booked on two movements at once.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="scheduled"),
                name="one_scheduled_movement_per_person",
            ),
        ]
        indexes = [models.Index(fields=["household", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.movement_id}"


class CentreStay(models.Model):
    """A household's stay in a rehabilitation centre: a stage of its return."""

    class Programme(models.TextChoices):
        CIVIL_DOCUMENTATION = "civil_documentation", _("Civil documentation")
        PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
        EDUCATION = "education", _("Education")
        HEALTH = "health", _("Health")
        LIVELIHOODS = "livelihoods", _("Livelihoods")
        FAMILY_RECONNECTION = "family_reconnection", _("Family reconnection")
        RELIGIOUS_GUIDANCE = "religious_guidance", _("Religious guidance")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="stays"
    )
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_on = models.DateField(_("entered on"))
    exited_on = models.DateField(_("left on"), null=True, blank=True)
    programmes = models.JSONField(_("programmes attended"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)  # raised by every change of programmes
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-entered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(exited_on__isnull=True),
                name="one_open_centre_stay_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"stay #{self.pk}"


class Homecoming(models.Model):
    """A household's arrival home: the day its reintegration starts to be followed, and
    the handover to a receiving-area organisation."""

    household = models.OneToOneField(Household, on_delete=models.PROTECT, related_name="homecoming")
    arrived_on = models.DateField(_("arrived home on"))
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    village = models.CharField(_("village or neighbourhood"), max_length=200, blank=True)
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handover = models.ForeignKey(
        "cases.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-arrived_on", "-id"]
        verbose_name = _("arrival home")

    def __str__(self) -> str:
        return f"home #{self.pk}"
