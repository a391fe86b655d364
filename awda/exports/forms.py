from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from awda.common.forms import StyledForm
from awda.exports.services import MIN_PASSWORD, MIN_REASON

FORMAT_CHOICES = [("csv", "CSV"), ("xlsx", "XLSX")]


class PersonExportForm(StyledForm):
    fmt = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect
    )
    password = forms.CharField(
        label=_("Password for the archive"),
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Awda keeps it nowhere and will not show it again: "
            "give it to the recipient by another way than the file (by phone, in person)."
        ),
    )
    password_again = forms.CharField(
        label=_("The password again"),
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    unencrypted = forms.BooleanField(
        label=_("I will store this file encrypted myself"),
        required=False,
        help_text=_("Without encryption, only with a reason; recorded in the audit trail."),
    )
    unencrypted_reason = forms.CharField(
        label=_("Why without encryption"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    include_withdrawn = forms.BooleanField(
        label=_("Include the people whose registration consent was withdrawn"),
        required=False,
        help_text=_("An override: only with a reason; recorded in the audit trail."),
    )
    override_reason = forms.CharField(
        label=_("Why they must be in the file"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("unencrypted"):
            if len(data.get("unencrypted_reason", "").strip()) < MIN_REASON:
                self.add_error(
                    "unencrypted_reason", gettext("Say why you need the file without encryption.")
                )
        else:
            password = data.get("password", "")
            if len(password) < MIN_PASSWORD:
                self.add_error(
                    "password",
                    ngettext(
                        "Type a password of at least %(count)d character.",
                        "Type a password of at least %(count)d characters.",
                        MIN_PASSWORD,
                    )
                    % {"count": MIN_PASSWORD},
                )
            elif password != data.get("password_again", ""):
                self.add_error("password_again", gettext("The two passwords differ."))
        if data.get("include_withdrawn") and (
            len(data.get("override_reason", "").strip()) < MIN_REASON
        ):
            self.add_error(
                "override_reason",
                gettext("Say why people who withdrew their consent must be in the file."),
            )
        return data


class PseudonymisedExportForm(StyledForm):
    fmt = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect
    )
    recipient = forms.CharField(
        label=_("Receiving organisation"),
        max_length=200,
        min_length=2,
        help_text=_(
            "The organisation (and unit) that receives the file, e.g. “UNHCR protection "
            "unit”. Each recipient gets its own pseudonyms: files sent to two recipients "
            "cannot be linked."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # On the same page as the person-level form: ids of its own.
        kwargs.setdefault("auto_id", "id_pseudonymised_%s")
        super().__init__(*args, **kwargs)
