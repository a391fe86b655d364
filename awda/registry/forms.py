from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.common.forms import StyledForm, style_fields
from awda.common.numbers import whole_number
from awda.places.models import Place
from awda.registry import validation
from awda.registry.countries import NATIONALITIES
from awda.registry.models import CivilDocument, Household, Membership, Person, SpecificNeed
from awda.registry.services import HouseholdData, PersonData

DOCUMENT_CHOICES = [("", "—"), *CivilDocument.Status.choices]


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _grouped(queryset: QuerySet[Place]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Choices grouped by the place's parent: a camp's blocks by section, sub-districts
    by district."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for place in queryset.select_related("parent"):
        label = place.parent.name if place.parent else ""
        groups.setdefault(label, []).append((place.pk, place.name))
    return list(groups.items())


def subdistricts_of(governorate_id: int | str | None) -> QuerySet[Place]:
    if not governorate_id or whole_number(governorate_id) is None:
        return Place.objects.none()
    return Place.objects.filter(
        governorate_id=int(governorate_id), kind=Place.Kind.SUBDISTRICT
    ).order_by("parent__pcode", "pcode")


class HouseholdForm(StyledForm):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to have one made."),
    )
    camp = PlaceChoiceField(label=_("Camp"), queryset=Place.objects.filter(kind=Place.Kind.CAMP))
    camp_section = forms.TypedChoiceField(
        label=_("Section"), required=False, coerce=int, empty_value=None
    )
    camp_block = forms.TypedChoiceField(
        label=_("Block"), required=False, coerce=int, empty_value=None
    )
    tent = forms.CharField(label=_("Tent"), max_length=20, required=False)
    nationality = forms.ChoiceField(label=_("Nationality"), choices=[("", "—"), *NATIONALITIES])
    origin_governorate = PlaceChoiceField(
        label=_("Governorate of origin"),
        queryset=Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by("country", "pcode"),
        required=False,
    )
    origin = forms.TypedChoiceField(
        label=_("Community of origin"), required=False, coerce=int, empty_value=None
    )
    destination_governorate = PlaceChoiceField(
        label=_("Governorate of intended destination"),
        queryset=Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by("country", "pcode"),
        required=False,
    )
    destination = forms.TypedChoiceField(
        label=_("Intended destination"), required=False, coerce=int, empty_value=None
    )
    registered_on = forms.DateField(
        label=_("Registration date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        empty = [("", "—")]
        sections = Place.objects.filter(kind=Place.Kind.CAMP_SECTION).order_by("pcode")
        blocks = Place.objects.filter(kind=Place.Kind.CAMP_BLOCK).order_by("pcode")
        self.fields["camp_section"].choices = empty + _grouped(sections)  # type: ignore[attr-defined]
        self.fields["camp_block"].choices = empty + _grouped(blocks)  # type: ignore[attr-defined]
        for prefix in ("origin", "destination"):
            governorate = self.data.get(
                self.add_prefix(f"{prefix}_governorate")
            ) or self.initial.get(f"{prefix}_governorate")
            self.fields[prefix].choices = empty + _grouped(subdistricts_of(governorate))  # type: ignore[attr-defined]
            self.fields[f"{prefix}_governorate"].widget.attrs.update(
                {
                    "hx-get": "/places/subdistricts/",
                    "hx-target": f"#id_{self.add_prefix(prefix)}",
                    "hx-vals": f'{{"field": "{prefix}"}}',
                    "hx-trigger": "change",
                }
            )

    @staticmethod
    def initial_for(household: Household) -> dict[str, Any]:
        return {
            "reference": household.reference,
            "camp": household.camp_id,
            "camp_section": household.camp_section_id,
            "camp_block": household.camp_block_id,
            "tent": household.tent,
            "nationality": household.nationality,
            "origin_governorate": household.origin.governorate_id if household.origin else None,
            "origin": household.origin_id,
            "destination_governorate": household.destination.governorate_id
            if household.destination
            else None,
            "destination": household.destination_id,
            "registered_on": household.registered_on,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        places = {
            p.pk: p
            for p in Place.objects.filter(
                pk__in=[
                    cleaned.get(f)
                    for f in ("camp_section", "camp_block", "origin", "destination")
                    if cleaned.get(f)
                ]
            )
        }
        for name in ("camp_section", "camp_block", "origin", "destination"):
            chosen = cleaned.get(name)
            cleaned[name] = places.get(chosen) if chosen else None
        if "camp" in cleaned:
            for name, messages in validation.check_camp_address(
                cleaned["camp"], cleaned["camp_section"], cleaned["camp_block"]
            ).items():
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    def to_data(self) -> HouseholdData:
        c = self.cleaned_data
        return HouseholdData(
            reference=c.get("reference", "").strip(),
            camp=c["camp"],
            camp_section=c.get("camp_section"),
            camp_block=c.get("camp_block"),
            tent=c.get("tent", "").strip(),
            origin=c.get("origin"),
            destination=c.get("destination"),
            nationality=c["nationality"],
            registered_on=c.get("registered_on"),
        )


class PersonForm(StyledForm):
    first_name_ar = forms.CharField(label=_("First name"), max_length=60, required=False)
    father_name_ar = forms.CharField(label=_("Father's name"), max_length=60, required=False)
    grandfather_name_ar = forms.CharField(
        label=_("Grandfather's name"), max_length=60, required=False
    )
    family_name_ar = forms.CharField(label=_("Family name"), max_length=60, required=False)
    first_name_lat = forms.CharField(label=_("First name (Latin)"), max_length=60, required=False)
    father_name_lat = forms.CharField(
        label=_("Father's name (Latin)"), max_length=60, required=False
    )
    grandfather_name_lat = forms.CharField(
        label=_("Grandfather's name (Latin)"), max_length=60, required=False
    )
    family_name_lat = forms.CharField(label=_("Family name (Latin)"), max_length=60, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Person.Sex.choices])
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        choices=[("", "—"), *Person.Relationship.choices],
        required=False,
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    birth_year = forms.IntegerField(
        label=_("or year of birth"),
        required=False,
        min_value=validation.OLDEST_BIRTH_YEAR,
        max_value=2100,
    )
    age = forms.IntegerField(label=_("or age in years"), required=False, min_value=0, max_value=120)
    nationality = forms.ChoiceField(
        label=_("Nationality, if not the household's"),
        choices=[("", "—"), *NATIONALITIES],
        required=False,
    )
    needs = forms.MultipleChoiceField(
        label=_("Specific needs"),
        choices=SpecificNeed.Code.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, require_relationship: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.require_relationship = require_relationship
        for kind, label in CivilDocument.Kind.choices:
            self.fields[f"doc_{kind}"] = forms.ChoiceField(
                label=label, choices=DOCUMENT_CHOICES, required=False
            )
        for name in validation.ARABIC_FIELDS:
            self.fields[name].widget.attrs.update(
                {"dir": "rtl", "lang": "ar", "autocomplete": "off"}
            )
        for name in validation.LATIN_FIELDS:
            self.fields[name].widget.attrs.update(
                {"dir": "ltr", "lang": "en", "autocomplete": "off"}
            )
        style_fields(self)

    @property
    def document_fields(self) -> list[forms.BoundField]:
        return [self[f"doc_{kind}"] for kind in CivilDocument.Kind.values]

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(person, name)
            for name in (
                *validation.ARABIC_FIELDS,
                *validation.LATIN_FIELDS,
                "sex",
                "relationship",
                "nationality",
            )
        }
        if person.dob_precision == Person.DobPrecision.EXACT:
            initial["date_of_birth"] = person.date_of_birth
        elif person.date_of_birth is not None and person.dob_precision == Person.DobPrecision.YEAR:
            initial["birth_year"] = person.date_of_birth.year
        elif person.date_of_birth is not None:
            # An age is stored as 1 July of the year it points to; this year's distance to
            # that year gives the same date back when the form is saved unchanged (the age
            # on the day would move it a year on before July).
            initial["age"] = timezone.localdate().year - person.date_of_birth.year
        initial["needs"] = [n.code for n in person.needs.all()]
        for document in person.documents.all():
            initial[f"doc_{document.kind}"] = document.status
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        given = [cleaned.get(f) is not None for f in ("date_of_birth", "birth_year", "age")]
        if sum(given) > 1:
            self.add_error(
                "date_of_birth", _("Give one of: the date of birth, the year, or the age.")
            )
            return cleaned
        born, precision = validation.date_of_birth_from(
            exact=cleaned.get("date_of_birth"),
            year=cleaned.get("birth_year"),
            age=cleaned.get("age"),
            today=today,
        )
        cleaned["date_of_birth"], cleaned["dob_precision"] = born, precision
        for name in (*validation.ARABIC_FIELDS, *validation.LATIN_FIELDS):
            cleaned[name] = validation.clean_name(cleaned.get(name, ""))
        if self.require_relationship and not cleaned.get("relationship"):
            self.add_error("relationship", _("Choose the relationship to the head."))
        for name, messages in validation.check_person(cleaned, today=today).items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
        return cleaned

    def to_data(self) -> PersonData:
        c = self.cleaned_data
        documents = {kind: c.get(f"doc_{kind}", "") for kind in CivilDocument.Kind.values}
        return PersonData.from_mapping(
            {**c, "documents": documents, "needs": set(c.get("needs") or [])}
        )


class BasePersonFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"require_relationship": True}

    def clean(self) -> None:
        if any(self.errors):
            return
        members = [f.cleaned_data for f in self.forms if f.has_changed() and f.cleaned_data]
        for messages in validation.check_members(members).values():
            for message in messages:
                raise forms.ValidationError(message)


PersonFormSet = forms.formset_factory(
    PersonForm,
    formset=BasePersonFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=40,
    validate_max=True,
)


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class LeaveForm(StyledForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[c for c in Membership.EndReason.choices if c[0] != Membership.EndReason.MOVED],
    )
    on = forms.DateField(
        label=_("Date"), initial=datetime.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )


class MoveForm(StyledForm):
    reference = forms.CharField(label=_("Reference number of the new household"), max_length=40)
    relationship = forms.ChoiceField(
        label=_("Relationship to its head"), choices=Person.Relationship.choices
    )
    on = forms.DateField(
        label=_("Date"), initial=datetime.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
