"""Consents over the API, under the pages' rules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.common.numbers import whole_number
from awda.consent import selectors, services
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.registry.models import Person
from awda.registry.selectors import person_get_for_user


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class RecordsOrReads(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.sees_personal_data:
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or user.can(Can.EDIT_REGISTRY)


class ConsentSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id")
    recipient = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    caregiver = serializers.IntegerField(source="caregiver_id", required=False, allow_null=True)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices)
    in_force = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "person",
            "purpose",
            "recipient",
            "legal_basis",
            "given_by",
            "caregiver",
            "child_assent",
            "note",
            "given_on",
            "created_at",
            "revoked_at",
            "in_force",
        ]
        read_only_fields = ["created_at", "revoked_at"]
        extra_kwargs = {
            "given_by": {"required": False},
            "child_assent": {"required": False},
            "note": {"required": False},
            "given_on": {"required": False},
        }


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("person", OpenApiTypes.INT)]),
)
class ConsentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Consent (or another legal basis) per person and purpose, with its history.
    Referral, transfer and tracing refuse without one in force."""

    serializer_class = ConsentSerializer
    permission_classes = [RecordsOrReads]
    queryset = Consent.objects.none()

    def get_queryset(self) -> QuerySet[Consent]:
        queryset = selectors.consents_visible_to(_user(self.request))
        person = whole_number(self.request.query_params.get("person"))
        if person is not None:
            queryset = queryset.filter(person_id=person)
        return queryset.order_by("-created_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = person_get_for_user(user, data["person_id"])
        caregiver = None
        if data.get("caregiver_id"):
            caregiver = Person.objects.filter(
                pk=data["caregiver_id"], organisation_id=person.organisation_id
            ).first()
            if caregiver is None:
                raise serializers.ValidationError({"caregiver": ["No such person here."]})
        consent = services.consent_record(
            by=user,
            person=person,
            purpose=data["purpose"],
            recipient=data.get("recipient"),
            legal_basis=data["legal_basis"],
            given_by=data.get("given_by", ""),
            caregiver=caregiver,
            child_assent=data.get("child_assent", ""),
            note=data.get("note", ""),
            given_on=data.get("given_on"),
        )
        return Response(self.get_serializer(consent).data, status=201)

    @extend_schema(request=None, responses=ConsentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        user = _user(request)
        consent = self.get_object()
        services.consent_revoke(by=user, consent=consent)
        consent.refresh_from_db()
        return Response(self.get_serializer(consent).data)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False
router.register("consents", ConsentViewSet, basename="consent")
