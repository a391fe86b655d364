"""Which forms a user may collect with, and the form behind a download link. Forms are
configuration shared by every organisation (no personal data): what limits them is the
role, as it limits recording what they collect."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.cases.models import FormDefinition, FormVersion
from awda.collect import xlsform
from awda.mhpss.instruments import INSTRUMENTS
from awda.reintegration.models import SurveyInstrument

# Who may download (and bring back) each kind of form: those who may record it.
CAPABILITY = {
    "registration": Can.REGISTER,
    "survey": Can.RECORD_FOLLOW_UP,
    "screening": Can.RECORD_MHPSS,
    "assessment": Can.MANAGE_CASES,
}


@dataclass(frozen=True)
class Collectable:
    kind: str
    form_id: str
    title_ar: str
    title_en: str
    url: str

    @property
    def title(self) -> str:
        return self.title_ar if (get_language() or "ar").startswith("ar") else self.title_en


def may_collect(user: User) -> bool:
    return any(user.can(capability) for capability in CAPABILITY.values())


def surveys_in_use() -> list[SurveyInstrument]:
    """The newest active version of each survey code: the only one surveys are recorded
    with (reintegration.services.survey_record refuses the others)."""
    newest: dict[str, SurveyInstrument] = {}
    for instrument in SurveyInstrument.objects.filter(is_active=True).order_by("code", "-version"):
        newest.setdefault(instrument.code, instrument)
    return list(newest.values())


def survey_for_collection(code: str) -> SurveyInstrument:
    found = next((i for i in surveys_in_use() if i.code == code), None)
    if found is None:
        raise Http404
    return found


def screening_for_collection(code: str) -> str:
    if code not in INSTRUMENTS:
        raise Http404
    return code


def assessment_for_collection(slug: str) -> FormVersion:
    """The latest version of an assessment form."""
    version = (
        FormVersion.objects.filter(form__slug=slug)
        .select_related("form")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise Http404
    return version


def collectable_forms(user: User) -> list[Collectable]:
    """The forms the user may collect with, in the order of the list page."""
    found: list[Collectable] = []
    if user.can(CAPABILITY["registration"]):
        found.append(
            Collectable(
                "registration",
                xlsform.REGISTRATION_FORM_ID,
                "تسجيل الأسر",
                "Household registration",
                reverse("collect:registration"),
            )
        )
    if user.can(CAPABILITY["survey"]):
        for instrument in surveys_in_use():
            found.append(
                Collectable(
                    "survey",
                    xlsform.survey_form_id(instrument.code, instrument.version),
                    instrument.name_ar,
                    instrument.name_en,
                    reverse("collect:survey", args=[instrument.code]),
                )
            )
    if user.can(CAPABILITY["screening"]):
        for code, screening in INSTRUMENTS.items():
            found.append(
                Collectable(
                    "screening",
                    xlsform.screening_form_id(code),
                    f"فحص {screening.name}",
                    f"{screening.name} screening",
                    reverse("collect:screening", args=[code]),
                )
            )
    if user.can(CAPABILITY["assessment"]):
        for form in FormDefinition.objects.prefetch_related("versions"):
            versions = sorted(form.versions.all(), key=lambda v: v.number)
            if versions:
                found.append(
                    Collectable(
                        "assessment",
                        xlsform.assessment_form_id(form.slug, versions[-1].number),
                        form.title_ar,
                        form.title_en,
                        reverse("collect:assessment", args=[form.slug]),
                    )
                )
    return found
