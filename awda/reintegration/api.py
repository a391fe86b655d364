"""REST API for reintegration monitoring: the same selectors, services and audit as the
pages. Follow-ups, answers and scores are read with VIEW_REINTEGRATION; surveys are
recorded with RECORD_FOLLOW_UP; another organisation's household is a 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.numbers import whole_number
from awda.reintegration import selectors, services
from awda.reintegration.models import FollowUp, Survey

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False


class SeesReintegration(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.can(Can.VIEW_REINTEGRATION)


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class FollowUpSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id", read_only=True)
    survey = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ["id", "household", "months", "due_on", "status", "note", "survey"]
        read_only_fields = fields

    def get_survey(self, follow_up: FollowUp) -> int | None:
        survey = getattr(follow_up, "survey", None)
        return survey.pk if survey is not None else None


class MissedSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Why the follow-up was not done.")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("household", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=FollowUp.Status.values),
        ]
    ),
)
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reintegration follow-ups of the organisation's households (1, 3, 6 and 12 months
    after arrival home), soonest first; `missed` records one that could not be done."""

    serializer_class = FollowUpSerializer
    permission_classes = [SeesReintegration]
    queryset = FollowUp.objects.none()

    def get_queryset(self) -> QuerySet[FollowUp]:
        queryset = (
            selectors.follow_ups_visible_to(_user(self.request))
            .select_related("survey")
            .order_by("due_on", "id")
        )
        household = self.request.query_params.get("household", "")
        if household:
            household_id = whole_number(household)
            if household_id is None:
                raise ValidationError({"household": [_("Give a household id.")]})
            queryset = queryset.filter(household_id=household_id)
        status = self.request.query_params.get("status", "")
        if status:
            if status not in FollowUp.Status.values:
                raise ValidationError(
                    {
                        "status": [
                            _("Choose one of: %(values)s.")
                            % {"values": ", ".join(FollowUp.Status.values)}
                        ]
                    }
                )
            queryset = queryset.filter(status=status)
        return queryset

    def get_object(self) -> FollowUp:
        return selectors.follow_up_get_for_user(_user(self.request), self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:  # pagination is always on; this keeps the type checker honest
            raise RuntimeError("the API lists are paginated")
        audit_record(
            actor=_user(self.request),
            action=Action.LIST,
            details={"object_type": "reintegration.followup", "ids": [f.pk for f in page]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=MissedSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def missed(self, request: Request, pk: str | None = None) -> Response:
        user = _user(self.request)
        if not user.can(Can.RECORD_FOLLOW_UP):
            raise PermissionDenied
        follow_up = self.get_object()
        data = MissedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follow_up = services.follow_up_mark_missed(
            by=user, follow_up=follow_up, note=data.validated_data["note"]
        )
        return Response(FollowUpSerializer(follow_up).data)


class SurveySerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id", read_only=True)
    follow_up = serializers.IntegerField(source="follow_up_id", read_only=True)
    instrument = serializers.CharField(source="instrument.code", read_only=True)
    instrument_version = serializers.IntegerField(source="instrument.version", read_only=True)
    conducted_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    # stored encrypted (as JSON): numbers from 0 to 1 to the API, as before
    economic = serializers.FloatField(read_only=True, allow_null=True)
    social = serializers.FloatField(read_only=True, allow_null=True)
    psychosocial = serializers.FloatField(read_only=True, allow_null=True)
    composite = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "household",
            "follow_up",
            "instrument",
            "instrument_version",
            "answers",
            "economic",
            "social",
            "psychosocial",
            "composite",
            "conducted_on",
            "conducted_by",
            "created_at",
        ]
        read_only_fields = fields


class SurveyCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    instrument = serializers.SlugField(
        required=False,
        help_text="The instrument's code; its newest version in use is used. "
        "Default: the first instrument in use (the programme's own before the shipped one).",
    )
    answers = serializers.JSONField(
        help_text="An object: question name → the value of the chosen choice. "
        "Questions left out are unanswered; at least one must be answered."
    )
    conducted_on = serializers.DateField(required=False, help_text="Default: today.")
    follow_up = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The follow-up answered. Default: the earliest follow-up still due "
        "whose due date is within 45 days of the survey's date, if any.",
    )


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("household", OpenApiTypes.INT)]),
    create=extend_schema(request=SurveyCreateSerializer, responses={201: SurveySerializer}),
)
class SurveyViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reintegration surveys with their answers and scores (0 to 1 per dimension and
    the composite), newest first. Reading them needs VIEW_REINTEGRATION; recording one
    RECORD_FOLLOW_UP."""

    serializer_class = SurveySerializer
    permission_classes = [SeesReintegration]
    queryset = Survey.objects.none()

    def get_queryset(self) -> QuerySet[Survey]:
        queryset = selectors.surveys_visible_to(_user(self.request))
        household = self.request.query_params.get("household", "")
        if household:
            household_id = whole_number(household)
            if household_id is None:
                raise ValidationError({"household": [_("Give a household id.")]})
            queryset = queryset.filter(household_id=household_id)
        return queryset

    def get_object(self) -> Survey:
        return selectors.survey_get_for_user(_user(self.request), self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:  # pagination is always on; this keeps the type checker honest
            raise RuntimeError("the API lists are paginated")
        audit_record(
            actor=_user(self.request),
            action=Action.LIST,
            details={"object_type": "reintegration.survey", "ids": [s.pk for s in page]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(self.request)
        if not user.can(Can.RECORD_FOLLOW_UP):
            raise PermissionDenied
        serializer = SurveyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        household = selectors.reintegration_household_get_for_user(user, data["household"])
        code = data.get("instrument")
        if code:
            instrument = selectors.instrument_in_use(code)
        else:
            offered = selectors.instruments_in_use()
            instrument = offered[0] if offered else None
        if instrument is None:
            raise ValidationError(
                {"instrument": [_("No survey instrument with this code is in use.")]}
            )
        follow_up = None
        if data.get("follow_up") is not None:
            follow_up = selectors.follow_up_get_for_user(user, data["follow_up"])
        survey = services.survey_record(
            by=user,
            household=household,
            instrument=instrument,
            answers=data["answers"],
            conducted_on=data.get("conducted_on") or timezone.localdate(),
            follow_up=follow_up,
        )
        return Response(SurveySerializer(survey).data, status=201)


router.register("follow-ups", FollowUpViewSet, basename="reintegration-follow-up")
router.register("surveys", SurveyViewSet, basename="reintegration-survey")
