from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from awda.accounts.models import ApiToken, User
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
