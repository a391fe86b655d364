from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from awda.accounts.models import ApiToken, User


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` with a token from POST /api/v1/auth/token/."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        key = key.strip()
        if not key or " " in key:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token."))
        token = (
            ApiToken.objects.select_related("user", "user__organisation")
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        if token is None or token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The token is invalid or has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the bearer tokens (so clients and fuzzers know)."""

    target_class = "awda.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
