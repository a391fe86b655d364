from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Assessment, Case, FollowUp, Referral


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
    """Cases of the user's organisation, and cases another organisation referred to it
    that it accepted (until the referral is completed or revoked)."""
    if not user.sees_personal_data or user.organisation_id is None:
        return Case.objects.none()
    referred = Referral.objects.filter(
        case=OuterRef("pk"),
        receiving_organisation_id=user.organisation_id,
        status=Referral.Status.ACCEPTED,
    )
    return Case.objects.filter(
        Q(organisation_id=user.organisation_id) | Exists(referred)
    ).select_related("household", "person", "assigned_to")


def caseload_for_user(user: User, view: str) -> QuerySet[Case]:
    """My cases, my team's, the overdue ones, those waiting for my approval, or those
    other organisations referred to mine."""
    own = user.organisation_id or 0
    cases = cases_visible_to(user).exclude(status=Case.Status.CLOSED)
    if view == "referred":
        return cases.exclude(organisation_id=own)
    cases = cases.filter(organisation_id=own)
    if view == "mine":
        return cases.filter(assigned_to=user)
    if view == "overdue":
        return cases.filter(next_due_on__lt=timezone.localdate()).order_by("next_due_on")
    if view == "approvals":
        return cases.exclude(awaiting="")
    return cases


def assessments_visible_to(user: User, case: Case) -> QuerySet[Assessment]:
    """A case's assessments: all of them for its organisation; for an organisation the
    case was referred to, only the forms that the accepted referral shares."""
    assessments = Assessment.objects.filter(case=case).select_related(
        "form_version__form", "recorded_by"
    )
    if case.organisation_id == user.organisation_id:
        return assessments
    shared: set[str] = set()
    for forms in Referral.objects.filter(
        case=case,
        receiving_organisation_id=user.organisation_id or 0,
        status=Referral.Status.ACCEPTED,
    ).values_list("shared_forms", flat=True):
        shared.update(forms)
    return assessments.filter(form_version__form__slug__in=shared)


def case_get_for_user(user: User, pk: int | str, *, write: bool = False) -> Case:
    if write and not user.can(Can.MANAGE_CASES) and not user.can(Can.APPROVE_CASES):
        raise Http404
    cases = cases_visible_to(user)
    if write:  # a referred case is read, not changed, by the receiver
        cases = cases.filter(organisation_id=user.organisation_id or 0)
    try:
        case = cases.get(pk=pk)
    except (Case.DoesNotExist, ValueError):
        raise Http404 from None
    if not write:
        audit_record(actor=user, action=Action.VIEW, obj=case)
    return case


def follow_ups_due(user: User) -> dict[str, list[Any]]:
    """The user's open follow-ups: overdue, due today, due later this week."""
    today = timezone.localdate()
    week_end = today + datetime.timedelta(days=6 - today.weekday() if today.weekday() < 6 else 6)
    open_ones = (
        FollowUp.objects.filter(
            assigned_to=user, done_on__isnull=True, case__organisation_id=user.organisation_id or 0
        )
        .filter(due_on__lte=week_end)
        .select_related("case", "case__household")
        .order_by("due_on", "id")
    )
    due: dict[str, list[Any]] = {"overdue": [], "today": [], "week": []}
    for item in open_ones:
        key = "overdue" if item.due_on < today else "today" if item.due_on == today else "week"
        due[key].append(item)
    return due


def follow_up_get_for_user(user: User, pk: int | str) -> FollowUp:
    try:
        return FollowUp.objects.select_related("case").get(
            pk=pk, case__organisation_id=user.organisation_id or 0
        )
    except (FollowUp.DoesNotExist, ValueError):
        raise Http404 from None
