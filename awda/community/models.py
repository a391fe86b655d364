"""The receiving communities: the leaders who sponsor families (كفالة), the activities
that prepare a community to accept them, and each place's acceptance as it changes.

Everything here belongs to the organisation that recorded it. Sponsors' contact details
are encrypted at rest and shown only to roles that work with the community."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.fields import EncryptedTextField
from awda.places.models import Place
from awda.registry.models import Household


class CommunityActor(models.Model):
    class Kind(models.TextChoices):
        SHEIKH = "sheikh", _("Tribal sheikh")
        MUKHTAR = "mukhtar", _("Mukhtar")
        RELIGIOUS_LEADER = "religious_leader", _("Religious leader")
        NOTABLE = "notable", _("Notable")
        CSO = "cso", _("Civil-society organisation")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    affiliation = models.CharField(_("tribe or affiliation"), max_length=200, blank=True)
    # Phone numbers and addresses of people who guarantee returnees: a leak exposes them.
    contact = EncryptedTextField(_("contact details"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "place"])]
        verbose_name = _("community actor")

    def __str__(self) -> str:
        return self.name


class Sponsorship(models.Model):
    """A sponsor's guarantee for a household: requested → agreed → fulfilled (the family
    arrived and the sponsor received it), or withdrawn with a reason at any point before."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        AGREED = "agreed", _("Agreed")
        FULFILLED = "fulfilled", _("Fulfilled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class WithdrawalReason(models.TextChoices):
        COMMUNITY_PRESSURE = "community_pressure", _("Community pressure on the sponsor")
        SPONSOR_UNAVAILABLE = "sponsor_unavailable", _("Sponsor no longer able")
        FAMILY_DECLINED = "family_declined", _("The family declined")
        DESTINATION_CHANGED = "destination_changed", _("The family changed destination")
        OTHER = "other", _("Other")

    OPEN = (Status.REQUESTED, Status.AGREED)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="sponsorships")
    sponsor = models.ForeignKey(
        CommunityActor,
        verbose_name=_("sponsor"),
        on_delete=models.PROTECT,
        related_name="sponsorships",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_on = models.DateField(_("requested on"), default=timezone.localdate)
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    fulfilled_on = models.DateField(_("fulfilled on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(
        _("reason for withdrawal"), max_length=20, choices=WithdrawalReason.choices, blank=True
    )
    # why a sponsor withdrew (community pressure, threats…): encrypted
    note = EncryptedTextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status__in=["requested", "agreed"]),
                name="one_open_sponsorship_per_household",
            )
        ]
        indexes = [models.Index(fields=["sponsor", "status"])]
        verbose_name = _("sponsorship")

    def __str__(self) -> str:
        return f"sponsorship #{self.pk}"


class AcceptanceActivity(models.Model):
    """A dialogue session, town hall or leaders' workshop held to prepare a community to
    receive returnees. Participants are counted by role, never named."""

    class Kind(models.TextChoices):
        DIALOGUE = "dialogue", _("Dialogue session")
        TOWN_HALL = "town_hall", _("Town hall")
        LEADERS_WORKSHOP = "leaders_workshop", _("Leaders' workshop")
        VISIT = "visit", _("Go-and-see visit")
        OTHER = "other", _("Other")

    class Participant(models.TextChoices):
        TRIBAL_LEADERS = "tribal_leaders", _("Tribal leaders")
        RELIGIOUS_LEADERS = "religious_leaders", _("Religious leaders")
        MUKHTARS = "mukhtars", _("Mukhtars")
        LOCAL_AUTHORITIES = "local_authorities", _("Local authorities")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        WOMEN = "women", _("Women")
        YOUTH = "youth", _("Youth")
        RETURNEES = "returnees", _("Returnees")
        HOST_COMMUNITY = "host_community", _("Host community members")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("date"))
    participant_roles = models.JSONField(_("participants"), default=list)
    participants = models.PositiveIntegerField(_("number of participants"), default=0)
    # what leaders and residents said of the returnees: encrypted
    outcome = EncryptedTextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["organisation", "place"])]
        verbose_name = _("acceptance activity")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class PlaceAcceptance(models.Model):
    """A place's acceptance of returnees as assessed on a date: each assessment is a new
    row, the latest is the current status, the rest is its history. The most specific
    place assessed decides for the places under it."""

    class Status(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not assessed")
        OPPOSED = "opposed", _("Opposed")
        CONDITIONAL = "conditional", _("Accepting under conditions")
        ACCEPTING = "accepting", _("Accepting")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("acceptance"), max_length=20, choices=Status.choices)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    note = EncryptedTextField(_("note"), blank=True)  # who opposes, and why: encrypted
    activity = models.ForeignKey(
        AcceptanceActivity,
        verbose_name=_("after the activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["organisation", "place", "assessed_on"])]
        verbose_name = _("community acceptance")

    def __str__(self) -> str:
        return f"{self.place_id}: {self.status}"
