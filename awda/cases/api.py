"""REST API for cases: the same selectors, services and audit as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from awda.accounts.models import User
from awda.cases import selectors, services
from awda.cases.models import Case
from awda.registry.selectors import household_get_for_user


class CaseSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")
    person = serializers.IntegerField(source="person_id", required=False, allow_null=True)
    assigned_to: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "household",
            "person",
            "status",
            "awaiting",
            "risk",
            "assigned_to",
            "next_due_on",
            "opened_on",
            "closed_on",
            "version",
        ]
        read_only_fields = [
            "reference",
            "status",
            "awaiting",
            "assigned_to",
            "opened_on",
            "closed_on",
            "version",
        ]


class StepSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    what = serializers.ChoiceField(
        choices=[Case.Approval.CASE_PLAN.value, Case.Approval.CLOSURE.value], required=False
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False)


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases: list (`view` = mine, team, overdue, approvals), open, and the workflow's
    steps: move, submit (the case plan or the closure), approve, return, reopen."""

    serializer_class = CaseSerializer
    queryset = Case.objects.none()

    def _user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    def get_queryset(self) -> QuerySet[Case]:
        view = self.request.query_params.get("view", "team")
        return selectors.caseload_for_user(self._user(), view)

    def get_object(self) -> Case:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return selectors.case_get_for_user(self._user(), self.kwargs["pk"], write=write)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self._user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        household = household_get_for_user(
            user, serializer.validated_data["household_id"], write=True
        )
        person_id = serializer.validated_data.get("person_id")
        person = household.members.filter(pk=person_id).first() if person_id else None
        if person_id and person is None:
            raise serializers.ValidationError({"person": ["Choose a member of this household."]})
        case = services.case_open(
            by=user,
            household=household,
            person=person,
            risk=serializer.validated_data.get("risk", Case.Risk.MEDIUM),
        )
        return Response(self.get_serializer(case).data, status=201)

    def _step(self, request: Request, run: Any) -> Response:
        step = StepSerializer(data=request.data)
        step.is_valid(raise_exception=True)
        case = run(self._user(), self.get_object(), step.validated_data)
        return Response(self.get_serializer(case).data)

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_move(
                by=user,
                case=case,
                to=data.get("to", ""),
                comment=data.get("comment", ""),
                expected_version=data.get("version"),
            ),
        )

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_submit(
                by=user, case=case, what=data.get("what", ""), comment=data.get("comment", "")
            ),
        )

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_decide(
                by=user, case=case, approve=True, comment=data.get("comment", "")
            ),
        )

    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_decide(
                by=user, case=case, approve=False, comment=data.get("comment", "")
            ),
        )

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_reopen(
                by=user, case=case, comment=data.get("comment", "")
            ),
        )
