from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.cases.models import Referral


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
