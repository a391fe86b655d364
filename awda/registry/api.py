"""REST API for households and people: the same selectors, services and audit as the pages."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.common.api import ConflictSerializer, conflict_response
from awda.common.numbers import whole_number
from awda.places.models import Place
from awda.registry import selectors, services, validation
from awda.registry.models import CivilDocument, Household, Person, SpecificNeed

NAME_FIELDS = (*validation.ARABIC_FIELDS, *validation.LATIN_FIELDS)


class PlaceField(serializers.SlugRelatedField):
    """A place by its P-code."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "pcode")
        kwargs.setdefault("queryset", Place.objects.all())
        super().__init__(**kwargs)


class WritableHouseholdField(serializers.PrimaryKeyRelatedField):
    """A household the requesting user may change: others do not exist for them (the
    same answer for another organisation's id as for an id nobody has)."""

    default_error_messages = {
        "does_not_exist": _("No household of your organisation has this id."),
        "incorrect_type": _("Give the household's id, a number."),
    }

    def get_queryset(self) -> QuerySet[Household]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not isinstance(user, User):
            return Household.objects.none()
        return selectors.households_writable_by(user)


class PersonSerializer(serializers.ModelSerializer):
    documents = serializers.DictField(
        child=serializers.ChoiceField(choices=CivilDocument.Status.choices),
        required=False,
        write_only=True,
        help_text="Civil documents by kind: held or missing (also in every answer).",
    )
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=SpecificNeed.Code.choices),
        required=False,
        write_only=True,
        help_text="UNHCR specific-needs codes (also in every answer).",
    )
    household = WritableHouseholdField(required=False, allow_null=True)
    version = serializers.IntegerField(
        required=False, help_text="Required on update: the version you read."
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "household",
            "relationship",
            *NAME_FIELDS,
            "sex",
            "date_of_birth",
            "dob_precision",
            "nationality",
            "documents",
            "needs",
            "version",
            "created_at",
            "updated_at",
        ]
        # The status is the return stage, kept by the pipeline from the records.
        read_only_fields = ["status", "created_at", "updated_at"]
        # The one-head rule is the services' to check, with a message that says so.
        validators: list = []

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["documents"] = {d.kind: d.status for d in instance.documents.all()}
        data["needs"] = [n.code for n in instance.needs.all()]
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = self._merged(attrs)
        if merged.get("date_of_birth") and not merged.get("dob_precision"):
            merged["dob_precision"] = attrs["dob_precision"] = Person.DobPrecision.EXACT
        errors = validation.check_person(merged)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _merged(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The person as it will be: current values under a PATCH's partial ones."""
        current: dict[str, Any] = {}
        if self.instance is not None:
            current = {
                name: getattr(self.instance, name)
                for name in (
                    *NAME_FIELDS,
                    "sex",
                    "date_of_birth",
                    "dob_precision",
                    "nationality",
                    "relationship",
                )
            }
            current["documents"] = {d.kind: d.status for d in self.instance.documents.all()}
            current["needs"] = [n.code for n in self.instance.needs.all()]
        return {**current, **attrs}

    def person_data(self) -> services.PersonData:
        merged = self._merged(dict(self.validated_data))
        return services.PersonData.from_mapping(merged)


class MemberSerializer(PersonSerializer):
    class Meta(PersonSerializer.Meta):
        fields = [f for f in PersonSerializer.Meta.fields if f != "household"]


class HouseholdSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    camp = PlaceField(queryset=Place.objects.filter(kind=Place.Kind.CAMP))
    camp_section = PlaceField(required=False, allow_null=True)
    camp_block = PlaceField(required=False, allow_null=True)
    origin = PlaceField(required=False, allow_null=True)
    destination = PlaceField(required=False, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)
    # Written on create; answers carry them on retrieve only (see to_representation).
    members = MemberSerializer(many=True, required=False, write_only=True)
    version = serializers.IntegerField(
        required=False, help_text="Required on update: the version you read."
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "reference",
            "organisation",
            "camp",
            "camp_section",
            "camp_block",
            "tent",
            "origin",
            "destination",
            "nationality",
            "status",
            "registered_on",
            "member_count",
            "members",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "reference": {"required": False, "allow_blank": True},
            "registered_on": {"required": False},
        }
        # The reference's uniqueness per organisation is the service's to check.
        validators: list = []

    def to_representation(self, instance: Household) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("with_members"):
            data["members"] = PersonSerializer(
                selectors.household_members(instance), many=True, context=self.context
            ).data
        else:
            data.pop("members", None)
        if getattr(instance, "member_count", None) is None:
            data["member_count"] = instance.members.count()
        return data

    def household_data(self) -> services.HouseholdData:
        values: dict[str, Any] = {}
        if self.instance is not None:
            values = {name: getattr(self.instance, name) for name in services.HOUSEHOLD_FIELDS}
        values.update(
            {k: v for k, v in self.validated_data.items() if k in services.HOUSEHOLD_FIELDS}
        )
        return services.HouseholdData(**values)


class _AuditedListMixin:
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        if page is None:  # pagination is always on; this keeps the type checker honest
            raise RuntimeError("the API lists are paginated")
        selectors.audit_listing(_user(request), page, filters=self.audit_filters(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)  # type: ignore[attr-defined]

    def audit_filters(self, request: Request) -> dict[str, Any]:
        return {k: v for k, v in request.query_params.items() if k not in ("search", "q")} | {
            "searched": bool(request.query_params.get("search", "").strip())
        }


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _int(value: str | None) -> int | None:
    return whole_number(value)


def _yours(serializer: serializers.Serializer, data: Any) -> dict[str, Any]:
    """The writable fields the client sent, as sent (nothing else is echoed back)."""
    yours: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        many = isinstance(field, serializers.ListField | serializers.ManyRelatedField)
        yours[name] = data.getlist(name) if many and hasattr(data, "getlist") else data[name]
    return yours


def _updates(serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The schema of PUT and PATCH: `version` is required, and a stale one answers 409
    with both versions."""
    described = extend_schema(
        description="Send the `version` you read. If someone else saved the record since, "
        "the answer is 409 with the record as it is now (`current`) and the fields you "
        "sent (`yours`): reconcile them and send again with the current version.",
        responses={200: serializer, 409: ConflictSerializer},
    )
    return {"update": described, "partial_update": described}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("camp", OpenApiTypes.STR, description="camp P-code"),
            OpenApiParameter("block", OpenApiTypes.STR, description="block P-code"),
            OpenApiParameter(
                "governorate", OpenApiTypes.STR, description="governorate of origin, P-code"
            ),
            OpenApiParameter("nationality", OpenApiTypes.STR),
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("search", OpenApiTypes.STR, description="reference number or name"),
        ]
    ),
    **_updates(HouseholdSerializer),
)
class HouseholdViewSet(
    _AuditedListMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = HouseholdSerializer
    queryset = Household.objects.none()

    def get_queryset(self) -> QuerySet[Household]:
        params = self.request.query_params
        pk_of = {
            p.pcode: p.pk
            for p in Place.objects.filter(
                pcode__in=[params.get(k) for k in ("camp", "block", "governorate") if params.get(k)]
            )
        }

        def place(key: str) -> int | None:
            value = params.get(key)
            return pk_of.get(value, -1) if value else None

        filters = selectors.HouseholdFilters(
            camp=place("camp"),
            camp_block=place("block"),
            governorate=place("governorate"),
            nationality=params.get("nationality", "")[:2],
            status=params.get("status", "")[:20],
            search=params.get("search", "")[:100],
        )
        return selectors.household_list_for_user(_user(self.request), filters)

    def get_object(self) -> Household:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return selectors.household_get_for_user(_user(self.request), self.kwargs["pk"], write=write)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "with_members": self.action != "list"}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        if not user.can(Can.REGISTER):
            raise PermissionDenied
        serializer = cast(HouseholdSerializer, self.get_serializer(data=request.data))
        serializer.is_valid(raise_exception=True)
        members = [
            services.PersonData.from_mapping(m)
            for m in serializer.validated_data.get("members", [])
        ]
        household = services.household_register(
            by=user, data=serializer.household_data(), members=members
        )
        return Response(self.get_serializer(household).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        household = self.get_object()
        serializer = cast(
            HouseholdSerializer,
            self.get_serializer(household, data=request.data, partial=kwargs.get("partial", False)),
        )
        serializer.is_valid(raise_exception=True)
        version = serializer.validated_data.get("version")
        if version is None:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        if "members" in serializer.validated_data:
            raise serializers.ValidationError(
                {"members": ["Change members through /api/v1/persons/."]}
            )
        try:
            updated = services.household_update(
                by=user,
                household=household,
                expected_version=version,
                data=serializer.household_data(),
            )
        except services.EditConflict:
            # A view of the record as it is now: recorded like any other.
            current = selectors.household_get_for_user(user, household.pk)
            return conflict_response(
                current=self.get_serializer(current).data, yours=_yours(serializer, request.data)
            )
        return Response(self.get_serializer(updated).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("household", OpenApiTypes.INT, description="household id"),
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                description="names in Arabic or Latin script, any spelling; results best first",
            ),
        ]
    ),
    **_updates(PersonSerializer),
)
class PersonViewSet(
    _AuditedListMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PersonSerializer
    queryset = Person.objects.none()

    def get_queryset(self) -> QuerySet[Person]:
        params = self.request.query_params
        return selectors.person_list_for_user(
            _user(self.request),
            household=_int(params.get("household")),
            search=params.get("search", "")[:100],
        )

    def get_object(self) -> Person:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return selectors.person_get_for_user(_user(self.request), self.kwargs["pk"], write=write)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a person to a household (`household` and `relationship` required)."""
        user = _user(request)
        serializer = cast(PersonSerializer, self.get_serializer(data=request.data))
        serializer.is_valid(raise_exception=True)
        household = serializer.validated_data.get("household")
        if household is None:
            raise serializers.ValidationError(
                {"household": ["Give the household the person joins."]}
            )
        household = selectors.household_get_for_user(user, household.pk, write=True)
        person = services.member_add(by=user, household=household, data=serializer.person_data())
        return Response(self.get_serializer(person).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        person = self.get_object()
        serializer = cast(
            PersonSerializer,
            self.get_serializer(person, data=request.data, partial=kwargs.get("partial", False)),
        )
        serializer.is_valid(raise_exception=True)
        version = serializer.validated_data.get("version")
        if version is None:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        household = serializer.validated_data.get("household", person.household)
        if household != person.household:
            raise serializers.ValidationError(
                {"household": ["Move people between households with the pages (move)."]}
            )
        try:
            updated = services.person_update(
                by=user, person=person, expected_version=version, data=serializer.person_data()
            )
        except services.EditConflict:
            current = selectors.person_get_for_user(user, person.pk)
            return conflict_response(
                current=self.get_serializer(current).data, yours=_yours(serializer, request.data)
            )
        return Response(self.get_serializer(updated).data)
