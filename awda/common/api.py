from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ConflictSerializer(serializers.Serializer):
    """The answer to a change based on a stale version (HTTP 409)."""

    detail = serializers.CharField()
    code = serializers.CharField(help_text="conflict")
    current = serializers.DictField(
        required=False, help_text="The record as it is saved now, with its version."
    )
    yours = serializers.DictField(required=False, help_text="The fields you sent.")


def conflict_response(
    *, current: Mapping[str, Any] | None = None, yours: Mapping[str, Any] | None = None
) -> Response:
    """409: someone else saved the record since the client read it. With both versions
    when the endpoint gives them, so that the client can reconcile and resend with the
    current version."""
    body: dict[str, Any] = {
        "detail": _(
            "Someone else changed this record since you read it; "
            "read it again and resend your change."
        ),
        "code": "conflict",
    }
    if current is not None:
        body["current"] = current
    if yours is not None:
        body["yours"] = yours
    return Response(body, status=409)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the services' own errors: a Django ValidationError is a 400 with
    the same field keys, an edit conflict a 409."""
    from awda.registry.services import EditConflict

    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = ValidationError(detail=detail)
    elif isinstance(exc, EditConflict):
        return conflict_response()
    return drf_exception_handler(exc, context)
