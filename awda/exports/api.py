"""The aggregate export over the API: HXL-tagged counts of the whole programme, for
donor viewers and every staff role (Can.VIEW_AGGREGATES), token or session."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.exports import aggregates, services
from awda.exports.views import CONTENT_TYPES, aggregate_filename


class ViewsAggregates(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.can(Can.VIEW_AGGREGATES)


class CSVRenderer(BaseRenderer):
    """Lets a client ask for text/csv (`Accept: text/csv`); the file itself is written by
    the view. An error under it is its message as one line of text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, dict):
            data = " ".join(str(v) for v in data.values())
        return str(data or "").encode("utf-8")


class AggregateQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=list(aggregates.DIMENSIONS), default="origin")


@extend_schema(
    parameters=[
        OpenApiParameter(
            "by",
            OpenApiTypes.STR,
            enum=list(aggregates.DIMENSIONS),
            description="Rows per governorate of origin (the default), per camp or per "
            "governorate of destination.",
        )
    ],
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="CSV (UTF-8): a header row, an HXL hashtag row, one row per place. "
            "An empty count is suppressed (fewer than 5, or hidden so that a small count "
            "cannot be worked out from the others).",
        ),
    },
    description="Counts of households and people of the whole programme with HXL hashtags "
    "(#adm1+code, #adm1+name+i_en, #affected+f+children, #affected+ind+returnees, "
    "#date+reported, ...). Nothing about any one person. Recorded in the audit trail.",
)
@api_view(["GET"])
@permission_classes([ViewsAggregates])
@renderer_classes([JSONRenderer, CSVRenderer])
def aggregate_csv(request: Request) -> HttpResponse:
    query = AggregateQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    by = query.validated_data["by"]
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    table = services.aggregate_export(by=user, dimension=by, fmt="csv", channel="api")
    content = io.BytesIO()
    services.write_table(content, table, "csv", bom=False)
    response = HttpResponse(content.getvalue(), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{aggregate_filename(by, "csv")}"'
    return response


urls = [path("exports/aggregate.csv", aggregate_csv, name="exports-aggregate")]
