from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from awda.accounts.login import failures_forget, needs_second_factor, second_factor_failed
from awda.accounts.models import User
from awda.accounts.second_factor import authenticator_of
from awda.accounts.services import api_token_issue, second_factor_verify
from awda.audit.models import Action
from awda.audit.services import audit_record


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=(
            "Required for every role that sees personal data (and for anyone who set up "
            "two-factor login): the current six-digit code of the authenticator app, or "
            "one of the recovery codes (each works once)."
        ),
    )


class TokenView(APIView):
    """Exchange a username, password and one-time code (`otp`) for a bearer token (valid
    60 minutes). A wrong password or code counts toward the lockout of the username."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                    "expires_in": serializers.IntegerField(help_text="seconds"),
                },
            ),
            400: inline_serializer(
                "TokenRequestError",
                {
                    name: serializers.ListField(child=serializers.CharField(), required=False)
                    for name in ("username", "password", "otp")
                },
            ),
            401: inline_serializer("TokenRefused", {"detail": serializers.CharField()}),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=payload.validated_data["username"],
            password=payload.validated_data["password"],
        )
        if not isinstance(user, User):
            audit_record(
                actor=None,
                action=Action.LOGIN_FAILED,
                details={"username": payload.validated_data["username"][:150], "channel": "api"},
            )
            return Response(
                {"detail": _("Wrong username or password.")}, status=status.HTTP_401_UNAUTHORIZED
            )
        second_factor = "none"
        if needs_second_factor(user):
            if authenticator_of(user) is None:
                message = _(
                    "This account has not set up two-factor login yet: log in once on the "
                    "web pages to set it up, then ask for a token with the code in `otp`."
                )
                return Response({"otp": [message]}, status=status.HTTP_400_BAD_REQUEST)
            code = payload.validated_data.get("otp", "")
            if not code:
                message = _(
                    "This account logs in with a second factor: send the six-digit code of "
                    "the authenticator app (or a recovery code) in `otp`."
                )
                return Response({"otp": [message]}, status=status.HTTP_400_BAD_REQUEST)
            device = second_factor_verify(user=user, code=code)
            if device is None:
                # Counted toward the lockout; django-axes answers 429 once it is reached.
                second_factor_failed(request._request, user)
                return Response(
                    {"detail": _("Wrong one-time code.")}, status=status.HTTP_401_UNAUTHORIZED
                )
            second_factor = "recovery_code" if isinstance(device, StaticDevice) else "totp"
        # As a page login does: last_login moves, the earlier failures are forgotten.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        failures_forget(user)
        key, expires_at = api_token_issue(user=user, second_factor=second_factor)
        return Response(
            {"token": key, "expires_at": expires_at, "expires_in": settings.API_TOKEN_MINUTES * 60}
        )
