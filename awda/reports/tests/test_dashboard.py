"""The dashboard: each step of the way home counted in the month it happened, by camp and
by governorate; small counts hidden from everyone but the organisation's own staff, in
the tables and in the data the charts get; a 4W table; a map; a bounded number of
queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from awda.accounts.roles import Role
from awda.cases.models import Case
from awda.community.models import AcceptanceActivity
from awda.conftest import logged_in, make_user, place
from awda.mhpss.models import Session
from awda.places.models import Place
from awda.registry.models import Household, Person
from awda.reintegration.models import FollowUp
from awda.reports import selectors
from awda.reports.selectors import Filters, add_months, dashboard, filter_choices, month_start
from awda.reports.tests.conftest import (
    ALEPPO_PLACE,
    ANBAR_PLACE,
    DEIR_PLACE,
    ROJ,
    chart_data,
    counts_in,
    home_and_follow,
    household_in,
    movement,
    ready,
)
from awda.tracing.models import TracingRequest

TODAY = timezone.localdate()


def ago(months: int, day: int = 10) -> datetime.date:
    return add_months(month_start(TODAY), -months).replace(day=day)


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def programme(caseworker, org_a):
    """Organisation A: six households registered in al-Hol and three in Roj six months
    ago; five of al-Hol's became ready five months ago, left and arrived home in
    Deir-ez-Zor four months ago, and were followed up three months ago."""
    hol = [
        household_in(caseworker, f"HOL-{n}", registered_on=ago(6, 5), first_name=name)
        for n, name in enumerate(["زينب", "رقية", "خديجة", "سلمى", "هاجر", "نسرين"])
    ]
    roj = [
        household_in(caseworker, f"ROJ-{n}", camp=ROJ, registered_on=ago(6, 6), origin=ALEPPO_PLACE)
        for n in range(3)
    ]
    convoy = movement(caseworker, "CONVOY-77", ago(4, 12), DEIR_PLACE)
    for household in hol[:5]:
        ready(household, caseworker, ago(5, 10), DEIR_PLACE)
        home_and_follow(
            household, caseworker, on=convoy, arrived_on=ago(4, 13), surveyed_on=ago(3, 15)
        )
    return {"hol": hol, "roj": roj, "movement": convoy}


def _own(user, **kw) -> Filters:
    return Filters(**{**Filters.default(TODAY).__dict__, **kw})


def _row(table, label):
    return next(r for r in table.rows if r.label == label)


def _counts(cells):
    return [c.count for c in cells]


@pytest.mark.django_db
def test_each_step_is_counted_in_the_month_it_happened(programme, supervisor, org_a):
    with translation.override("en"):
        board = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
    assert board.exact  # Sam looks at his own organisation: exact counts
    months = dict(zip(board.months, board.by_month.rows, strict=True))
    registered, eligible, scheduled, departed, arrived, followed = range(6)
    assert _counts(months[month_start(ago(6))].cells) == [9, 0, 0, 0, 0, 0]
    assert _counts(months[month_start(ago(5))].cells)[eligible] == 5
    assert _counts(months[month_start(ago(4))].cells)[scheduled:followed] == [5, 5, 5]
    assert _counts(months[month_start(ago(3))].cells)[followed] == 5
    assert _counts(board.totals) == [9, 5, 5, 5, 5, 5]
    assert _counts(_row(board.by_camp, "al-Hol camp").cells) == [6, 5, 5, 5, 5, 5]
    assert _counts(_row(board.by_camp, "Roj camp").cells) == [3, 0, 0, 0, 0, 0]
    assert _counts(_row(board.by_origin, "Al-Anbar").cells) == [6, 5, 5, 5, 5, 5]
    assert _counts(_row(board.by_origin, "Aleppo").cells) == [3, 0, 0, 0, 0, 0]
    assert _counts(_row(board.by_destination, "Deir-ez-Zor").cells) == [5] * 6
    assert _counts(_row(board.by_destination, "not recorded").cells) == [4, 0, 0, 0, 0, 0]
    assert str(_row(board.by_camp, "Roj camp").cells[registered]) == "3"
    del arrived, departed


@pytest.mark.django_db
def test_a_closed_file_that_left_was_ready_once(programme, supervisor, org_a):
    Household.objects.filter(pk=programme["hol"][0].pk).update(status=Household.Status.CLOSED)
    board = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
    assert _counts(board.totals) == [9, 5, 5, 5, 5, 5]


@pytest.mark.django_db
def test_a_period_leaves_out_what_happened_outside_it(programme, supervisor, org_a):
    start, end = month_start(ago(4)), selectors.month_end(ago(3))
    board = dashboard(
        supervisor, Filters(start=start, end=end, organisation=org_a), filter_choices()
    )
    assert _counts(board.totals) == [0, 0, 5, 5, 5, 5]
    assert len(board.months) == 2


@pytest.mark.django_db
def test_a_camp_with_three_households_shows_under_5_and_its_chart_value_is_null(programme, donor):
    response = english(logged_in(donor)).get("/dashboard/")
    page = response.content.decode()
    assert response.status_code == 200
    roj = re.search(r"<th scope=\"row\" class=\"fw-normal\">Roj camp</th>(.*?)</tr>", page, re.S)
    assert roj and "&lt;5" in roj.group(1)
    data = chart_data(page)
    index = data["camps"]["labels"].index("Roj camp")
    assert data["camps"]["series"]["registered"][index] is None
    # 9 - 6 = 3: al-Hol's 6 is hidden too, or the total would give Roj's count away.
    hol = data["camps"]["labels"].index("al-Hol camp")
    assert data["camps"]["series"]["registered"][hol] is None
    assert "≥5" in page
    # No count from 1 to 4 reaches the browser, anywhere in the charts' data.
    assert not [v for v in counts_in(data) if v is not None and 0 < v < 5]
    assert 9 in data["months"]["series"]["registered"]


@pytest.mark.django_db
def test_staff_see_exact_counts_only_for_their_own_organisation(
    programme, supervisor, other_caseworker, donor, org_a
):
    own = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
    everyone = dashboard(supervisor, _own(supervisor), filter_choices())
    as_donor = dashboard(donor, _own(donor, organisation=org_a), filter_choices())
    as_other = dashboard(
        other_caseworker, _own(other_caseworker, organisation=org_a), filter_choices()
    )
    for board, shown in ((own, "3"), (everyone, "<5"), (as_donor, "<5"), (as_other, "<5")):
        roj = next(r for r in board.by_camp.rows if r.key == place(ROJ).pk)
        assert str(roj.cells[0]) == shown
    page = english(logged_in(supervisor)).get("/dashboard/?organisation=org-a").content.decode()
    assert "counts are exact" in page


@pytest.mark.django_db
def test_a_donor_sees_no_name_and_no_reference(programme, donor):
    needles = {"CONVOY-77"}
    for household in Household.objects.all():
        needles.add(household.reference)
    for person in Person.objects.all():
        for name in (
            person.first_name_ar,
            person.father_name_ar,
            person.grandfather_name_ar,
            person.family_name_ar,
            person.first_name_lat,
            person.father_name_lat,
            person.grandfather_name_lat,
            person.family_name_lat,
        ):
            if name:
                needles.add(name)
    client = logged_in(donor)
    for language in ("ar", "en"):
        client.cookies["django_language"] = language
        for query in ("", "?map=arrived", "?organisation=org-a&camp=SY080300-ROJ"):
            page = client.get(f"/dashboard/{query}").content.decode()
            # Whole words: the child's name عمر is also in العمر ("age").
            leaked = [n for n in needles if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", page)]
            assert leaked == [], (language, query, leaked)


@pytest.mark.django_db
def test_the_4w_table_says_who_does_what_where_and_when(
    programme, supervisor, caseworker, other_caseworker, org_a, org_b, donor
):
    hol = programme["hol"]
    for n, household in enumerate(hol[:5]):
        Case.objects.create(
            organisation=org_a,
            household=household,
            reference=f"CASE-{n}",
            opened_on=ago(2, 3),
            opened_by=caseworker,
        )
    person = hol[0].members.first()
    for _ in range(2):
        Session.objects.create(
            person=person,
            organisation=org_a,
            held_on=ago(2, 4),
            kind="individual",
            recorded_by=caseworker,
        )
    for n in range(5):
        AcceptanceActivity.objects.create(
            organisation=org_a,
            place=place(DEIR_PLACE),
            kind=AcceptanceActivity.Kind.DIALOGUE,
            held_on=ago(1, 2 + n),
            recorded_by=caseworker,
        )
    from awda.conftest import register

    b_household = register(other_caseworker, reference="B-1")
    TracingRequest.objects.create(
        organisation=org_b,
        requester=b_household.members.first(),
        relationship="child",
        sought_sex="M",
        created_by=other_caseworker,
    )

    with translation.override("en"):
        own = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
        everyone = dashboard(donor, _own(donor), filter_choices())
    rows = {(r.organisation, r.activity, r.where): r for r in own.four_w}
    totals = {key: r.total.count for key, r in rows.items()}
    a = "Organisation A"
    assert totals == {
        (a, "Registration", "al-Hol camp"): 6,
        (a, "Registration", "Roj camp"): 3,
        (a, "Case management", "al-Hol camp"): 5,
        (a, "MHPSS", "al-Hol camp"): 2,
        (a, "Return movements", "al-Hol camp"): 5,
        (a, "Reintegration follow-ups", "Deir-ez-Zor"): 5,
        (a, "Community acceptance", "Deir-ez-Zor"): 5,
    }
    cases = rows[(a, "Case management", "al-Hol camp")]
    assert [c.count for c in cases.months] == [
        5 if m == month_start(ago(2)) else 0 for m in own.months
    ]
    assert cases.unit == "cases opened"
    # In the order of the activities.
    assert [r.activity for r in own.four_w][:2] == ["Registration", "Registration"]

    shown = {(r.organisation, r.activity, r.where): str(r.total) for r in everyone.four_w}
    assert shown[("Organisation B", "Family tracing", "al-Hol camp")] == "<5"
    assert shown[("Organisation B", "Registration", "al-Hol camp")] == "<5"
    assert shown[(a, "MHPSS", "al-Hol camp")] == "<5"
    assert shown[(a, "Case management", "al-Hol camp")] == "5"
    page = english(logged_in(donor)).get("/dashboard/").content.decode()
    assert "Who does what where (4W)" in page and "Community acceptance" in page


def _circles(page: str) -> list[dict[str, str]]:
    svg = re.search(r"<svg class=\"dashboard-map.*?</svg>", page, re.S)
    assert svg, "no map"
    markers = re.findall(
        r"<circle cx=\"([\d.]+)\" cy=\"([\d.]+)\" r=\"([\d.]+)\"(.*?)><title>(.*?)</title>",
        svg.group(0),
        re.S,
    )
    return [
        {"r": r, "dashed": str("stroke-dasharray" in rest), "title": title}
        for _x, _y, r, rest, title in markers
    ]


@pytest.mark.django_db
def test_the_map_draws_a_circle_per_governorate_sized_by_the_count(programme, supervisor, donor):
    own = english(logged_in(supervisor)).get("/dashboard/?organisation=org-a").content.decode()
    circles = {c["title"]: c for c in _circles(own)}
    assert set(circles) == {"Al-Anbar: 6", "Aleppo: 3"}
    # Areas follow the counts: radius 42 for the largest, 42 × √(3/6) for half as many.
    assert float(circles["Al-Anbar: 6"]["r"]) == 42.0
    assert float(circles["Aleppo: 3"]["r"]) == pytest.approx(29.7, abs=0.1)
    assert 'd="M' in own and own.count("<path ") == 2  # Syria and Iraq

    hidden = english(logged_in(donor)).get("/dashboard/").content.decode()
    markers = _circles(hidden)
    # Both hidden (6 would give 3 away): same fixed size, dashed, labelled.
    assert {c["title"] for c in markers} == {"Al-Anbar: ≥5", "Aleppo: &lt;5"}
    assert {c["r"] for c in markers} == {"6.0"} and all(c["dashed"] == "True" for c in markers)
    assert ">&lt;5</text>" in hidden

    arrived = english(logged_in(donor)).get("/dashboard/?map=arrived").content.decode()
    assert [c["title"] for c in _circles(arrived)] == ["Deir-ez-Zor: 5"]
    assert "Arrived home, by governorate" in arrived


@pytest.mark.django_db
def test_the_map_labels_governorates_in_arabic_on_the_arabic_page(programme, supervisor):
    client = logged_in(supervisor)
    client.cookies["django_language"] = "ar"
    page = client.get("/dashboard/?organisation=org-a").content.decode()
    anbar = Place.objects.get(pcode="IQG01")
    assert f">{anbar.name_ar}</text>" in page


@pytest.mark.django_db
def test_scores_are_means_shown_only_where_five_households_answered(caseworker, supervisor, org_a):
    convoys = {
        pcode: movement(caseworker, f"M-{pcode}", ago(4, 12), pcode)
        for pcode in (ALEPPO_PLACE, DEIR_PLACE, ANBAR_PLACE)
    }
    plan = [(ALEPPO_PLACE, 6, 0.8), (DEIR_PLACE, 5, 0.4), (ANBAR_PLACE, 2, 0.1)]
    n = 0
    for pcode, count, score in plan:
        for _ in range(count):
            household = household_in(caseworker, f"S-{n}", registered_on=ago(7))
            n += 1
            home_and_follow(
                household,
                caseworker,
                on=convoys[pcode],
                arrived_on=ago(4, 13),
                surveyed_on=ago(3, 15),
                scores=(score, score, score, score),
            )
    with translation.override("en"):
        # Even for its own staff: a mean of two families is theirs.
        board = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
    rows = {r.label: r for r in board.scores}
    assert rows["Aleppo"].economic == 0.8 and str(rows["Aleppo"].households) == "6"
    assert rows["Al-Anbar"].composite is None and str(rows["Al-Anbar"].households) == "<5"
    # With Aleppo's and the total shown, Deir-ez-Zor's 5 would give Al-Anbar's 2 away.
    assert rows["Deir-ez-Zor"].psychosocial is None
    assert str(rows["Deir-ez-Zor"].households) == "≥5"
    assert rows["All places"].social == pytest.approx((6 * 0.8 + 5 * 0.4 + 2 * 0.1) / 13, abs=0.01)
    series = board.chart["scores"]["series"]["composite"]
    labels = board.chart["scores"]["labels"]
    assert series[labels.index("Al-Anbar")] is None and series[labels.index("Aleppo")] == 0.8


@pytest.mark.django_db
def test_follow_up_coverage_counts_due_and_done_by_months_after_arrival(
    programme, caseworker, supervisor, org_a
):
    late = [household_in(caseworker, f"LATE-{n}", registered_on=ago(7)) for n in range(2)]
    for household in late:
        home_and_follow(household, caseworker, on=programme["movement"], arrived_on=ago(4, 13))
    FollowUp.objects.create(
        organisation=org_a,
        household=late[0],
        months=3,
        due_on=ago(1, 13),
        status=FollowUp.Status.CANCELLED,
    )
    with translation.override("en"):
        board = dashboard(supervisor, _own(supervisor, organisation=org_a), filter_choices())
    one = board.coverage[0]
    assert one.label == "1 month"
    assert (one.due.count, one.done.count, one.percent) == (7, 5, 71)
    three = next(r for r in board.coverage if r.label == "3 months")
    assert (three.due.count, three.done.count) == (0, 0)  # the cancelled one is left out
    assert board.coverage[-1].due.count == 7

    donor_board = dashboard(
        make_user("dora", org_a, Role.DONOR), _own(supervisor), filter_choices()
    )
    assert donor_board.coverage[0].percent == 71  # 7 and 5 are both shown


@pytest.mark.django_db
def test_the_filters_come_from_the_query_string_and_bad_ones_fall_back(programme, donor):
    client = english(logged_in(donor))
    page = client.get(f"/dashboard/?camp={ROJ}&organisation=org-a").content.decode()
    data = chart_data(page)
    assert data["camps"]["labels"] == ["Roj camp"]
    for query in (
        "?start=2025-13&end=x",
        "?organisation=nobody&camp=NOWHERE",
        "?start=2020-01&end=2026-01",
        "?start=2026-05&end=2026-01",
        "?map=moon",
    ):
        response = client.get(f"/dashboard/{query}")
        assert response.status_code == 200, query
        assert "The default filters are shown." in response.content.decode(), query
    # Twelve months by default, this one the last.
    board = chart_data(client.get("/dashboard/").content.decode())
    assert len(board["months"]["labels"]) == 12


@pytest.mark.django_db
def test_the_programme_now_hides_a_status_a_total_would_give_away(programme, donor):
    snapshot = selectors.snapshot()
    status = {r.label: r for r in snapshot.tables["status"]}
    # Four households still at "registered", five followed up: nine in all.
    assert str(status["Registered"].households) == "<5"
    assert str(status["Followed up"].households) == "≥5"
    assert snapshot.totals.households.count == 9


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_households(
    programme, caseworker, donor, django_assert_max_num_queries
):
    client = logged_in(donor)
    client.get("/dashboard/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == 200
        return len(captured)

    few = queries()
    convoy = movement(caseworker, "CONVOY-78", ago(2, 1), ALEPPO_PLACE)
    for n in range(12):
        household = household_in(caseworker, f"MORE-{n}", registered_on=ago(n % 11 + 1))
        ready(household, caseworker, ago(3), ALEPPO_PLACE)
        home_and_follow(household, caseworker, on=convoy, arrived_on=ago(2, 2), surveyed_on=ago(1))
    assert queries() == few
    with django_assert_max_num_queries(40):
        client.get("/dashboard/?map=arrived")


@pytest.mark.django_db
def test_the_page_works_without_javascript_and_loads_its_charts(programme, donor):
    page = english(logged_in(donor)).get("/dashboard/").content.decode()
    # Tables for every chart, readable without JavaScript.
    for heading in ("By month", "By camp", "Follow-up coverage", "Reintegration scores"):
        assert heading in page
    assert page.count("<table") >= 9
    assert 'data-dashboard-chart="months"' in page
    assert "awda/dashboard" in page and "vendor/chartjs/chart.umd" in page
    assert "<script>" not in page and " style=" not in page
