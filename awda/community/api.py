"""REST API of community work, read-only: sponsorships and the community actors who give
them, for the organisation's staff who see personal data. An actor's contact details and
notes are in the answer only for roles that manage community work."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from awda.accounts.models import User
from awda.accounts.permissions import SeesPersonalData
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.numbers import whole_number
from awda.community import selectors
from awda.community.models import CommunityActor, Sponsorship

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [SeesPersonalData]
    object_type = ""

    def _user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:  # pagination is always on; this keeps the type checker honest
            raise RuntimeError("the API lists are paginated")
        audit_record(
            actor=self._user(),
            action=Action.LIST,
            details={"object_type": self.object_type, "ids": [o.pk for o in page]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CommunityActorSerializer(serializers.ModelSerializer):
    place = serializers.IntegerField(source="place_id")
    place_pcode = serializers.CharField(source="place.pcode")
    open_sponsorships = serializers.IntegerField(source="open_count")
    fulfilled_sponsorships = serializers.IntegerField(source="fulfilled_count")
    withdrawn_sponsorships = serializers.IntegerField(source="withdrawn_count")
    withdrawn_under_community_pressure = serializers.IntegerField(source="pressure_count")

    class Meta:
        model = CommunityActor
        fields = [
            "id",
            "kind",
            "name",
            "affiliation",
            "place",
            "place_pcode",
            "is_active",
            "open_sponsorships",
            "fulfilled_sponsorships",
            "withdrawn_sponsorships",
            "withdrawn_under_community_pressure",
            "version",
        ]
        read_only_fields = fields


class CommunityActorWithContactSerializer(CommunityActorSerializer):
    class Meta(CommunityActorSerializer.Meta):
        fields = [*CommunityActorSerializer.Meta.fields, "contact", "notes"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("governorate", OpenApiTypes.INT),
            OpenApiParameter("place", OpenApiTypes.INT, description="The place or under it."),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ]
    ),
)
class CommunityActorViewSet(_ReadOnly):
    """Sponsors and leaders of the organisation, with their load. `contact` and `notes`
    appear only for community liaisons, return coordinators and supervisors."""

    serializer_class = CommunityActorSerializer
    queryset = CommunityActor.objects.none()
    object_type = "community.communityactor"

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        user = self.request.user
        if isinstance(user, User) and selectors.sees_contact(user):
            return CommunityActorWithContactSerializer
        return CommunityActorSerializer

    def get_queryset(self) -> QuerySet[CommunityActor]:
        params = self.request.query_params

        filters = selectors.ActorFilters(
            governorate=whole_number(params.get("governorate")),
            place=whole_number(params.get("place")),
            kind=params.get("kind", "")[:20],
        )
        return selectors.actors_for_user(self._user(), filters)

    def get_object(self) -> CommunityActor:
        return selectors.actor_get_for_user(self._user(), self.kwargs["pk"])


class SponsorshipSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")
    sponsor = serializers.IntegerField(source="sponsor_id")
    sponsor_name = serializers.CharField(source="sponsor.name")
    sponsor_kind = serializers.CharField(source="sponsor.kind")
    # blank until withdrawn (as a read-only model field it lost allow_blank in the schema)
    withdrawal_reason = serializers.ChoiceField(
        choices=Sponsorship.WithdrawalReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Sponsorship
        fields = [
            "id",
            "household",
            "sponsor",
            "sponsor_name",
            "sponsor_kind",
            "status",
            "requested_on",
            "agreed_on",
            "fulfilled_on",
            "withdrawn_on",
            "withdrawal_reason",
            "note",
            "version",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("household", OpenApiTypes.INT)]),
)
class SponsorshipViewSet(_ReadOnly):
    """Sponsorships (كفالة) of the organisation's households: requested → agreed →
    fulfilled, or withdrawn with a reason."""

    serializer_class = SponsorshipSerializer
    queryset = Sponsorship.objects.none()
    object_type = "community.sponsorship"

    def get_queryset(self) -> QuerySet[Sponsorship]:
        queryset = selectors.sponsorships_visible_to(self._user())
        household = whole_number(self.request.query_params.get("household"))
        if household is not None:
            queryset = queryset.filter(household_id=household)
        return queryset

    def get_object(self) -> Sponsorship:
        return selectors.sponsorship_get_for_user(self._user(), self.kwargs["pk"])


router.register("community-actors", CommunityActorViewSet, basename="community-actor")
router.register("sponsorships", SponsorshipViewSet, basename="sponsorship")
