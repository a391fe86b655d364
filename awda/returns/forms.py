from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.cases.models import Referral
from awda.common.forms import StyledForm
from awda.places.models import Place
from awda.registry.countries import NATIONALITIES
from awda.registry.forms import PlaceChoiceField, _grouped, subdistricts_of
from awda.returns.models import Centre, CentreStay, ChecklistItem, Clearance, Movement, Pathway
from awda.returns.services import ClosureReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
THIRD_COUNTRIES = [("", "—"), *((c, n) for c, n in NATIONALITIES if c not in ("SY", "IQ"))]


def _governorates() -> Any:
    return Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by("country", "pcode")


class _DestinationMixin:
    """A governorate select that fills the sub-district select below it (HTMX), as on the
    household form."""

    prefix_name = "destination"

    def _wire(self, form: forms.Form, initial_governorate: Any) -> None:
        governorate = form.data.get(f"{self.prefix_name}_governorate") or initial_governorate
        form.fields[self.prefix_name].choices = [("", "—"), *_grouped(subdistricts_of(governorate))]  # type: ignore[attr-defined]
        form.fields[f"{self.prefix_name}_governorate"].widget.attrs.update(
            {
                "hx-get": "/places/subdistricts/",
                "hx-target": f"#id_{self.prefix_name}",
                "hx-vals": '{"field": "destination"}',
                "hx-trigger": "change",
            }
        )


def _place_or_none(value: Any) -> Place | None:
    return Place.objects.filter(pk=value).first() if value else None


class IntentionForm(_DestinationMixin, StyledForm):
    pathway = forms.ChoiceField(label=_("Pathway"), choices=Pathway.choices)
    destination_governorate = PlaceChoiceField(
        label=_("Governorate"), queryset=_governorates(), required=False
    )
    destination = forms.TypedChoiceField(
        label=_("Sub-district"), required=False, coerce=int, empty_value=None
    )
    village = forms.CharField(label=_("Village or neighbourhood"), max_length=200, required=False)
    country = forms.ChoiceField(
        label=_("Country of repatriation"), choices=THIRD_COUNTRIES, required=False
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stated_on = forms.DateField(label=_("Stated on"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wire(self, self.initial.get("destination_governorate"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["destination"] = _place_or_none(cleaned.get("destination"))
        return cleaned


class CentreExitForm(_DestinationMixin, StyledForm):
    exited_on = forms.DateField(label=_("Left the centre on"), widget=DATE)
    destination_governorate = PlaceChoiceField(
        label=_("Governorate"), queryset=_governorates(), required=False
    )
    destination = forms.TypedChoiceField(
        label=_("Went home to (sub-district)"), coerce=int, empty_value=None
    )
    village = forms.CharField(label=_("Village or neighbourhood"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wire(self, self.initial.get("destination_governorate"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["destination"] = _place_or_none(cleaned.get("destination"))
        return cleaned


class ClearanceForm(StyledForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=Clearance.Decision.choices)
    decided_on = forms.DateField(label=_("Date of the decision"), widget=DATE)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class ProgrammesForm(StyledForm):
    programmes = forms.MultipleChoiceField(
        label=_("Programmes attended"),
        choices=CentreStay.Programme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CloseForm(StyledForm):
    reason = forms.ChoiceField(label=_("Why is the file closed?"), choices=ClosureReason.choices)


def _movement_destinations() -> list[tuple[str, list[tuple[int, str]]]]:
    places = Place.objects.filter(kind__in=[Place.Kind.GOVERNORATE, Place.Kind.DISTRICT]).order_by(
        "country", "pcode"
    )
    groups: dict[str, list[tuple[int, str]]] = {}
    for place in places:
        label = str(place.get_country_display())
        indent = "" if place.kind == Place.Kind.GOVERNORATE else "— "
        groups.setdefault(label, []).append((place.pk, indent + place.name))
    return list(groups.items())


class MovementForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Movement.Kind.choices)
    pathway = forms.ChoiceField(
        label=_("Pathway"), choices=[c for c in Pathway.choices if c[0] != Pathway.STAYING]
    )
    departs_on = forms.DateField(label=_("Departure date"), widget=DATE)
    origin = PlaceChoiceField(
        label=_("From camp"), queryset=Place.objects.filter(kind=Place.Kind.CAMP).order_by("pcode")
    )
    destination = forms.TypedChoiceField(
        label=_("To place"), required=False, coerce=int, empty_value=None
    )
    centre = forms.ModelChoiceField(
        label=_("Or to a rehabilitation centre"),
        queryset=Centre.objects.filter(is_active=True),
        required=False,
    )
    country = forms.ChoiceField(label=_("Or to a country"), choices=THIRD_COUNTRIES, required=False)
    capacity = forms.IntegerField(label=_("Capacity (people)"), min_value=1, max_value=5000)
    vehicles = forms.IntegerField(label=_("Vehicles"), min_value=1, max_value=500, initial=1)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to have one made (e.g. CV-2026-001)."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [("", "—"), *_movement_destinations()]  # type: ignore[attr-defined]
        self.fields["departs_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["destination"] = _place_or_none(cleaned.get("destination"))
        return cleaned


class MovementEditForm(StyledForm):
    departs_on = forms.DateField(label=_("Departure date"), widget=DATE)
    capacity = forms.IntegerField(label=_("Capacity (people)"), min_value=1, max_value=5000)
    vehicles = forms.IntegerField(label=_("Vehicles"), min_value=1, max_value=500)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class HandoverForm(StyledForm):
    receiving_organisation = forms.ModelChoiceField(
        label=_("Receiving organisation"), queryset=Organisation.objects.none()
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Referral.Kind.choices,
        initial=Referral.Kind.TRANSFER,
        help_text=_("A transfer hands the file over; a referral lets the receiver read it."),
    )
    summary = forms.CharField(
        label=_("What the family needs"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    consent = forms.ChoiceField(label=_("Consent"), choices=Referral.Consent.choices)
    consent_note = forms.CharField(
        label=_("Who consented, or why a supervisor decided without consent"),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Organisation.objects.filter(is_active=True)
        if organisation_id is not None:
            others = others.exclude(pk=organisation_id)
        self.fields["receiving_organisation"].queryset = others  # type: ignore[attr-defined]


class ChecklistItemForm(StyledForm):
    pathway = forms.ChoiceField(
        label=_("Pathway"), choices=[c for c in Pathway.choices if c[0] != Pathway.STAYING]
    )
    code = forms.SlugField(label=_("Code"), max_length=40)
    rule = forms.ChoiceField(label=_("Checked by"), choices=ChecklistItem.Rule.choices)
    label_ar = forms.CharField(label=_("Label in Arabic"), max_length=200)
    label_en = forms.CharField(label=_("Label in English"), max_length=200)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32000, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    # The version of the item shown for a change; 0 for an item being added.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0, required=False)
