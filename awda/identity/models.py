from __future__ import annotations

from django.db import models

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
