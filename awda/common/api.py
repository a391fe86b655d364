from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
        return Response(
            {
                "detail": _(
                    "Someone else changed this record since you read it; "
                    "read it again and resend your change."
                ),
                "code": "conflict",
            },
            status=409,
        )
    return drf_exception_handler(exc, context)
