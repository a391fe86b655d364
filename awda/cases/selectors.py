from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Case, Referral


def referrals_for_user(user: User) -> QuerySet[Referral]:
    """Referrals the user's organisation sent or received."""
    if not user.sees_personal_data:
        return Referral.objects.none()
    return Referral.objects.filter(
        Q(sending_organisation_id=user.organisation_id)
        | Q(receiving_organisation_id=user.organisation_id)
    ).select_related("household", "sending_organisation", "receiving_organisation", "created_by")


def referral_get_for_user(user: User, pk: int | str) -> Referral:
    try:
        return referrals_for_user(user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError):
        raise Http404 from None


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Cases of the user's organisation (sharing a case through a referral comes with
    the referral work)."""
    if not user.sees_personal_data or user.organisation_id is None:
        return Case.objects.none()
    return Case.objects.filter(organisation_id=user.organisation_id).select_related(
        "household", "person", "assigned_to"
    )


def caseload_for_user(user: User, view: str) -> QuerySet[Case]:
    """My cases, my team's, the overdue ones, or those waiting for my approval."""
    cases = cases_visible_to(user).exclude(status=Case.Status.CLOSED)
    if view == "mine":
        return cases.filter(assigned_to=user)
    if view == "overdue":
        return cases.filter(next_due_on__lt=timezone.localdate()).order_by("next_due_on")
    if view == "approvals":
        return cases.exclude(awaiting="")
    return cases


def case_get_for_user(user: User, pk: int | str, *, write: bool = False) -> Case:
    if write and not user.can(Can.MANAGE_CASES) and not user.can(Can.APPROVE_CASES):
        raise Http404
    try:
        case = cases_visible_to(user).get(pk=pk)
    except (Case.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(actor=user, action=Action.VIEW, obj=case)
    return case
