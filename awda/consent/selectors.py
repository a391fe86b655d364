from __future__ import annotations

from django.db.models import QuerySet

from awda.accounts.models import User
from awda.consent.models import Consent
from awda.registry.models import Person
from awda.registry.selectors import persons_visible_to


def consents_visible_to(user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(person__in=persons_visible_to(user)).select_related(
        "person", "recipient", "caregiver", "recorded_by", "revoked_by"
    )


def consents_of(user: User, person: Person) -> QuerySet[Consent]:
    """The person's consents, newest first (the person was fetched through the selectors,
    so the user may see it)."""
    return consents_visible_to(user).filter(person=person).order_by("-created_at", "-id")
