from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from awda.audit.models import Action
from awda.common.forms import StyledForm


class AuditSearchForm(StyledForm):
    username = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", "—"), *Action.choices], required=False
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
