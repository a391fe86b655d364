"""Forms of the community pages: they parse and check input; the services decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.common.forms import StyledForm
from awda.common.numbers import whole_number
from awda.community.models import AcceptanceActivity, CommunityActor, PlaceAcceptance, Sponsorship
from awda.community.services import NOTE_LIMIT, TEXT_LIMIT, ActorData
from awda.places.models import Place
from awda.registry.forms import PlaceChoiceField, _grouped, subdistricts_of


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def governorates() -> Any:
    return Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by("country", "pcode")


class ActorForm(StyledForm):
    """A sponsor or leader: the governorate, and the sub-district when known."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *CommunityActor.Kind.choices])
    name = forms.CharField(label=_("Name"), max_length=200)
    affiliation = forms.CharField(label=_("Tribe or affiliation"), max_length=200, required=False)
    governorate = PlaceChoiceField(label=_("Governorate"), queryset=governorates())
    place = forms.TypedChoiceField(
        label=_("Sub-district"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty for an actor of the whole governorate."),
    )
    contact = forms.CharField(
        label=_("Contact details"),
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen only by community liaisons, return coordinators and supervisors."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        governorate = self.data.get(self.add_prefix("governorate")) or self.initial.get(
            "governorate"
        )
        choices: list[Any] = [("", "—"), *_grouped(subdistricts_of(governorate))]
        current = self.initial.get("place")
        offered = {pk for _group, options in choices[1:] for pk, _name in options}
        if current and current not in offered:
            # an actor recorded elsewhere at another level keeps its place on edit
            place = Place.objects.filter(pk=current).first()
            if place is not None and place.kind != Place.Kind.GOVERNORATE:
                choices.append((place.pk, place.name))
        self.fields["place"].choices = choices  # type: ignore[attr-defined]
        self.fields["governorate"].widget.attrs.update(
            {
                "hx-get": "/community/places/subdistricts/",
                "hx-target": f"#{self['place'].auto_id}",
                "hx-trigger": "change",
            }
        )

    @staticmethod
    def initial_for(actor: CommunityActor) -> dict[str, Any]:
        place = actor.place
        return {
            "kind": actor.kind,
            "name": actor.name,
            "affiliation": actor.affiliation,
            "governorate": place.governorate_id,
            "place": None if place.kind == Place.Kind.GOVERNORATE else place.pk,
            "contact": actor.contact,
            "notes": actor.notes,
            "is_active": actor.is_active,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        governorate = cleaned.get("governorate")
        chosen = cleaned.get("place")
        place = Place.objects.filter(pk=chosen).first() if chosen else governorate
        if place is not None and governorate is not None and place.governorate_id != governorate.pk:
            self.add_error("place", _("This place is not in the chosen governorate."))
        cleaned["place"] = place
        return cleaned

    def to_data(self) -> ActorData:
        c = self.cleaned_data
        return ActorData(
            place=c["place"],
            kind=c["kind"],
            name=c["name"],
            affiliation=c.get("affiliation", ""),
            contact=c.get("contact", ""),
            notes=c.get("notes", ""),
            is_active=bool(c.get("is_active")),
        )


class SponsorshipRequestForm(StyledForm):
    sponsor = forms.TypedChoiceField(label=_("Sponsor"), coerce=int)
    requested_on = forms.DateField(
        label=_("Requested on"), initial=timezone.localdate, widget=DateInput()
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        near: list[CommunityActor],
        others: list[CommunityActor],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actors = {a.pk: a for a in [*near, *others]}

        def options(actors: list[CommunityActor]) -> list[tuple[int, str]]:
            return [(a.pk, f"{a.name} · {a.get_kind_display()} · {a.place.name}") for a in actors]

        choices: list[Any] = [("", "—")]
        if near:
            choices.append((_("At the destination or above it"), options(near)))
        if others:
            choices.append((_("Elsewhere") if near else _("Sponsors"), options(others)))
        self.fields["sponsor"].choices = choices  # type: ignore[attr-defined]

    def clean_sponsor(self) -> CommunityActor:
        actor = self.actors.get(self.cleaned_data["sponsor"])
        if actor is None:
            raise forms.ValidationError(_("Choose one of your organisation's active sponsors."))
        return actor


class SponsorshipStepForm(StyledForm):
    """Agree, fulfil or withdraw: which sponsorship, as read at which version."""

    sponsorship = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SponsorshipWithdrawForm(SponsorshipStepForm):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *Sponsorship.WithdrawalReason.choices]
    )


class ActivityForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=AcceptanceActivity.Kind.choices)
    held_on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DateInput())
    participant_roles = forms.MultipleChoiceField(
        label=_("Who took part"),
        choices=AcceptanceActivity.Participant.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.IntegerField(
        label=_("Number of participants"), min_value=0, max_value=100_000, initial=0
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssessmentForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Acceptance"),
        choices=[c for c in PlaceAcceptance.Status.choices if c[0] != "not_assessed"],
    )
    assessed_on = forms.DateField(
        label=_("Assessed on"), initial=timezone.localdate, widget=DateInput()
    )
    activity = forms.TypedChoiceField(
        label=_("After the activity"), required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, activities: list[AcceptanceActivity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activities = {a.pk: a for a in activities}
        self.fields["activity"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((a.pk, f"{a.held_on.isoformat()} · {a.get_kind_display()}") for a in activities),
        ]

    def clean_activity(self) -> AcceptanceActivity | None:
        chosen = self.cleaned_data.get("activity")
        return self.activities.get(chosen) if chosen else None


def parse_date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_int(value: str | None) -> int | None:
    return whole_number(value)
