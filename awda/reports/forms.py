"""The dashboard's filters, from the query string: an organisation (its short name), a
camp (its P-code), a period of whole months and the map's measure. None of them is
personal data."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from awda.reports.selectors import (
    LONGEST_PERIOD,
    MAP_MEASURES,
    Choices,
    Filters,
    add_months,
    month_end,
    month_start,
)

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
        )
        super().__init__(required=False, max_length=7, **kwargs)

    def clean(self, value: Any) -> datetime.date | None:
        text = super().clean(value)
        if not text:
            return None
        found = MONTH.match(text)
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
            raise forms.ValidationError(_("Give a month as YYYY-MM."), code="month")
        return datetime.date(int(found.group(1)), int(found.group(2)), 1)


class DashboardFilters(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    camp = forms.ChoiceField(label=_("Camp"), required=False)
    start = MonthField(label=_("From"))
    end = MonthField(label=_("To"))
    map = forms.ChoiceField(label=_("Map"), required=False)

    def __init__(self, *args: Any, choices: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = choices
        fields: dict[str, Any] = self.fields
        fields["organisation"].choices = [("", _("All organisations"))] + [
            (o.slug, o.name) for o in choices.organisations
        ]
        fields["camp"].choices = [("", _("All camps"))] + [(p.pcode, p.name) for p in choices.camps]
        fields["map"].choices = list(MAP_MEASURES.items())
        for name in ("organisation", "camp", "map"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("start", "end"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if add_months(start, LONGEST_PERIOD) <= end:
                raise forms.ValidationError(
                    _("Choose a period of at most %(n)s months.") % {"n": LONGEST_PERIOD}
                )
        return cleaned

    def filters(self, today: datetime.date) -> Filters:
        """The filters asked for, or the defaults (the last twelve months, everyone) for
        what is missing or wrong."""
        default = Filters.default(today)
        if not self.is_valid():
            return default
        data = self.cleaned_data
        start: datetime.date | None = data.get("start")
        end: datetime.date | None = data.get("end")
        if start and not end:
            end = min(add_months(start, 11), month_start(today))
            end = max(end, start)
        if end and not start:
            start = add_months(end, -11)
        organisation = next(
            (o for o in self.choices.organisations if o.slug == data.get("organisation")), None
        )
        camp = next((p for p in self.choices.camps if p.pcode == data.get("camp")), None)
        return Filters(
            start=start or default.start,
            end=month_end(end) if end else default.end,
            organisation=organisation,
            camp=camp,
            map=data.get("map") or "origin",
        )
