from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.models import User
from awda.accounts.roles import Can


def users_for_admin(by: User) -> QuerySet[User]:
    """The users of the administrator's own organisation, each with `has_authenticator`."""
    organisation_id = by.organisation_id
    if not by.can(Can.MANAGE_USERS) or organisation_id is None:
        raise PermissionDenied
    return (
        User.objects.filter(organisation_id=organisation_id)
        .annotate(
            has_authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .order_by("username")
    )


def user_get_for_admin(by: User, pk: int | str) -> User:
    """A user of the administrator's organisation; 404 for anyone else's."""
    return get_object_or_404(users_for_admin(by), pk=pk)
