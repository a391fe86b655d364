from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from awda.accounts.models import User
from awda.accounts.services import api_token_issue
from awda.audit.models import Action
from awda.audit.services import audit_record


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for a bearer token (valid 60 minutes)."""

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
            )
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
        # As a page login does: django-axes forgets the earlier failures, last_login moves.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        key, expires_at = api_token_issue(user=user)
        return Response(
            {"token": key, "expires_at": expires_at, "expires_in": settings.API_TOKEN_MINUTES * 60}
        )
