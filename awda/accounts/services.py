from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from awda.accounts.models import ApiToken, Organisation, User
from awda.accounts.roles import Role
from awda.audit.models import Action
from awda.audit.services import audit_record


def api_token_issue(*, user: User) -> tuple[str, datetime.datetime]:
    """A new bearer token for `user`: the key is returned once and only its hash is kept."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + datetime.timedelta(minutes=settings.API_TOKEN_MINUTES)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires_at__lt=timezone.now()).delete()
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), expires_at=expires_at)
        audit_record(actor=user, action=Action.TOKEN, obj=user)
    return key, expires_at


def user_logout_everywhere(*, user: User) -> None:
    """End every session and API token of `user`, on every device."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_generation=user.session_generation + 1)
        user.session_generation += 1
        ApiToken.objects.filter(user=user).delete()
        audit_record(actor=user, action=Action.LOGOUT_EVERYWHERE, obj=user)


def sessions_purge_expired() -> int:
    count, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return count


def organisation_create(*, slug: str, name_ar: str, name_en: str, kind: str) -> Organisation:
    organisation = Organisation(slug=slug, name_ar=name_ar, name_en=name_en, kind=kind)
    organisation.full_clean()
    with transaction.atomic():
        organisation.save()
        audit_record(
            actor=None, action=Action.CREATE, obj=organisation, changes={"slug": [None, slug]}
        )
    return organisation


def user_create(
    *, username: str, organisation: Organisation, role: str, password: str, by: User | None = None
) -> User:
    """A new account; the password must pass the configured validators."""
    if role not in Role.values:
        raise ValidationError({"role": [f"unknown role {role!r}; one of {', '.join(Role.values)}"]})
    user = User(username=username, organisation=organisation, role=role)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=user,
            changes={
                "username": [None, username],
                "role": [None, role],
                "organisation": [None, organisation.slug],
            },
        )
    return user
