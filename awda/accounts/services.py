from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.models import ApiToken, Organisation, SecondFactorReset, User
from awda.accounts.roles import Can, Role
from awda.accounts.second_factor import (
    RECOVERY_CODE_COUNT,
    authenticator_of,
    format_recovery_code,
    hash_recovery_code,
    looks_like_recovery_code,
    looks_like_totp,
    new_recovery_code,
    normalise_code,
    pending_authenticator_of,
    recovery_codes_left,
    recovery_device_of,
)
from awda.audit.models import Action
from awda.audit.services import audit_record


def api_token_issue(*, user: User, second_factor: str = "") -> tuple[str, datetime.datetime]:
    """A new bearer token for `user`: the key is returned once and only its hash is kept.
    `second_factor` ("totp", "recovery_code" or "none") is what the login used."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + datetime.timedelta(minutes=settings.API_TOKEN_MINUTES)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires_at__lt=timezone.now()).delete()
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), expires_at=expires_at)
        audit_record(
            actor=user,
            action=Action.TOKEN,
            obj=user,
            details={"second_factor": second_factor} if second_factor else None,
        )
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


# Two-factor login (see second_factor.py). Logins themselves are recorded by the login
# steps (login.py), which know the request.


def second_factor_begin(*, user: User) -> TOTPDevice:
    """The authenticator app being set up, not confirmed yet: the same one until it is
    confirmed, so that the QR code does not change when the page is reloaded."""
    device = pending_authenticator_of(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _recovery_codes_replace(user: User) -> list[str]:
    """Ten new recovery codes instead of the old ones; only their hashes are stored."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=hash_recovery_code(code)) for code in codes
    )
    return [format_recovery_code(code) for code in codes]


def second_factor_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator being set up with a code it shows now. It replaces any
    earlier authenticator, and comes with ten new recovery codes, returned in clear this
    once (only their hashes are kept)."""
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    token = normalise_code(code)
    if not looks_like_totp(token) or verify_token(user, device.persistent_id, token) is None:
        raise ValidationError(
            {
                "otp": [
                    _(
                        "This code does not match. Check that the phone's clock is right "
                        "and type the six digits the app shows now."
                    )
                ]
            }
        )
    with transaction.atomic():
        earlier = authenticator_of(user)
        codes_before = recovery_codes_left(user)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=user,
            action=Action.UPDATE,
            obj=user,
            changes={
                "authenticator": [earlier.pk if earlier else None, device.pk],
                "recovery_codes": [codes_before, RECOVERY_CODE_COUNT],
            },
        )
    return codes


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Returned in clear this once."""
    if authenticator_of(user) is None:
        raise ValidationError({"recovery_codes": [_("Set up an authenticator app first.")]})
    with transaction.atomic():
        codes_before = recovery_codes_left(user)
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=user,
            action=Action.UPDATE,
            obj=user,
            changes={"recovery_codes": [codes_before, RECOVERY_CODE_COUNT]},
        )
    return codes


def second_factor_verify(*, user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts `code` (the authenticator's current code, or one of the
    recovery codes), or None. A recovery code is used up; an authenticator code cannot be
    used twice. The caller records the outcome (a login, or a failure toward the lockout)."""
    token = normalise_code(code)
    if looks_like_totp(token):
        device: TOTPDevice | StaticDevice | None = authenticator_of(user)
    elif looks_like_recovery_code(token):
        device = recovery_device_of(user)
        token = hash_recovery_code(token)
    else:
        return None
    if device is None:
        return None
    return verify_token(user, device.persistent_id, token)


def second_factor_reset(
    *, user: User, by: User | None, reason: str, via: str, operator: str = ""
) -> SecondFactorReset:
    """Remove `user`'s authenticator and recovery codes (they set up new ones at their next
    login) and end their sessions and API tokens, which the old factor let in.

    `by` is the administrator on the users page (same organisation, not themselves), or
    None for the `awda reset_2fa` command, whose `operator` (the operating-system account)
    goes into the audit entry instead. The reason is kept on the reset, never in the audit
    trail (it is free text).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the second factor is reset.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    if by is not None:
        if not by.can(Can.MANAGE_USERS) or by.organisation_id != user.organisation_id:
            raise PermissionDenied
        if by.pk == user.pk:
            raise ValidationError(
                {
                    "reason": [
                        _("You cannot reset your own second factor: ask another administrator.")
                    ]
                }
            )
    with transaction.atomic():
        earlier = authenticator_of(user)
        codes_before = recovery_codes_left(user)
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        user.refresh_from_db(fields=["session_generation"])
        ApiToken.objects.filter(user=user).delete()
        reset = SecondFactorReset.objects.create(user=user, by=by, via=via, reason=reason)
        details: dict[str, object] = {"reset": reset.pk, "via": via}
        if operator:
            details["operator"] = operator[:64]
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=user,
            changes={
                "authenticator": [earlier.pk if earlier else None, None],
                "recovery_codes": [codes_before, 0],
            },
            details=details,
        )
    return reset
