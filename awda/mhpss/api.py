from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.numbers import whole_number
from awda.mhpss import selectors, services
from awda.mhpss.instruments import INSTRUMENTS
from awda.mhpss.models import Screening


class SeesMhpss(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.can(Can.VIEW_MHPSS)


class ScreeningSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id")
    instrument = serializers.ChoiceField(choices=sorted(INSTRUMENTS))
    answers = serializers.JSONField(
        help_text="One whole number per item, in the instrument's order and range "
        "(WHO-5: 5 items 0-5; K6: 6 items 0-4; K10: 10 items 1-5)."
    )
    # encrypted at rest (JSON in the database): their types said here, for the schema
    raw_score = serializers.IntegerField(read_only=True)
    score = serializers.IntegerField(read_only=True)
    band = serializers.CharField(read_only=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Screening
        fields = [
            "id",
            "person",
            "instrument",
            "answers",
            "raw_score",
            "score",
            "band",
            "flags",
            "administered_on",
        ]
        read_only_fields = ["raw_score", "score", "band", "flags"]
        extra_kwargs = {"administered_on": {"required": False}}


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("person", OpenApiTypes.INT)]),
)
class ScreeningViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """WHO-5, K6 and K10 screenings: scored here, exactly; seen only by MHPSS roles."""

    serializer_class = ScreeningSerializer
    permission_classes = [SeesMhpss]
    queryset = Screening.objects.none()

    def _user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    def get_queryset(self) -> QuerySet[Screening]:
        queryset = selectors.screenings_visible_to(self._user())
        person = whole_number(self.request.query_params.get("person"))
        if person is not None:
            queryset = queryset.filter(person_id=person)
        return queryset

    def get_object(self) -> Screening:
        screening = selectors.screening_get_for_user(self._user(), self.kwargs["pk"])
        audit_record(
            actor=self._user(),
            action=Action.VIEW,
            obj=screening.person,
            details={"screening": screening.pk},
        )
        return screening

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:  # pagination is always on; this keeps the type checker honest
            raise RuntimeError("the API lists are paginated")
        audit_record(
            actor=self._user(),
            action=Action.LIST,
            details={"object_type": "mhpss.screening", "ids": [s.pk for s in page]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self._user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = selectors.mhpss_person_get_for_user(user, data["person_id"])
        screening = services.screening_record(
            by=user,
            person=person,
            instrument=data["instrument"],
            answers=data["answers"],
            on=data.get("administered_on"),
        )
        return Response(self.get_serializer(screening).data, status=201)
