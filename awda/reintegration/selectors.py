"""Reintegration reads. Follow-ups, survey answers and scores belong to the organisation
that owns the household now (a transfer, such as a handover after arrival, hands them
over with it) and are seen there by the roles with VIEW_REINTEGRATION
(caseworkers, MHPSS workers, return coordinators, supervisors): not by community
liaisons (the psychosocial dimension is among them), not by donors, and not by an
organisation the household was referred to. Anything else is a 404."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from statistics import fmean

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.places.models import Place
from awda.registry.models import Household
from awda.registry.selectors import households_visible_to
from awda.reintegration import instruments
from awda.reintegration.models import FollowUp, Survey, SurveyInstrument
from awda.returns.models import Homecoming

UPCOMING_DAYS = 14
SCORES = ("economic", "social", "psychosocial", "composite")


def _organisation(user: User) -> int | None:
    if not user.can(Can.VIEW_REINTEGRATION) or user.organisation_id is None:
        return None
    return user.organisation_id


def reintegration_households_visible_to(user: User) -> QuerySet[Household]:
    organisation = _organisation(user)
    if organisation is None:
        return Household.objects.none()
    return households_visible_to(user).filter(organisation_id=organisation)


def reintegration_household_get_for_user(user: User, pk: int | str) -> Household:
    """The household, for its reintegration page or record, or 404; the read is
    recorded."""
    try:
        household = (
            reintegration_households_visible_to(user).select_related("organisation").get(pk=pk)
        )
    except (Household.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(actor=user, action=Action.VIEW, obj=household, details={"reintegration": True})
    return household


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    organisation = _organisation(user)
    if organisation is None:
        return FollowUp.objects.none()
    return FollowUp.objects.filter(household__organisation_id=organisation)


def follow_up_get_for_user(user: User, pk: int | str) -> FollowUp:
    try:
        return follow_ups_visible_to(user).select_related("household").get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError):
        raise Http404 from None


def follow_ups_due_for_user(
    user: User, today: datetime.date | None = None
) -> dict[str, list[FollowUp]]:
    """The organisation's follow-ups still due: overdue (due before today), due today,
    and coming up in the next 14 days; one query."""
    today = today or timezone.localdate()
    rows = (
        follow_ups_visible_to(user)
        .filter(status=FollowUp.Status.DUE, due_on__lte=today + datetime.timedelta(UPCOMING_DAYS))
        .select_related("household", "household__homecoming", "household__homecoming__place")
        .order_by("due_on", "id")
    )
    due: dict[str, list[FollowUp]] = {"overdue": [], "today": [], "upcoming": []}
    for row in rows:
        key = "overdue" if row.due_on < today else "today" if row.due_on == today else "upcoming"
        due[key].append(row)
    return due


def follow_ups_of(user: User, household: Household) -> list[FollowUp]:
    """The household's schedule with each follow-up's survey, if any (the caller got
    `household` through reintegration_household_get_for_user)."""
    return list(
        follow_ups_visible_to(user)
        .filter(household=household)
        .select_related("survey")
        .order_by("months")
    )


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    organisation = _organisation(user)
    if organisation is None:
        return Survey.objects.none()
    return Survey.objects.filter(household__organisation_id=organisation).select_related(
        "instrument", "conducted_by", "follow_up"
    )


def survey_get_for_user(user: User, pk: int | str) -> Survey:
    try:
        survey = surveys_visible_to(user).get(pk=pk)
    except (Survey.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(
        actor=user,
        action=Action.VIEW,
        obj=survey.household,
        details={"reintegration_survey": survey.pk},
    )
    return survey


def surveys_of(user: User, household: Household) -> QuerySet[Survey]:
    """The household's surveys, newest first; 404 for a user without VIEW_REINTEGRATION
    or of another organisation."""
    if _organisation(user) is None or household.organisation_id != user.organisation_id:
        raise Http404
    return surveys_visible_to(user).filter(household=household)


@dataclass(frozen=True)
class OutcomePoint:
    survey: Survey
    months: int | None
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None


def household_outcome(user: User, household: Household) -> list[OutcomePoint]:
    """The household's scores over time, oldest first."""
    return [
        OutcomePoint(
            survey=s,
            months=s.follow_up.months if s.follow_up else None,
            economic=s.economic,
            social=s.social,
            psychosocial=s.psychosocial,
            composite=s.composite,
        )
        for s in surveys_of(user, household).order_by("conducted_on", "id")
    ]


# -- instruments ---------------------------------------------------------------------------


def instruments_in_use() -> list[SurveyInstrument]:
    """The newest active version of each instrument code: the programme's own first,
    then the shipped default."""
    newest: dict[str, SurveyInstrument] = {}
    for instrument in SurveyInstrument.objects.filter(is_active=True).order_by("code", "-version"):
        newest.setdefault(instrument.code, instrument)
    return sorted(newest.values(), key=lambda i: (i.is_default, i.code))


def instrument_in_use(code: str) -> SurveyInstrument | None:
    return SurveyInstrument.objects.filter(code=code, is_active=True).order_by("-version").first()


def parsed(instrument: SurveyInstrument) -> instruments.Instrument:
    return instruments.parse(instrument.definition)


# -- outcomes per place ----------------------------------------------------------------------


@dataclass
class PlaceOutcome:
    """Households home in a place (None: not recorded, or not that precise), their
    follow-up coverage and the means of their latest scores."""

    place: Place | None
    households: int = 0
    follow_ups_due: int = 0
    follow_ups_done: int = 0
    surveyed: int = 0
    scores: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in SCORES})

    @property
    def coverage(self) -> float | None:
        return self.follow_ups_done / self.follow_ups_due if self.follow_ups_due else None

    @property
    def coverage_percent(self) -> int | None:
        coverage = self.coverage
        return None if coverage is None else round(coverage * 100)

    def mean(self, score: str) -> float | None:
        values = self.scores[score]
        return round(fmean(values), 4) if values else None

    @property
    def composite(self) -> float | None:
        return self.mean("composite")

    @property
    def economic(self) -> float | None:
        return self.mean("economic")

    @property
    def social(self) -> float | None:
        return self.mean("social")

    @property
    def psychosocial(self) -> float | None:
        return self.mean("psychosocial")


@dataclass(frozen=True)
class PlaceOutcomes:
    governorates: list[PlaceOutcome]
    subdistricts: list[PlaceOutcome]
    total: PlaceOutcome


def _subdistrict(place: Place | None) -> Place | None:
    if place is None or place.level < 3:
        return None
    if place.level == 3:
        return place
    parent = place.parent
    return parent if parent is not None and parent.level == 3 else None


def _rows(groups: dict[int | None, PlaceOutcome]) -> list[PlaceOutcome]:
    known = [g for k, g in groups.items() if k is not None]
    known.sort(key=lambda g: g.place.pcode if g.place else "")
    return known + ([groups[None]] if None in groups else [])


def place_outcomes(user: User, today: datetime.date | None = None) -> PlaceOutcomes:
    """For the user's organisation, by governorate and by sub-district of the place each
    household arrived home to: households home; follow-ups due so far (due date passed,
    or done early; cancelled ones left out) and done; and the means of each household's
    latest scores. Three queries whatever the number of households.

    The scores are encrypted (see Survey), so the database cannot average them: the third
    query picks each household's latest survey by its clear columns (date, then id) and
    returns only those rows, whose scores are decrypted and averaged here."""
    today = today or timezone.localdate()
    organisation = _organisation(user)
    empty = PlaceOutcomes([], [], PlaceOutcome(None))
    if organisation is None:
        return empty
    homes = list(
        Homecoming.objects.filter(household__organisation_id=organisation).select_related(
            "place", "place__parent", "place__governorate"
        )
    )
    counts: dict[int, dict[str, int]] = {
        row["household_id"]: {"due": row["due"], "done": row["done"]}
        for row in FollowUp.objects.filter(household__organisation_id=organisation)
        .exclude(status=FollowUp.Status.CANCELLED)
        .values("household_id")
        .annotate(
            due=Count("id", filter=Q(due_on__lte=today) | Q(status=FollowUp.Status.DONE)),
            done=Count("id", filter=Q(status=FollowUp.Status.DONE)),
        )
    }
    newest = (
        Survey.objects.filter(household_id=OuterRef("household_id"))
        .order_by("-conducted_on", "-id")
        .values("pk")[:1]
    )
    latest: dict[int, dict[str, float | None]] = {
        row["household_id"]: row
        for row in Survey.objects.filter(
            household__organisation_id=organisation, pk=Subquery(newest)
        ).values("household_id", *SCORES)
    }
    governorates: dict[int | None, PlaceOutcome] = {}
    subdistricts: dict[int | None, PlaceOutcome] = {}
    total = PlaceOutcome(None)
    for home in homes:
        governorate = home.place.governorate if home.place else None
        subdistrict = _subdistrict(home.place)
        groups = [
            governorates.setdefault(
                governorate.pk if governorate else None, PlaceOutcome(governorate)
            ),
            subdistricts.setdefault(
                subdistrict.pk if subdistrict else None, PlaceOutcome(subdistrict)
            ),
            total,
        ]
        count = counts.get(home.household_id, {})
        scores = latest.get(home.household_id)
        for group in groups:
            group.households += 1
            group.follow_ups_due += count.get("due", 0)
            group.follow_ups_done += count.get("done", 0)
            if scores is not None:
                group.surveyed += 1
                for key in SCORES:
                    value = scores[key]
                    if value is not None:
                        group.scores[key].append(value)
    return PlaceOutcomes(_rows(governorates), _rows(subdistricts), total)
