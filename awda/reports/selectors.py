"""Aggregates: counts only, with small cells suppressed, safe for donor viewers.

Every figure here is programme-wide (all organisations), as coordination bodies and
donors need them, and counts households, never names them. Counts from 1 to 4 are
shown as "<5", and a count that would let a reader work one of them out from a total is
hidden too (awda/reports/suppression.py). One exception: a member of staff looking at
their own organisation's figures sees exact counts, which say nothing they could not
count in the registry. Reintegration scores are averages only, shown only where at
least five households answered, for everyone.

The dashboard runs a fixed number of GROUP BY queries, whatever the number of
households; Python then adds up rows that are already aggregated."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from awda.accounts.models import Organisation, User
from awda.cases.models import Case
from awda.community.models import AcceptanceActivity, Sponsorship
from awda.mhpss.models import Screening, Session
from awda.places.models import Place
from awda.registry.models import Household, Person
from awda.reintegration.models import Dimension, FollowUp, Survey
from awda.reports import geo
from awda.reports.suppression import SMALL_CELL, Group, group, is_small, suppressed
from awda.returns.models import (
    ChecklistTick,
    Clearance,
    Homecoming,
    Intention,
    Movement,
    Passenger,
    ReadinessOverride,
)
from awda.tracing.models import TracingRequest

# The longest period the dashboard shows at once, in months.
LONGEST_PERIOD = 36


@dataclass(frozen=True)
class Cell:
    """A published count. `hidden` says whether it is suppressed; left unset, a count
    from 1 to 4 is."""

    count: int
    hidden: bool | None = None

    @property
    def suppressed(self) -> bool:
        return is_small(self.count) if self.hidden is None else self.hidden

    @property
    def value(self) -> int | None:
        """For charts: None (a gap) when suppressed, never the real small value."""
        return None if self.suppressed else self.count

    def __str__(self) -> str:
        if not self.suppressed:
            return str(self.count)
        # Hidden only to protect a small count elsewhere: it is at least 5.
        return f"<{SMALL_CELL}" if is_small(self.count) else f"≥{SMALL_CELL}"


@dataclass(frozen=True)
class Row:
    label: str
    households: Cell
    people: Cell


class Published:
    """The counts of one page, with the groups (a total and its parts) that tie them
    together; `seal` decides what is hidden."""

    def __init__(self) -> None:
        self.values: dict[Hashable, int] = defaultdict(int)
        self.groups: list[Group] = []
        self.hidden: set[Hashable] = set()

    def add(self, key: Hashable, count: int) -> None:
        self.values[key] += count

    def tie(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        self.groups.append(group(total, parts))

    def seal(self, *, exact: bool = False) -> None:
        self.hidden = set() if exact else suppressed(self.values, self.groups)

    def cell(self, key: Hashable) -> Cell:
        return Cell(self.values.get(key, 0), hidden=key in self.hidden)


# --- What is counted ------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    label: Promise
    help: Promise


MEASURES: tuple[Measure, ...] = (
    Measure(
        "registered",
        gettext_lazy("Registered"),
        gettext_lazy("Households registered, by their registration date."),
    ),
    Measure(
        "eligible",
        gettext_lazy("Ready to return"),
        gettext_lazy(
            "Households that became ready to return, by the date of the last readiness step "
            "recorded (intention, checklist, clearance, sponsor or a supervisor's decision)."
        ),
    ),
    Measure(
        "scheduled",
        gettext_lazy("Scheduled"),
        gettext_lazy("Households booked on a movement, by its planned departure date."),
    ),
    Measure(
        "departed",
        gettext_lazy("Departed"),
        gettext_lazy("Households that left on a movement, by its departure date."),
    ),
    Measure(
        "arrived",
        gettext_lazy("Arrived home"),
        gettext_lazy("Households home, by the date they arrived."),
    ),
    Measure(
        "followed_up",
        gettext_lazy("Followed up"),
        gettext_lazy("Households visited for a reintegration follow-up, by the visit's date."),
    ),
)
MEASURE_KEYS = tuple(m.key for m in MEASURES)
# The stages at which a household has been ready to return (closing is a decision that
# says nothing of readiness).
REACHED_ELIGIBLE = (
    Household.Status.ELIGIBLE,
    Household.Status.SCHEDULED,
    Household.Status.DEPARTED,
    Household.Status.IN_CENTRE,
    Household.Status.ARRIVED,
    Household.Status.FOLLOWED_UP,
)
LEFT = (
    Passenger.Status.DEPARTED,
    Passenger.Status.ARRIVED,
    Passenger.Status.SEPARATED,
    Passenger.Status.DECEASED,
)


@dataclass(frozen=True)
class Activity:
    key: str
    label: Promise
    unit: Promise
    # A 4W activity counted as one of the measures: (measure, where it happens).
    measure: str = ""
    where: str = "camp"  # "camp" or "governorate"


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        "registration",
        gettext_lazy("Registration"),
        gettext_lazy("households registered"),
        "registered",
    ),
    Activity("case_management", gettext_lazy("Case management"), gettext_lazy("cases opened")),
    Activity("mhpss", gettext_lazy("MHPSS"), gettext_lazy("screenings and sessions")),
    Activity(
        "return_movements",
        gettext_lazy("Return movements"),
        gettext_lazy("households departed"),
        "departed",
    ),
    Activity(
        "follow_ups",
        gettext_lazy("Reintegration follow-ups"),
        gettext_lazy("households followed up"),
        "followed_up",
        "governorate",
    ),
    Activity("tracing", gettext_lazy("Family tracing"), gettext_lazy("tracing requests opened")),
    Activity(
        "community_acceptance",
        gettext_lazy("Community acceptance"),
        gettext_lazy("activities held"),
        where="governorate",
    ),
)

MAP_MEASURES: dict[str, Promise] = {
    "origin": gettext_lazy("Registered, by governorate of origin"),
    "destination": gettext_lazy("Registered, by governorate of intended destination"),
    "arrived": gettext_lazy("Arrived home, by governorate"),
}
SCORES = ("economic", "social", "psychosocial", "composite")


# --- Filters ---------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    return add_months(day, 1) - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: a period of whole months, and optionally one
    organisation's and one camp's households."""

    start: datetime.date  # the first day of the first month
    end: datetime.date  # the last day of the last month
    organisation: Organisation | None = None
    camp: Place | None = None
    map: str = "origin"

    @classmethod
    def default(cls, today: datetime.date | None = None) -> Filters:
        """The last twelve months, this one included."""
        today = today or timezone.localdate()
        return cls(start=add_months(month_start(today), -11), end=month_end(today))

    @property
    def months(self) -> list[datetime.date]:
        months, current = [], month_start(self.start)
        while current <= self.end:
            months.append(current)
            current = add_months(current, 1)
        return months

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        return (self.start, self.end)

    def households(self, prefix: str = "") -> Q:
        """The filter on households, through `prefix` (e.g. "household__")."""
        q = Q()
        if self.organisation is not None:
            q &= Q(**{f"{prefix}organisation": self.organisation})
        if self.camp is not None:
            q &= Q(**{f"{prefix}camp": self.camp})
        return q


@dataclass(frozen=True)
class Choices:
    organisations: list[Organisation]
    camps: list[Place]


def filter_choices() -> Choices:
    return Choices(
        organisations=list(Organisation.objects.order_by("slug")),
        camps=list(Place.objects.filter(kind=Place.Kind.CAMP).order_by("pcode")),
    )


def sees_exact_counts(user: User, filters: Filters) -> bool:
    """Staff looking at their own organisation's households only: the counts say nothing
    they could not count in the registry, so they are not suppressed."""
    return (
        user.sees_personal_data
        and filters.organisation is not None
        and filters.organisation.pk == user.organisation_id
    )


# --- The programme now (the existing tables) ------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, list[Row]]
    totals: Row
    people: list[Row]


def _age_groups(today: datetime.date) -> dict[str, tuple[Q, str]]:
    cutoff = datetime.date(today.year - 18, today.month, min(today.day, 28))
    return {
        "child": (Q(date_of_birth__gt=cutoff), _("children")),
        "adult": (Q(date_of_birth__lte=cutoff), _("adults")),
        "unknown": (Q(date_of_birth__isnull=True), _("age unknown")),
    }


def snapshot(
    filters: Filters | None = None,
    *,
    exact: bool = False,
    today: datetime.date | None = None,
    places: dict[int, Place] | None = None,
) -> Snapshot:
    """Households and people now, by stage, camp and governorate of origin, and people by
    sex and age group: three queries."""
    today = today or timezone.localdate()
    if places is None:
        places = {
            p.pk: p
            for p in Place.objects.filter(kind__in=[Place.Kind.CAMP, Place.Kind.GOVERNORATE])
        }
    q = filters.households() if filters else Q()
    qp = filters.households("household__") if filters else Q()
    dims = ("status", "camp", "governorate")
    households = (
        Household.objects.filter(q)
        .values_list("status", "camp", "origin__governorate")
        .annotate(n=Count("id"))
        .order_by()
    )
    people = (
        Person.objects.filter(qp, household__isnull=False)
        .values_list("household__status", "household__camp", "household__origin__governorate")
        .annotate(n=Count("id"))
        .order_by()
    )
    groups = _age_groups(today)
    by_sex: dict[str, dict[str, Any]] = {
        row["sex"]: dict(row)
        for row in Person.objects.filter(qp, household__isnull=False)
        .values("sex")
        .annotate(**{key: Count("id", filter=condition) for key, (condition, _l) in groups.items()})
        .order_by()
    }
    published = Published()
    keys: dict[str, dict[str, set[Any]]] = {unit: {d: set() for d in dims} for unit in "hp"}
    for unit, rows in (("h", households), ("p", people)):
        for *where, n in rows:
            published.add((unit, "total"), n)
            for dim, value in zip(dims, where, strict=True):
                keys[unit][dim].add(value)
                published.add((unit, dim, value), n)
    sex_age = []
    for sex, _label in Person.Sex.choices:
        for key in groups:
            count = int(by_sex[sex][key]) if sex in by_sex else 0
            published.add(("p", "sex_age", sex, key), count)
            sex_age.append(("p", "sex_age", sex, key))
    for unit in ("h", "p"):
        for dim in dims:
            both = keys["h"][dim] | keys["p"][dim]
            published.tie((unit, "total"), [(unit, dim, value) for value in both])
    published.tie(("p", "total"), sex_age)
    published.seal(exact=exact)

    statuses = {str(k): str(v) for k, v in Household.Status.choices}
    unknown = _("not recorded")

    def label(dim: str, value: Any) -> str:
        if value is None:
            return unknown
        if dim == "status":
            return statuses.get(value, str(value))
        place = places.get(value)
        return place.name if place else str(value)

    tables: dict[str, list[Row]] = {}
    for dim in dims:
        values = keys["h"][dim] | keys["p"][dim]
        ordered = sorted(
            values, key=lambda v: (-published.values.get(("h", dim, v), 0), label(dim, v))
        )
        tables[dim] = [
            Row(label(dim, v), published.cell(("h", dim, v)), published.cell(("p", dim, v)))
            for v in ordered
        ]
    people_rows = []
    for sex, sex_label in Person.Sex.choices:
        for key, (_condition, group_label) in groups.items():
            people_rows.append(
                Row(
                    f"{sex_label} · {group_label}",
                    Cell(0),
                    published.cell(("p", "sex_age", sex, key)),
                )
            )
    totals = Row(_("Total"), published.cell(("h", "total")), published.cell(("p", "total")))
    return Snapshot(tables=tables, totals=totals, people=people_rows)


def programme_totals() -> dict[str, list[Row]]:
    """Households and people now, programme-wide, by stage, camp and governorate of
    origin (suppressed)."""
    return snapshot().tables


def people_by_sex_and_age(today: datetime.date | None = None) -> list[Row]:
    """People in households by sex and age group (children under 18, adults, age unknown)."""
    return snapshot(today=today).people


# --- The dashboard ---------------------------------------------------------------------------

# A row of a measure's cube: month, organisation, camp, governorate of origin, governorate
# of destination, and the count.
CubeRow = tuple[datetime.date, int, int | None, int | None, int | None, int]


def _month(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date().replace(day=1)
    return value.replace(day=1)


def _cube(rows: Iterable[tuple[Any, ...]]) -> list[CubeRow]:
    return [
        (_month(month), org, camp, origin, destination, n)
        for month, org, camp, origin, destination, n in rows
        if month is not None
    ]


def _grouped(qs: QuerySet[Any], prefix: str, count: Any, **dims: Any) -> list[CubeRow]:
    """The queryset's rows counted by month, organisation, camp and governorates of origin
    and destination of their household (through `prefix`); `dims` gives the month and may
    override the destination (a tuple: the first of these that is set)."""
    fields: dict[str, Any] = {
        "org": f"{prefix}organisation",
        "camp": f"{prefix}camp",
        "origin": f"{prefix}origin__governorate",
        "destination": f"{prefix}destination__governorate",
    }
    fields.update(dims)
    expressions = {
        f"g_{name}": (
            F(value)
            if isinstance(value, str)
            else Coalesce(*value)
            if isinstance(value, tuple)
            else value
        )
        for name, value in fields.items()
    }
    names = [f"g_{name}" for name in ("month", "org", "camp", "origin", "destination")]
    rows = (
        qs.annotate(**expressions)
        .values(*names)
        .annotate(n=count)
        .values_list(*names, "n")
        .order_by()
    )
    return _cube(rows)


def _registered(filters: Filters) -> list[CubeRow]:
    return _grouped(
        Household.objects.filter(filters.households(), registered_on__range=filters.period),
        "",
        Count("id"),
        month=TruncMonth("registered_on"),
    )


def _latest(model: Any, date_field: str, **where: Any) -> Subquery:
    return Subquery(
        model.objects.filter(household=OuterRef("pk"), **where)
        .order_by()
        .values("household")
        .annotate(latest=Max(date_field))
        .values("latest")[:1]
    )


def _eligible(filters: Filters) -> list[CubeRow]:
    """Nothing stores the day a household became ready to return: it is taken as the
    latest of the records that made it so (its intention, checklist ticks, a clearance,
    an agreed sponsor, a supervisor's decision), or its registration date when none is
    recorded. Households that ever reached the stage, one row each (at most the
    households past that stage), counted here."""
    rows = (
        Household.objects.filter(filters.households())
        .filter(
            # A closed file was ready once if the household was ever put on a movement.
            Q(status__in=REACHED_ELIGIBLE)
            | Q(
                status=Household.Status.CLOSED,
                pk__in=Passenger.objects.exclude(status=Passenger.Status.REMOVED)
                .exclude(movement__status=Movement.Status.CANCELLED)
                .values("household"),
            )
        )
        .annotate(
            intention=_latest(Intention, "stated_on"),
            tick=_latest(ChecklistTick, "on", done=True),
            clearance=_latest(Clearance, "decided_on", decision=Clearance.Decision.CLEARED),
            sponsor=_latest(
                Sponsorship,
                "agreed_on",
                status__in=[Sponsorship.Status.AGREED, Sponsorship.Status.FULFILLED],
            ),
            override=_latest(ReadinessOverride, "granted_at", revoked_at__isnull=True),
        )
        .values_list(
            "organisation",
            "camp",
            "origin__governorate",
            "destination__governorate",
            "registered_on",
            "intention",
            "tick",
            "clearance",
            "sponsor",
            "override",
        )
        .order_by()
    )
    counts: dict[tuple[datetime.date, int, int | None, int | None, int | None], int] = defaultdict(
        int
    )
    for org, camp, origin, destination, registered_on, *dates in rows:
        days = [
            (timezone.localtime(d).date() if timezone.is_aware(d) else d.date())
            if isinstance(d, datetime.datetime)
            else d
            for d in dates
            if d is not None
        ]
        day = max(days) if days else registered_on
        if filters.start <= day <= filters.end:
            counts[(month_start(day), org, camp, origin, destination)] += 1
    return [(*key, n) for key, n in counts.items()]


def _scheduled(filters: Filters) -> list[CubeRow]:
    return _grouped(
        Passenger.objects.filter(
            filters.households("household__"), movement__departs_on__range=filters.period
        )
        .exclude(status=Passenger.Status.REMOVED)
        .exclude(movement__status=Movement.Status.CANCELLED),
        "household__",
        Count("household", distinct=True),
        month=TruncMonth("movement__departs_on"),
    )


def _departed(filters: Filters) -> list[CubeRow]:
    return _grouped(
        Passenger.objects.filter(filters.households("household__"), status__in=LEFT)
        .annotate(left_on=Coalesce("movement__departed_on", "movement__departs_on"))
        .filter(left_on__range=filters.period),
        "household__",
        Count("household", distinct=True),
        month=TruncMonth("left_on", output_field=DateField()),
    )


def _arrived(filters: Filters) -> list[CubeRow]:
    return _grouped(
        Homecoming.objects.filter(
            filters.households("household__"), arrived_on__range=filters.period
        ),
        "household__",
        Count("id"),
        month=TruncMonth("arrived_on"),
        destination=("place__governorate", "household__destination__governorate"),
    )


def _followed_up(filters: Filters) -> list[CubeRow]:
    return _grouped(
        Survey.objects.filter(
            filters.households("household__"), conducted_on__range=filters.period
        ),
        "household__",
        Count("household", distinct=True),
        month=TruncMonth("conducted_on"),
        destination=(
            "household__homecoming__place__governorate",
            "household__destination__governorate",
        ),
    )


# An activity's rows: month, organisation, where (a camp or a governorate), count.
ActivityRow = tuple[datetime.date, int, int | None, int]


def _activity_rows(qs: QuerySet[Any], month: Any, org: str, where: str) -> list[ActivityRow]:
    rows = (
        qs.annotate(a_month=month)
        .values("a_month", org, where)
        .annotate(n=Count("id"))
        .values_list("a_month", org, where, "n")
        .order_by()
    )
    return [(_month(m), o, w, n) for m, o, w, n in rows if m is not None]


def _by_organisation(filters: Filters, field: str = "organisation") -> Q:
    return Q(**{field: filters.organisation}) if filters.organisation is not None else Q()


def _by_camp(filters: Filters, field: str) -> Q:
    return Q(**{field: filters.camp}) if filters.camp is not None else Q()


def _other_activities(filters: Filters) -> dict[str, list[ActivityRow]]:
    """The 4W activities that are not one of the measures: five queries (none for the
    community's activities when a camp is chosen: they happen in the places of return)."""
    start, end = filters.period
    rows: dict[str, list[ActivityRow]] = {}
    rows["case_management"] = _activity_rows(
        Case.objects.filter(
            _by_organisation(filters),
            _by_camp(filters, "household__camp"),
            opened_on__range=(start, end),
        ),
        TruncMonth("opened_on"),
        "organisation",
        "household__camp",
    )
    rows["mhpss"] = [
        *_activity_rows(
            Screening.objects.filter(
                _by_organisation(filters),
                _by_camp(filters, "person__household__camp"),
                administered_on__range=(start, end),
            ),
            TruncMonth("administered_on"),
            "organisation",
            "person__household__camp",
        ),
        *_activity_rows(
            Session.objects.filter(
                _by_organisation(filters),
                _by_camp(filters, "person__household__camp"),
                held_on__range=(start, end),
            ),
            TruncMonth("held_on"),
            "organisation",
            "person__household__camp",
        ),
    ]
    rows["tracing"] = _activity_rows(
        TracingRequest.objects.filter(
            _by_organisation(filters),
            _by_camp(filters, "requester__household__camp"),
            created_at__date__range=(start, end),
        ),
        TruncMonth("created_at"),
        "organisation",
        "requester__household__camp",
    )
    rows["community_acceptance"] = (
        []
        if filters.camp is not None
        else _activity_rows(
            AcceptanceActivity.objects.filter(
                _by_organisation(filters), held_on__range=(start, end)
            ),
            TruncMonth("held_on"),
            "organisation",
            "place__governorate",
        )
    )
    return rows


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[Cell]
    key: Any = None


@dataclass(frozen=True)
class Table:
    rows: list[TableRow]
    total: list[Cell]


@dataclass(frozen=True)
class FourWRow:
    organisation: str
    activity: str
    unit: str
    where: str
    months: list[Cell]
    total: Cell


@dataclass(frozen=True)
class CoverageRow:
    label: str
    due: Cell
    done: Cell

    @property
    def percent(self) -> int | None:
        """Shown only when both counts are."""
        if self.due.suppressed or self.done.suppressed or not self.due.count:
            return None
        return round(100 * self.done.count / self.due.count)


@dataclass(frozen=True)
class ScoreRow:
    label: str
    households: Cell
    means: dict[str, float | None]

    @property
    def economic(self) -> float | None:
        return self.means["economic"]

    @property
    def social(self) -> float | None:
        return self.means["social"]

    @property
    def psychosocial(self) -> float | None:
        return self.means["psychosocial"]

    @property
    def composite(self) -> float | None:
        return self.means["composite"]


@dataclass(frozen=True)
class Map:
    frame: geo.Frame
    measure: str
    title: str
    markers: list[geo.Marker]


@dataclass
class Dashboard:
    filters: Filters
    exact: bool
    measures: tuple[Measure, ...]
    months: list[datetime.date]
    month_labels: list[str]
    totals: list[Cell]
    by_month: Table
    by_camp: Table
    by_origin: Table
    by_destination: Table
    coverage: list[CoverageRow]
    scores: list[ScoreRow]
    four_w: list[FourWRow]
    map: Map
    snapshot: Snapshot
    chart: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> list[tuple[Measure, Cell]]:
        return list(zip(self.measures, self.totals, strict=True))

    @property
    def camp_activities(self) -> bool:
        """Whether the 4W leaves out the activities that belong to no camp."""
        return self.filters.camp is not None


def _coverage(filters: Filters, today: datetime.date) -> list[tuple[int, int, int]]:
    """Follow-ups due in the period so far (due date passed, or done early; cancelled ones
    left out) and those done, by months after arrival: one query."""
    upto = min(filters.end, today)
    done = Q(status=FollowUp.Status.DONE)
    rows = (
        FollowUp.objects.filter(filters.households("household__"))
        .exclude(status=FollowUp.Status.CANCELLED)
        .filter(Q(due_on__range=(filters.start, upto)) | (done & Q(due_on__range=filters.period)))
        .values("months")
        .annotate(due=Count("id"), done=Count("id", filter=done))
        .values_list("months", "due", "done")
        .order_by()
    )
    return list(rows)


def _latest_scores(filters: Filters) -> list[tuple[Any, ...]]:
    """Each household's latest survey in the period, with the governorate it came home
    to: one query. The scores are encrypted (see Survey): they are decrypted and averaged
    here, never summed by the database."""
    newest = (
        Survey.objects.filter(
            household_id=OuterRef("household_id"), conducted_on__range=filters.period
        )
        .order_by("-conducted_on", "-id")
        .values("pk")[:1]
    )
    return list(
        Survey.objects.filter(
            filters.households("household__"),
            conducted_on__range=filters.period,
            pk=Subquery(newest),
        )
        .annotate(
            governorate=Coalesce(
                "household__homecoming__place__governorate",
                "household__destination__governorate",
            )
        )
        .values_list("governorate", *SCORES)
        .order_by()
    )


def _place_label(places: dict[int, Place], key: int | None, unknown: str) -> str:
    if key is None:
        return unknown
    place = places.get(key)
    return place.name if place else str(key)


def _sorted_keys(keys: Iterable[int | None], places: dict[int, Place]) -> list[int | None]:
    known = sorted(
        (k for k in set(keys) if k is not None),
        key=lambda k: places[k].pcode if k in places else str(k),
    )
    return known + ([None] if None in set(keys) else [])


def dashboard(
    user: User,
    filters: Filters,
    choices: Choices,
    today: datetime.date | None = None,
) -> Dashboard:
    """Everything the dashboard page shows, for `user` (who sees exact counts only for
    their own organisation), in a bounded number of queries."""
    today = today or timezone.localdate()
    exact = sees_exact_counts(user, filters)
    places: dict[int, Place] = {p.pk: p for p in choices.camps}
    governorates = {
        p.pk: p for p in Place.objects.filter(kind=Place.Kind.GOVERNORATE).order_by("pcode")
    }
    places.update(governorates)
    organisations = {o.pk: o for o in choices.organisations}
    months = filters.months
    unknown = _("not recorded")

    cubes: dict[str, list[CubeRow]] = {
        "registered": _registered(filters),
        "eligible": _eligible(filters),
        "scheduled": _scheduled(filters),
        "departed": _departed(filters),
        "arrived": _arrived(filters),
        "followed_up": _followed_up(filters),
    }
    other = _other_activities(filters)

    published = Published()
    dims = ("month", "camp", "origin", "destination")
    seen: dict[str, set[Any]] = {d: set() for d in dims}
    seen["month"] = set(months)
    for measure, rows in cubes.items():
        for month, _org, camp, origin, destination, n in rows:
            published.add(("f", measure, "total"), n)
            for dim, value in zip(dims, (month, camp, origin, destination), strict=True):
                published.add(("f", measure, dim, value), n)
                seen[dim].add(value)
    for measure in MEASURE_KEYS:
        for dim in dims:
            published.tie(("f", measure, "total"), [("f", measure, dim, v) for v in seen[dim]])

    # The 4W: who (organisation), what (activity), where (camp or governorate), when.
    w_rows: dict[tuple[str, int, int | None], dict[datetime.date, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for activity in ACTIVITIES:
        if activity.measure:
            for month, org, camp, _origin, destination, n in cubes[activity.measure]:
                where = camp if activity.where == "camp" else destination
                w_rows[(activity.key, org, where)][month] += n
        else:
            for month, org, where, n in other[activity.key]:
                w_rows[(activity.key, org, where)][month] += n
    for (act, org, where), per_month in w_rows.items():
        for month, n in per_month.items():
            published.add(("w", act, org, where, month), n)
            published.add(("wt", act, org, where), n)
        published.tie(("wt", act, org, where), [("w", act, org, where, m) for m in per_month])
    for activity in ACTIVITIES:
        if not activity.measure:
            continue
        mine = [key for key in w_rows if key[0] == activity.key]
        dim = "camp" if activity.where == "camp" else "destination"
        by_where: dict[int | None, list[tuple[str, int, int | None]]] = defaultdict(list)
        for row_key in mine:
            by_where[row_key[2]].append(row_key)
        for where, row_keys in by_where.items():
            published.tie(("f", activity.measure, dim, where), [("wt", *k) for k in row_keys])
            published.tie(
                ("f", activity.measure, dim, where),
                [("w", *k, m) for k in row_keys for m in w_rows[k]],
            )
        for month in months:
            published.tie(
                ("f", activity.measure, "month", month),
                [("w", *k, month) for k in mine if month in w_rows[k]],
            )
        published.tie(("f", activity.measure, "total"), [("wt", *k) for k in mine])

    # Follow-up coverage.
    coverage_rows = _coverage(filters, today)
    for months_after, due, done in coverage_rows:
        published.add(("cov", "due", months_after), due)
        published.add(("cov", "done", months_after), done)
        published.add(("cov", "due", "total"), due)
        published.add(("cov", "done", "total"), done)
    schedule = sorted(set(FollowUp.MONTHS) | {row[0] for row in coverage_rows})
    for kind in ("due", "done"):
        published.tie(("cov", kind, "total"), [("cov", kind, m) for m in schedule])
    published.seal(exact=exact)

    def table(dim: str, keys: Sequence[Any], labels: Sequence[str]) -> Table:
        rows = [
            TableRow(label, [published.cell(("f", m, dim, key)) for m in MEASURE_KEYS], key)
            for key, label in zip(keys, labels, strict=True)
        ]
        total = [published.cell(("f", m, "total")) for m in MEASURE_KEYS]
        return Table(rows, total)

    month_labels = [formats.date_format(m, "YEAR_MONTH_FORMAT") for m in months]
    by_month = table("month", months, month_labels)
    place_tables = {}
    for dim in ("camp", "origin", "destination"):
        ordered = _sorted_keys(seen[dim], places)
        place_tables[dim] = table(dim, ordered, [_place_label(places, k, unknown) for k in ordered])

    coverage = [
        CoverageRow(
            ngettext("%(n)s month", "%(n)s months", m) % {"n": m},
            published.cell(("cov", "due", m)),
            published.cell(("cov", "done", m)),
        )
        for m in schedule
    ]
    coverage.append(
        CoverageRow(
            _("Total"),
            published.cell(("cov", "due", "total")),
            published.cell(("cov", "done", "total")),
        )
    )

    # 4W rows, in the order of the activities, then organisation and place.
    activity_order = {a.key: i for i, a in enumerate(ACTIVITIES)}
    activities = {a.key: a for a in ACTIVITIES}

    def org_name(pk: int) -> str:
        return organisations[pk].name if pk in organisations else str(pk)

    four_w = [
        FourWRow(
            organisation=org_name(org),
            activity=str(activities[act].label),
            unit=str(activities[act].unit),
            where=_place_label(places, where, unknown),
            months=[published.cell(("w", act, org, where, m)) for m in months],
            total=published.cell(("wt", act, org, where)),
        )
        for act, org, where in sorted(
            w_rows,
            key=lambda k: (
                activity_order[k[0]],
                org_name(k[1]),
                k[2] is None,
                places[k[2]].pcode if k[2] in places else "",
            ),
        )
    ]

    scores = _scores(filters, places, unknown)
    the_map = _map(filters, published, seen, governorates)
    the_snapshot = snapshot(filters, exact=exact, today=today, places=places)
    result = Dashboard(
        filters=filters,
        exact=exact,
        measures=MEASURES,
        months=months,
        month_labels=month_labels,
        totals=[published.cell(("f", m, "total")) for m in MEASURE_KEYS],
        by_month=by_month,
        by_camp=place_tables["camp"],
        by_origin=place_tables["origin"],
        by_destination=place_tables["destination"],
        coverage=coverage,
        scores=scores,
        four_w=four_w,
        map=the_map,
        snapshot=the_snapshot,
    )
    result.chart = _chart(result)
    return result


def _scores(filters: Filters, places: dict[int, Place], unknown: str) -> list[ScoreRow]:
    """Mean scores by governorate of arrival: a mean is shown only where at least five
    households answered (for that dimension), for everyone; a place's small count that
    the total would give away is hidden too."""
    values: dict[int | None, dict[str, list[float]]] = defaultdict(lambda: {k: [] for k in SCORES})
    households: dict[int | None, int] = defaultdict(int)
    for governorate, *scores in _latest_scores(filters):
        households[governorate] += 1
        for score, value in zip(SCORES, scores, strict=True):
            if value is not None:
                values[governorate][score].append(float(value))
    published = Published()
    keys = _sorted_keys(households, places)
    for key in keys:
        published.add(("n", key), households[key])
        published.add(("n", "total"), households[key])
        for score in SCORES:
            n = len(values[key][score])
            published.add((score, key), n)
            published.add((score, "total"), n)
    published.tie(("n", "total"), [("n", k) for k in keys])
    for score in SCORES:
        published.tie((score, "total"), [(score, k) for k in keys])
    published.seal()  # never exact: a mean of a few households is theirs

    def means(key: Any, pool: dict[str, list[float]]) -> dict[str, float | None]:
        shown: dict[str, float | None] = {}
        for score in SCORES:
            cell = published.cell((score, key))
            shown[score] = (
                round(fmean(pool[score]), 2)
                if cell.count >= SMALL_CELL and not cell.suppressed
                else None
            )
        return shown

    rows = [
        ScoreRow(
            _place_label(places, key, unknown), published.cell(("n", key)), means(key, values[key])
        )
        for key in keys
    ]
    if keys:
        everything = {s: [v for k in keys for v in values[k][s]] for s in SCORES}
        rows.append(
            ScoreRow(_("All places"), published.cell(("n", "total")), means("total", everything))
        )
    return rows


def _map(
    filters: Filters,
    published: Published,
    seen: dict[str, set[Any]],
    governorates: dict[int, Place],
) -> Map:
    measure, dim = {
        "origin": ("registered", "origin"),
        "destination": ("registered", "destination"),
        "arrived": ("arrived", "destination"),
    }[filters.map]
    frame = geo.frame()
    cells = {
        key: published.cell(("f", measure, dim, key))
        for key in seen[dim]
        if key is not None and key in governorates
    }
    cells = {k: c for k, c in cells.items() if c.count > 0}
    largest = max((c.count for c in cells.values() if not c.suppressed), default=0)
    markers = []
    for key, cell in sorted(cells.items(), key=lambda kc: -kc[1].count):
        place = governorates[key]
        if place.lat is None or place.lon is None:
            continue
        x, y = frame.project(float(place.lat), float(place.lon))
        markers.append(
            geo.Marker(
                x=x,
                y=y,
                r=geo.HIDDEN if cell.suppressed else geo.radius(cell.count, largest),
                label=place.name,
                text=str(cell),
                suppressed=cell.suppressed,
            )
        )
    # Drawn largest first, so that small circles stay on top; the order must not follow
    # the hidden counts, so suppressed markers go last in a fixed order (by P-code).
    shown = [m for m in markers if not m.suppressed]
    hidden = sorted((m for m in markers if m.suppressed), key=lambda m: (m.x, m.y))
    return Map(frame, filters.map, str(MAP_MEASURES[filters.map]), shown + hidden)


def _chart(board: Dashboard) -> dict[str, Any]:
    """The charts' data, for the json_script block: suppressed counts are null (a gap),
    never their value."""
    measures = [{"key": m.key, "label": str(m.label)} for m in board.measures]

    def series(table: Table) -> dict[str, list[int | None]]:
        return {
            m.key: [row.cells[i].value for row in table.rows] for i, m in enumerate(board.measures)
        }

    scored = list(board.scores)
    return {
        "measures": measures,
        "months": {"labels": board.month_labels, "series": series(board.by_month)},
        "camps": {"labels": [r.label for r in board.by_camp.rows], "series": series(board.by_camp)},
        "coverage": {
            "labels": [r.label for r in board.coverage[:-1]],
            "due": [r.due.value for r in board.coverage[:-1]],
            "done": [r.done.value for r in board.coverage[:-1]],
            "text": {
                "due": str(FollowUp.Status.DUE.label),
                "done": str(FollowUp.Status.DONE.label),
            },
        },
        "scores": {
            "labels": [r.label for r in scored],
            "series": {s: [r.means[s] for r in scored] for s in SCORES},
            "text": {
                "economic": str(Dimension.ECONOMIC.label),
                "social": str(Dimension.SOCIAL.label),
                "psychosocial": str(Dimension.PSYCHOSOCIAL.label),
                "composite": _("Composite"),
            },
        },
    }
