"""Reads for the data protection officer. A person, a request or a rule of another
organisation does not exist for them (404): a data protection officer acts on their own
organisation's records only, even those another organisation referred to it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.registry.models import Person
from awda.rights.models import Anonymisation, CorrectionRequest, RetentionRule


def _organisation(user: User) -> int:
    if not user.can(Can.SEARCH_AUDIT) or user.organisation_id is None:
        raise Http404
    return user.organisation_id


def person_for_officer(user: User, pk: int | str) -> Person:
    """A person of the officer's organisation, or 404; the look is audited."""
    try:
        person = (
            Person.objects.select_related("household", "organisation", "merged_into")
            .prefetch_related("documents", "needs")
            .get(pk=pk, organisation_id=_organisation(user))
        )
    except (Person.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(actor=user, action=Action.VIEW, obj=person, details={"rights": True})
    return person


def corrections_of(person: Person) -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.filter(person=person).select_related(
        "recorded_by", "decided_by"
    )


def correction_for_officer(user: User, pk: int | str) -> CorrectionRequest:
    try:
        return CorrectionRequest.objects.select_related("person").get(
            pk=pk, organisation_id=_organisation(user)
        )
    except (CorrectionRequest.DoesNotExist, ValueError):
        raise Http404 from None


def pending_corrections_for_user(user: User) -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.filter(
        organisation_id=_organisation(user), decision=CorrectionRequest.Decision.PENDING
    ).order_by("received_on", "id")


def anonymisation_of(person: Person) -> Anonymisation | None:
    return Anonymisation.objects.filter(person=person).select_related("by", "rule").first()


def anonymisations_for_user(user: User) -> QuerySet[Anonymisation]:
    return Anonymisation.objects.filter(organisation_id=_organisation(user)).select_related(
        "by", "rule"
    )


def rules_for_user(user: User) -> QuerySet[RetentionRule]:
    return RetentionRule.objects.filter(organisation_id=_organisation(user)).select_related(
        "created_by", "updated_by"
    )


def rule_for_officer(user: User, pk: int | str) -> RetentionRule:
    try:
        return rules_for_user(user).get(pk=pk)
    except (RetentionRule.DoesNotExist, ValueError):
        raise Http404 from None
