"""Tracing over the API, under the pages' rules: a candidate held by another
organisation carries only that organisation, a score and the evidence the requester
gave, until that organisation confirms."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.registry.models import Person
from awda.registry.selectors import person_get_for_user
from awda.tracing import selectors, services
from awda.tracing.models import ContactRequest, Relation, TracingRequest


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class Traces(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.can(Can.TRACE)


class TracingRequestSerializer(serializers.ModelSerializer):
    requester = serializers.IntegerField(source="requester_id")
    relationship = serializers.ChoiceField(choices=Relation.choices)
    sought_first_name = serializers.CharField(max_length=60, write_only=True)
    sought_father_name = serializers.CharField(
        max_length=60, write_only=True, required=False, allow_blank=True
    )
    sought_grandfather_name = serializers.CharField(
        max_length=60, write_only=True, required=False, allow_blank=True
    )
    sought_family_name = serializers.CharField(
        max_length=60, write_only=True, required=False, allow_blank=True
    )
    sought_sex = serializers.ChoiceField(choices=Person.Sex.choices)
    consent_override = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000
    )

    class Meta:
        model = TracingRequest
        fields = [
            "id",
            "requester",
            "relationship",
            "sought_first_name",
            "sought_father_name",
            "sought_grandfather_name",
            "sought_family_name",
            "sought_first_name_ar",
            "sought_father_name_ar",
            "sought_grandfather_name_ar",
            "sought_family_name_ar",
            "sought_first_name_lat",
            "sought_father_name_lat",
            "sought_grandfather_name_lat",
            "sought_family_name_lat",
            "sought_sex",
            "sought_birth_year",
            "sought_age",
            "last_seen_on",
            "separation",
            "consent_override",
            "status",
            "created_at",
        ]
        read_only_fields = [
            "sought_first_name_ar",
            "sought_father_name_ar",
            "sought_grandfather_name_ar",
            "sought_family_name_ar",
            "sought_first_name_lat",
            "sought_father_name_lat",
            "sought_grandfather_name_lat",
            "sought_family_name_lat",
            "status",
            "created_at",
        ]
        extra_kwargs = {
            "sought_birth_year": {"required": False},
            "sought_age": {"required": False},
            "last_seen_on": {"required": False},
            "separation": {"required": False},
        }


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(help_text="The organisation holding the record.")
    score = serializers.FloatField()
    status = serializers.CharField()
    kind = serializers.ChoiceField(choices=["person", "request"])
    evidence = serializers.ListField(child=serializers.DictField())
    person = serializers.IntegerField(
        allow_null=True, help_text="Only for the user's own records, or once confirmed."
    )
    name = serializers.CharField(allow_blank=True)


class TracingRequestViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tracing requests of the user's organisation. Creating one searches the registry
    of every organisation (among people whose consent covers tracing) and other open
    requests at once."""

    serializer_class = TracingRequestSerializer
    permission_classes = [Traces]
    queryset = TracingRequest.objects.none()

    def get_queryset(self) -> QuerySet[TracingRequest]:
        return selectors.requests_for_user(_user(self.request)).order_by("-created_at", "-id")

    def get_object(self) -> TracingRequest:
        return selectors.request_get_for_user(_user(self.request), self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        requester = person_get_for_user(user, data["requester_id"])
        if requester.organisation_id != user.organisation_id:
            raise PermissionDenied
        created = services.request_create(
            by=user,
            requester=requester,
            relationship=data["relationship"],
            sought=services.Sought(
                sex=data["sought_sex"],
                first_name=data["sought_first_name"],
                father_name=data.get("sought_father_name", ""),
                grandfather_name=data.get("sought_grandfather_name", ""),
                family_name=data.get("sought_family_name", ""),
                birth_year=data.get("sought_birth_year"),
                age=data.get("sought_age"),
            ),
            last_seen_on=data.get("last_seen_on"),
            separation=data.get("separation") or TracingRequest.Separation.UNKNOWN,
            consent_override=data.get("consent_override", ""),
        )
        return Response(self.get_serializer(created).data, status=201)

    @extend_schema(responses=CandidateSerializer(many=True))
    # one list, not a page of results (as the schema said it was)
    @action(detail=True, methods=["get"], pagination_class=None)
    def candidates(self, request: Request, pk: str) -> Response:
        user = _user(request)
        tracing = self.get_object()
        rows = []
        for view in selectors.candidates_of(user, tracing):
            shown = view.mine or view.confirmed
            candidate = view.candidate
            rows.append(
                {
                    "id": candidate.pk,
                    "organisation": view.holder.slug,
                    "score": round(candidate.score, 3),
                    "status": candidate.status,
                    "kind": "person" if candidate.person_id else "request",
                    "evidence": view.evidence,
                    "person": candidate.person_id if shown else None,
                    "name": view.details.get("name", "") if shown else "",
                }
            )
        audit_record(
            actor=user,
            action=Action.LIST,
            details={"object_type": "tracing.candidate", "ids": [r["id"] for r in rows]},
        )
        return Response(rows)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=ContactRequest.Answer.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ContactRequestSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="from_organisation.slug", read_only=True)
    request = serializers.IntegerField(source="candidate.request_id", read_only=True)
    person = serializers.SerializerMethodField()

    class Meta:
        model = ContactRequest
        fields = ["id", "organisation", "request", "person", "sent_at", "answer", "answered_at"]
        read_only_fields = fields

    def get_person(self, contact: ContactRequest) -> int | None:
        """The receiving organisation's own person who may be the one sought."""
        candidate = contact.candidate
        if candidate.person_id:
            return candidate.person_id
        return candidate.other_request.requester_id if candidate.other_request else None


class ContactRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Contact requests other organisations sent to the user's organisation."""

    serializer_class = ContactRequestSerializer
    permission_classes = [Traces]
    queryset = ContactRequest.objects.none()

    def get_queryset(self) -> QuerySet[ContactRequest]:
        return selectors.incoming_for_user(_user(self.request)).order_by("-sent_at", "-id")

    @extend_schema(request=AnswerSerializer, responses=ContactRequestSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        user = _user(request)
        contact = selectors.contact_get_for_user(user, pk)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = services.contact_request_answer(
            by=user,
            contact=contact,
            answer=serializer.validated_data["answer"],
            note=serializer.validated_data.get("note", ""),
        )
        return Response(ContactRequestSerializer(answered).data)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no `.json` twins of the URLs (DRF's format suffixes; actions refused them).
router.include_format_suffixes = False
router.register("tracing-requests", TracingRequestViewSet, basename="tracing-request")
router.register("contact-requests", ContactRequestViewSet, basename="contact-request")
