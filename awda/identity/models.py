from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from awda.registry.models import Person


class NameKey(models.Model):
    """One searchable key of a person's names: the skeleton ("sk") or the coarse skeleton
    ("co") of one name token, from the Arabic and the Latin spelling alike. Kept by
    `identity.services.name_keys_refresh` whenever names change."""

    class Kind(models.TextChoices):
        SKELETON = "sk"
        COARSE = "co"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys")
    kind = models.CharField(max_length=2, choices=Kind.choices)
    key = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "key"], name="one_name_key_per_person"
            )
        ]
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class MatchCandidate(models.Model):
    """Two registrations that may be one person, found by a scan, waiting for a person
    to decide. Nothing is merged without that decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        CONFIRMED = "confirmed", _("Same person: merged")
        REJECTED = "rejected", _("Different people")
        UNDONE = "undone", _("Merge undone")

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="match probability from the scan")
    evidence = models.JSONField(default=dict, help_text="per field: how the two compare")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    found_by = models.ForeignKey(
        "common.Task", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    found_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_candidate_per_pair"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")), name="candidate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "score"])]

    def __str__(self) -> str:
        return f"{self.person_a_id}~{self.person_b_id} {self.score:.2f}"


class Merge(models.Model):
    """One registration folded into another, with what is needed to undo it: the merged
    person stays in the database, hidden behind the survivor."""

    candidate = models.ForeignKey(MatchCandidate, on_delete=models.PROTECT, related_name="merges")
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField(help_text="the survivor's documents and needs before the merge")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} into {self.survivor_id}"
