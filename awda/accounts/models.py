from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from awda.accounts.roles import CAPABILITIES, Can, Role


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CAMP_ADMINISTRATION = "camp_administration", _("Camp administration")
        UN_AGENCY = "un_agency", _("UN agency")
        INTERNATIONAL_NGO = "ingo", _("International NGO")
        NATIONAL_NGO = "nngo", _("National NGO")
        GOVERNMENT = "government", _("Government body")
        COMMUNITY = "community", _("Community-based organisation")

    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("Every user except the platform operator belongs to one organisation."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    # Raised by "log out everywhere": every session signed with the old value stops working.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True)
                | (models.Q(organisation__isnull=False) & ~models.Q(role="")),
                name="user_has_organisation_and_role",
            )
        ]

    def can(self, capability: Can) -> bool:
        if not self.is_active or self.organisation_id is None:
            return False
        return capability in CAPABILITIES.get(self.role, frozenset())

    @property
    def sees_personal_data(self) -> bool:
        return self.can(Can.VIEW_PERSONAL_DATA)

    def get_session_auth_hash(self) -> str:
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret: str) -> str:
        return salted_hmac(
            "awda.accounts.User.session",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class SecondFactorReset(models.Model):
    """A user's second factor removed by an administrator (page) or an operator (command).

    The reason is free text, so it is kept here and never in the audit trail, whose entry
    points to this row.
    """

    class Via(models.TextChoices):
        PAGE = "page", _("users page")
        COMMAND = "command", _("command line")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="second_factor_resets", editable=False
    )
    # None when done with `awda reset_2fa` (the audit entry names the operating-system user).
    by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=10, choices=Via.choices, editable=False)
    reason = models.TextField(_("reason"), max_length=500)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("second factor reset")

    def __str__(self) -> str:
        return f"second factor reset of {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
