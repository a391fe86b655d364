"""Movements and return intentions over the API, with the pages' rules: the same
services, the same selectors, the same audit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from awda.accounts.models import Organisation, User
from awda.accounts.permissions import SeesPersonalData
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Referral
from awda.common.numbers import whole_number
from awda.places.models import Place
from awda.registry.models import Household, Person
from awda.registry.selectors import household_get_for_user, households_visible_to
from awda.returns import pipeline, selectors, services
from awda.returns.models import (
    Centre,
    ChecklistItem,
    Clearance,
    Intention,
    Movement,
    Passenger,
    Pathway,
)


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class ManagesMovementsOrReads(BasePermission):
    """Reading needs personal-data access; writing needs MANAGE_MOVEMENTS."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.sees_personal_data:
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or user.can(Can.MANAGE_MOVEMENTS)


class PassengerSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id")
    household = serializers.IntegerField(source="household_id")
    escort = serializers.IntegerField(source="escort_id", allow_null=True)

    class Meta:
        model = Passenger
        fields = ["person", "household", "vehicle", "status", "escort", "born_on_the_way"]


class MovementSerializer(serializers.ModelSerializer):
    origin = serializers.SlugRelatedField(slug_field="pcode", queryset=Place.objects.all())
    destination = serializers.SlugRelatedField(
        slug_field="pcode", queryset=Place.objects.all(), required=False, allow_null=True
    )
    centre = serializers.PrimaryKeyRelatedField(
        queryset=Centre.objects.all(), required=False, allow_null=True
    )
    people = serializers.IntegerField(read_only=True)
    households = serializers.IntegerField(read_only=True)
    passengers = serializers.SerializerMethodField()

    class Meta:
        model = Movement
        fields = [
            "id",
            "reference",
            "kind",
            "pathway",
            "departs_on",
            "origin",
            "destination",
            "centre",
            "country",
            "capacity",
            "vehicles",
            "status",
            "departed_on",
            "arrived_on",
            "notes",
            "people",
            "households",
            "passengers",
            "version",
        ]
        read_only_fields = ["status", "departed_on", "arrived_on", "version"]
        extra_kwargs = {"reference": {"required": False}, "country": {"required": False}}

    def get_passengers(self, movement: Movement) -> list[dict[str, Any]]:
        if not self.context.get("detail"):
            return []
        return PassengerSerializer(selectors.movement_passengers(movement), many=True).data  # type: ignore[return-value]


class AddHouseholdSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    persons = serializers.ListField(child=serializers.IntegerField(), required=False)
    escorts = serializers.DictField(child=serializers.IntegerField(), required=False)
    confirm = serializers.BooleanField(default=False)


class DepartureSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    departed_on = serializers.DateField()
    no_shows = serializers.ListField(child=serializers.IntegerField(), required=False)


class ArrivalSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    arrived_on = serializers.DateField()
    outcomes = serializers.DictField(
        child=serializers.ChoiceField(choices=[s.value for s in services.ARRIVAL_OUTCOMES]),
        required=False,
        help_text="person id → arrived, separated or deceased (everyone else arrived).",
    )


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR)]),
)
class MovementViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Road convoys and flights of the user's organisation, their lists, departure and
    arrival. The manifest is at /api/v1/movements/{id}/manifest.pdf."""

    serializer_class = MovementSerializer
    permission_classes = [ManagesMovementsOrReads]
    queryset = Movement.objects.none()

    def get_queryset(self) -> QuerySet[Movement]:
        queryset = selectors.movements_for_user(_user(self.request))
        status = self.request.query_params.get("status", "")
        if status in Movement.Status.values:
            queryset = queryset.filter(status=status)
        return queryset.order_by("-departs_on", "-id")

    def get_object(self) -> Movement:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return selectors.movement_get_for_user(_user(self.request), self.kwargs["pk"], write=write)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        movement = self.get_object()
        return Response(MovementSerializer(movement, context={"detail": True}).data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:
            raise RuntimeError("the API lists are paginated")
        audit_record(
            actor=_user(request),
            action=Action.LIST,
            details={"object_type": "returns.movement", "ids": [m.pk for m in page]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        movement = services.movement_create(
            by=_user(request),
            kind=data["kind"],
            pathway=data["pathway"],
            departs_on=data["departs_on"],
            origin=data["origin"],
            destination=data.get("destination"),
            centre=data.get("centre"),
            country=data.get("country", ""),
            capacity=data["capacity"],
            vehicles=data["vehicles"],
            notes=data.get("notes", ""),
            reference=data.get("reference", ""),
        )
        movement = selectors.movements_for_user(_user(request)).get(pk=movement.pk)
        return Response(MovementSerializer(movement, context={"detail": True}).data, status=201)

    @extend_schema(
        request=AddHouseholdSerializer,
        responses={
            201: MovementSerializer,
            409: OpenApiResponse(description="Warnings to confirm"),
        },
    )
    @action(detail=True, methods=["post"])
    def households(self, request: Request, pk: str) -> Response:
        """Add a ready household (all its members unless `persons` lists them). A family
        left split or a child without an adult answers 409 with the warnings; send again
        with `confirm: true` to add it anyway."""
        user = _user(request)
        movement = self.get_object()
        serializer = AddHouseholdSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        household = household_get_for_user(user, data["household"], write=False)
        if household.organisation_id != user.organisation_id:
            raise PermissionDenied
        persons = None
        if "persons" in data:
            persons = list(Person.objects.filter(pk__in=data["persons"], household=household))
            if len(persons) != len(set(data["persons"])):
                raise serializers.ValidationError(
                    {"persons": ["Only members of the household can travel with it."]}
                )
        try:
            services.movement_add_household(
                by=user,
                movement=movement,
                household=household,
                persons=persons,
                escorts={
                    number: v
                    for k, v in data.get("escorts", {}).items()
                    if (number := whole_number(k)) is not None
                },
                confirm=data["confirm"],
            )
        except services.NeedsConfirmation as pending:
            return Response(
                {
                    "detail": "Confirm to add the household despite the warnings.",
                    "warnings": [
                        {"code": w.code, "message": w.message, "persons": w.persons}
                        for w in pending.warnings
                    ],
                },
                status=409,
            )
        movement = selectors.movements_for_user(user).get(pk=movement.pk)
        return Response(MovementSerializer(movement, context={"detail": True}).data, status=201)

    @extend_schema(request=DepartureSerializer, responses=MovementSerializer)
    @action(detail=True, methods=["post"])
    def departure(self, request: Request, pk: str) -> Response:
        user = _user(request)
        movement = self.get_object()
        serializer = DepartureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.movement_depart(
            by=user,
            movement=movement,
            expected_version=data["version"],
            departed_on=data["departed_on"],
            no_shows=data.get("no_shows", []),
        )
        movement = selectors.movements_for_user(user).get(pk=movement.pk)
        return Response(MovementSerializer(movement, context={"detail": True}).data)

    @extend_schema(request=ArrivalSerializer, responses=MovementSerializer)
    @action(detail=True, methods=["post"])
    def arrival(self, request: Request, pk: str) -> Response:
        user = _user(request)
        movement = self.get_object()
        serializer = ArrivalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcomes = {}
        for key, value in data.get("outcomes", {}).items():
            person = whole_number(key)
            if person is None:
                raise serializers.ValidationError({"outcomes": ["Use person ids as keys."]})
            outcomes[person] = value
        services.movement_arrive(
            by=user,
            movement=movement,
            expected_version=data["version"],
            arrived_on=data["arrived_on"],
            outcomes=outcomes,
        )
        movement = selectors.movements_for_user(user).get(pk=movement.pk)
        return Response(MovementSerializer(movement, context={"detail": True}).data)


@extend_schema(
    responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    description="The movement's manifest as a PDF in Arabic.",
)
@api_view(["GET"])
@permission_classes([SeesPersonalData])
def manifest_pdf(request: Request, pk: int) -> HttpResponse:
    from awda.returns.manifest import manifest_pdf as render_pdf

    user = _user(request)
    movement = selectors.movement_get_for_user(user, pk)
    response = HttpResponse(render_pdf(movement), content_type="application/pdf")
    return selectors.manifest_download(user, movement, response, "pdf")


class IntentionSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")
    destination = serializers.SlugRelatedField(
        slug_field="pcode", queryset=Place.objects.all(), required=False, allow_null=True
    )
    pathway = serializers.ChoiceField(choices=Pathway.choices)

    class Meta:
        model = Intention
        fields = [
            "id",
            "household",
            "pathway",
            "destination",
            "village",
            "country",
            "reasons",
            "stated_on",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "village": {"required": False},
            "country": {"required": False},
            "reasons": {"required": False},
            "stated_on": {"required": False},
        }


class PlansReturnsOrReads(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.sees_personal_data:
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or user.can(Can.PLAN_RETURNS)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("household", OpenApiTypes.INT)]),
)
class IntentionViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Return intentions, newest first; recording one revises the household's intention
    (the earlier ones stay as its history)."""

    serializer_class = IntentionSerializer
    permission_classes = [PlansReturnsOrReads]
    queryset = Intention.objects.none()

    def get_queryset(self) -> QuerySet[Intention]:
        visible = households_visible_to(_user(self.request))
        queryset = Intention.objects.filter(household__in=visible).select_related("destination")
        household = whole_number(self.request.query_params.get("household"))
        if household is not None:
            queryset = queryset.filter(household_id=household)
        return queryset.order_by("-created_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        household = household_get_for_user(user, data["household_id"])
        if household.organisation_id != user.organisation_id:
            raise PermissionDenied
        intention = services.intention_record(
            by=user,
            household=household,
            pathway=data["pathway"],
            destination=data.get("destination"),
            village=data.get("village", ""),
            country=data.get("country", ""),
            reasons=data.get("reasons", ""),
            stated_on=data.get("stated_on"),
        )
        return Response(self.get_serializer(intention).data, status=201)


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="The item in the user's language.")
    rule = serializers.CharField()
    met = serializers.BooleanField()
    detail = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    stage = serializers.CharField()
    pathway = serializers.CharField(allow_null=True)
    complete = serializers.BooleanField()
    eligible = serializers.BooleanField()
    override = serializers.BooleanField()
    checks = CheckSerializer(many=True)


class TickSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="The checklist item's code, e.g. medical.")
    done = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ClearanceSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Clearance.Decision.choices)
    decided_on = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


def _readiness_data(household: Household) -> dict[str, Any]:
    state = pipeline.readiness(household)
    return {
        "household": household.pk,
        "stage": household.status,
        "pathway": state.intention.pathway if state.intention else None,
        "complete": state.complete,
        "eligible": state.eligible,
        "override": state.override is not None,
        "checks": [
            {
                "code": c.item.code,
                "name": c.item.label,
                "rule": c.item.rule,
                "met": c.met,
                "detail": str(c.detail),
            }
            for c in state.checks
        ],
    }


def _own_household(user: User, pk: str | int) -> Household:
    household = household_get_for_user(user, pk)
    if household.organisation_id != user.organisation_id:
        raise PermissionDenied
    return household


@extend_schema(
    parameters=[
        OpenApiParameter(
            "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The household's id."
        )
    ]
)
class ReadinessViewSet(viewsets.ViewSet):
    """A household's readiness for its pathway: the checklist, item by item. Ticking a
    manual item needs PLAN_RETURNS; recording the authorities' decision (decision, date,
    reference — never reasons) needs MANAGE_MOVEMENTS."""

    permission_classes = [SeesPersonalData]
    lookup_value_regex = r"\d+"

    @extend_schema(responses=ReadinessSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        household = household_get_for_user(_user(request), pk)
        return Response(_readiness_data(household))

    @extend_schema(request=TickSerializer, responses=ReadinessSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request: Request, pk: str) -> Response:
        user = _user(request)
        if not user.can(Can.PLAN_RETURNS):
            raise PermissionDenied
        household = _own_household(user, pk)
        serializer = TickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        intention = pipeline.current_intention(household)
        item = ChecklistItem.objects.filter(
            pathway=intention.pathway if intention else "", code=data["item"]
        ).first()
        if item is None:
            raise serializers.ValidationError(
                {"item": ["No such item in the checklist of the household's pathway."]}
            )
        services.checklist_tick(
            by=user, household=household, item=item, done=data["done"], note=data.get("note", "")
        )
        return Response(_readiness_data(household))

    @extend_schema(request=ClearanceSerializer, responses=ReadinessSerializer)
    @action(detail=True, methods=["post"])
    def clearance(self, request: Request, pk: str) -> Response:
        user = _user(request)
        if not user.can(Can.MANAGE_MOVEMENTS):
            raise PermissionDenied
        household = _own_household(user, pk)
        serializer = ClearanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.clearance_record(
            by=user,
            household=household,
            decision=data["decision"],
            decided_on=data["decided_on"],
            reference=data.get("reference", ""),
        )
        return Response(_readiness_data(household))


class HandoverSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    receiving_organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.filter(is_active=True)
    )
    kind = serializers.ChoiceField(choices=Referral.Kind.choices, default=Referral.Kind.TRANSFER)
    summary = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="What the family needs; left out, Awda writes it from the records.",
    )
    consent = serializers.ChoiceField(choices=Referral.Consent.choices)
    consent_note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    referral = serializers.IntegerField(read_only=True)


@extend_schema(request=HandoverSerializer, responses={201: HandoverSerializer})
@api_view(["POST"])
@permission_classes([SeesPersonalData])
def handover(request: Request) -> Response:
    """Hand a household that is home over to a receiving-area organisation."""
    user = _user(request)
    if not user.can(Can.MANAGE_MOVEMENTS):
        raise PermissionDenied
    serializer = HandoverSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    household = _own_household(user, data["household"])
    referral = services.handover(
        by=user,
        household=household,
        receiving_organisation=data["receiving_organisation"],
        kind=data["kind"],
        summary=data.get("summary") or services.handover_summary(household),
        consent=data["consent"],
        consent_note=data.get("consent_note", ""),
    )
    answer = dict(serializer.data)
    answer["referral"] = referral.pk
    answer["summary"] = referral.reason
    return Response(answer, status=201)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False
router.register("movements", MovementViewSet, basename="movement")
router.register("intentions", IntentionViewSet, basename="intention")
router.register("readiness", ReadinessViewSet, basename="readiness")

urls = [
    path("movements/<int:pk>/manifest.pdf", manifest_pdf, name="movement-manifest"),
    path("handovers/", handover, name="handover"),
    *router.urls,
]
