from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from awda.common.forms import StyledForm
from awda.places.models import Place
from awda.registry.forms import PlaceChoiceField
from awda.registry.models import Person
from awda.tracing.models import Relation, TracingRequest

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestForm(StyledForm):
    relationship = forms.ChoiceField(
        label=_("The person sought is the requester's"), choices=Relation.choices
    )
    sought_first_name = forms.CharField(label=_("First name"), max_length=60)
    sought_father_name = forms.CharField(label=_("Father's name"), max_length=60, required=False)
    sought_grandfather_name = forms.CharField(
        label=_("Grandfather's name"), max_length=60, required=False
    )
    sought_family_name = forms.CharField(label=_("Family name"), max_length=60, required=False)
    sought_first_name_lat = forms.CharField(
        label=_("First name (Latin)"), max_length=60, required=False
    )
    sought_family_name_lat = forms.CharField(
        label=_("Family name (Latin)"), max_length=60, required=False
    )
    sought_sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices)
    sought_birth_year = forms.IntegerField(label=_("Year of birth"), required=False)
    sought_age = forms.IntegerField(label=_("Or age now"), required=False)
    last_known_place = PlaceChoiceField(
        label=_("Last known place"),
        queryset=Place.objects.filter(kind__in=[Place.Kind.GOVERNORATE, Place.Kind.CAMP]).order_by(
            "country", "pcode"
        ),
        required=False,
    )
    last_seen_on = forms.DateField(label=_("Last seen on"), required=False, widget=DATE)
    separation = forms.ChoiceField(
        label=_("As the family reports it"),
        choices=TracingRequest.Separation.choices,
        initial=TracingRequest.Separation.UNKNOWN,
    )
    circumstances = forms.CharField(
        label=_("Circumstances of the separation (kept confidential)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_override = forms.CharField(
        label=_("Supervisor only: why tracing goes ahead without the requester's consent"),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("sought_first_name", "sought_father_name", "sought_grandfather_name"):
            self.fields[name].widget.attrs["dir"] = "auto"
        self.fields["sought_family_name"].widget.attrs["dir"] = "auto"
