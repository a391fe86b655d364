"""REST API for cases: the same selectors, services and audit as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from awda.accounts.models import Organisation, User
from awda.cases import selectors, services
from awda.cases.models import Assessment, Case, FormDefinition, Referral
from awda.cases.selectors import referral_get_for_user, referrals_for_user
from awda.common.numbers import whole_number
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
                by=user,
                case=case,
                what=data.get("what", ""),
                comment=data.get("comment", ""),
                expected_version=data.get("version"),
            ),
        )

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_decide(
                by=user,
                case=case,
                approve=True,
                comment=data.get("comment", ""),
                expected_version=data.get("version"),
            ),
        )

    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_decide(
                by=user,
                case=case,
                approve=False,
                comment=data.get("comment", ""),
                expected_version=data.get("version"),
            ),
        )

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            lambda user, case, data: services.case_reopen(
                by=user,
                case=case,
                comment=data.get("comment", ""),
                expected_version=data.get("version"),
            ),
        )


class ReferralSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="household_id")
    case = serializers.IntegerField(source="case_id", required=False, allow_null=True)
    receiving_organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.filter(is_active=True)
    )
    sending_organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "household",
            "case",
            "kind",
            "service",
            "reason",
            "consent",
            "consent_note",
            "shared_forms",
            "sending_organisation",
            "receiving_organisation",
            "status",
            "response_note",
            "created_at",
            "responded_at",
            "ended_at",
        ]
        read_only_fields = ["status", "response_note", "created_at", "responded_at", "ended_at"]


class AnswerSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReferralViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals and transfers your organisation sent or received. The receiver accepts,
    declines or completes; the sender revokes. A referral records the person's consent,
    or a supervisor's decision without it (`consent` = `override`, with the reason in
    `consent_note`)."""

    serializer_class = ReferralSerializer
    queryset = Referral.objects.none()

    def _user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    def get_queryset(self) -> QuerySet[Referral]:
        return referrals_for_user(self._user())

    def get_object(self) -> Referral:
        return referral_get_for_user(self._user(), self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self._user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        household = household_get_for_user(user, data["household_id"], write=True)
        case = None
        if data.get("case_id"):
            case = selectors.case_get_for_user(user, data["case_id"], write=True)
        referral = services.referral_create(
            by=user,
            household=household,
            receiving_organisation=data["receiving_organisation"],
            kind=data["kind"],
            service=data["service"],
            reason=data.get("reason", ""),
            consent=data["consent"],
            consent_note=data.get("consent_note", ""),
            case=case,
            shared_forms=data.get("shared_forms") or [],
        )
        return Response(self.get_serializer(referral).data, status=201)

    def _answer(self, request: Request, run: Any) -> Response:
        answer = AnswerSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        referral = run(self._user(), self.get_object(), answer.validated_data.get("note", ""))
        return Response(self.get_serializer(referral).data)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._answer(
            request, lambda user, r, note: services.referral_accept(referral=r, by=user, note=note)
        )

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._answer(
            request, lambda user, r, note: services.referral_decline(referral=r, by=user, note=note)
        )

    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        return self._answer(
            request, lambda user, r, note: services.referral_complete(referral=r, by=user)
        )

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        return self._answer(
            request, lambda user, r, note: services.referral_revoke(referral=r, by=user)
        )


class FormSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = FormDefinition
        fields = ["slug", "title_ar", "title_en", "version", "questions"]

    def get_version(self, form: FormDefinition) -> int | None:
        latest = form.latest()
        return latest.number if latest else None

    def get_questions(self, form: FormDefinition) -> list[Any]:
        latest = form.latest()
        return list(latest.fields) if latest else []


class FormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Assessment forms with their latest version's questions (XLSForm download:
    /forms/<slug>/xlsform/)."""

    serializer_class = FormSerializer
    queryset = FormDefinition.objects.prefetch_related("versions")
    lookup_field = "slug"


class AssessmentSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    form = serializers.SlugRelatedField(
        source="form_version.form", slug_field="slug", queryset=FormDefinition.objects.all()
    )
    version = serializers.IntegerField(source="form_version.number", read_only=True)
    answers = serializers.JSONField(help_text="answers by question name (select_multiple: a list)")

    class Meta:
        model = Assessment
        fields = ["id", "case", "form", "version", "answers", "recorded_at"]
        read_only_fields = ["recorded_at"]


class AssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Assessments of the cases you may see (`case` filters); a form is filled with its
    latest version and its skip logic applied."""

    serializer_class = AssessmentSerializer
    queryset = Assessment.objects.none()

    def _user(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    def get_queryset(self) -> QuerySet[Assessment]:
        user = self._user()
        ids: list[int] = []
        case_id = whole_number(self.request.query_params.get("case"))
        cases = selectors.cases_visible_to(user)
        if case_id is not None:
            cases = cases.filter(pk=case_id)
        for case in cases:
            ids.extend(selectors.assessments_visible_to(user, case).values_list("pk", flat=True))
        return Assessment.objects.filter(pk__in=ids).select_related("form_version__form")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self._user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = selectors.case_get_for_user(user, data["case_id"], write=True)
        version = data["form_version"]["form"].latest()
        answers = data["answers"] if isinstance(data["answers"], dict) else {}
        assessment = services.assessment_record(by=user, case=case, version=version, raw=answers)
        return Response(self.get_serializer(assessment).data, status=201)
