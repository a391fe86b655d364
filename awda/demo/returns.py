"""The demo's return programme, written through the services as the programme's staff
would write it: intentions, sponsors and acceptance work in the destination communities,
readiness checklists, clearance decisions, a supervisor's override, convoys planned,
under way and completed (one Iraqi convoy to the Jeddah-1 centre), arrivals home,
handovers and reintegration follow-ups, some done and some due.

Households are taken in order of registration (the earliest go first) and given a stage
by quota, so that even a small demo has households at every stage."""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Sequence

from django.utils import timezone

from awda.accounts.models import Organisation, User
from awda.cases.models import Referral
from awda.cases.services import referral_accept
from awda.community import services as community
from awda.community.models import CommunityActor, Sponsorship
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.consent.services import consent_in_force, consent_record, is_child
from awda.places.models import Place
from awda.registry.models import Household
from awda.reintegration.models import FollowUp, SurveyInstrument
from awda.reintegration.services import survey_record
from awda.returns import pipeline, services
from awda.returns.models import Centre, ChecklistItem, Movement, Pathway, ReadinessOverride

Stage = Household.Status
DAY = datetime.timedelta(days=1)

# (stage, share of the nationality's households, at least)
SYRIAN_QUOTAS = (
    (Stage.FOLLOWED_UP, 0.06, 2),
    (Stage.ARRIVED, 0.04, 2),
    (Stage.DEPARTED, 0.03, 2),
    (Stage.SCHEDULED, 0.05, 2),
    (Stage.ELIGIBLE, 0.06, 2),
    (Stage.PREPARING, 0.08, 2),
    (Stage.INTENTION, 0.08, 2),
)
IRAQI_QUOTAS = (
    (Stage.FOLLOWED_UP, 0.05, 2),
    (Stage.ARRIVED, 0.03, 1),
    (Stage.IN_CENTRE, 0.05, 2),
    (Stage.SCHEDULED, 0.05, 2),
    (Stage.ELIGIBLE, 0.05, 2),
    (Stage.PREPARING, 0.06, 2),
    (Stage.INTENTION, 0.06, 2),
)
SHEIKHS = (
    "الشيخ حمد الفرحان",
    "الشيخ عبد الكريم الهفل",
    "الشيخ مطر الجدعان",
    "الشيخ فواز البشير",
    "الشيخ نواف الدندل",
    "الشيخ صالح العساف",
    "الشيخ جاسم المحيمد",
    "الشيخ عواد الملحم",
)
MUKHTARS = (
    "المختار خليل العبد",
    "المختار أحمد الحسين",
    "المختار سليمان الخلف",
    "المختار ياسين العلي",
    "المختار محمود الرجب",
    "المختار عمر الدرويش",
    "المختار حسن الخضر",
    "المختار فيصل الشواخ",
)
AFFILIATIONS = ("عشيرة البكارة", "عشيرة العكيدات", "عشيرة الشعيطات", "عشيرة البوسرايا")
WORKSHOP_OUTCOME = "اتفق الوجهاء على استقبال الأسر العائدة ومتابعة اندماجها مع لجنة محلية."
OVERRIDE_REASON = "الوثائق المدنية تُستخرج في منطقة العودة بالتنسيق مع دائرة الأحوال المدنية."


def _quota(households: list[Household], quotas: Sequence[tuple[str, float, int]]) -> dict[int, str]:
    """Stage for each household: the earliest registered take the furthest stages."""
    ordered = sorted(households, key=lambda h: (h.registered_on, h.pk))
    stages: dict[int, str] = {}
    position = 0
    for stage, share, least in quotas:
        count = max(least, round(len(ordered) * share))
        for household in ordered[position : position + count]:
            stages[household.pk] = stage
        position += count
    return stages


def _destination(household: Household) -> Place | None:
    place = household.destination or household.origin
    if place is None or place.level < 3:
        return None
    return place


def _vehicles(people: int) -> int:
    return max(1, math.ceil(people / 45))


class _Programme:
    def __init__(self, users: dict[str, User], orgs: dict[str, Organisation], rng: random.Random):
        self.rng = rng
        self.today = timezone.localdate()
        self.worker = users["caseworker.a"]
        self.coordinator = users["returns.a"]
        self.liaison = users["liaison.a"]
        self.boss = users["supervisor.a"]
        self.receiver = users["caseworker.b"]
        self.partner = orgs["org-b"]
        self.sponsors: dict[int, list[CommunityActor]] = {}
        # The day each household's movement leaves (today for those not yet gone): the
        # steps before it are dated backwards from it.
        self.anchor: dict[int, datetime.date] = {}
        self.instrument = (
            SurveyInstrument.objects.filter(is_default=True, is_active=True)
            .order_by("-version")
            .first()
        )

    # The communities --------------------------------------------------------------------

    def communities(self, households: list[Household]) -> None:
        """Sponsors in each Syrian governorate families go back to; acceptance work there
        (one governorate came round after opposing; one sub-district is still opposed)."""
        governorates = sorted(
            {p.governorate_id for h in households if (p := _destination(h)) and p.governorate_id},
        )
        for index, governorate_id in enumerate(governorates):
            governorate = Place.objects.get(pk=governorate_id)
            subdistricts = list(
                Place.objects.filter(governorate=governorate, kind=Place.Kind.SUBDISTRICT)[:3]
            )
            actors = []
            for n, (names, kind) in enumerate(((SHEIKHS, "sheikh"), (MUKHTARS, "mukhtar"))):
                actors.append(
                    community.actor_create(
                        by=self.liaison,
                        data=community.ActorData(
                            place=subdistricts[n % len(subdistricts)] if n else governorate,
                            kind=kind,
                            name=names[index % len(names)],
                            affiliation=AFFILIATIONS[index % len(AFFILIATIONS)],
                            contact=self._phone(),
                        ),
                    )
                )
            self.sponsors[governorate_id] = actors
            start = self.today - 420 * DAY
            if index == 0:
                community.acceptance_assess(
                    by=self.liaison,
                    place=governorate,
                    status="opposed",
                    assessed_on=start,
                    note="رفض عدد من الوجهاء استقبال العائدين قبل ورشة الحوار.",
                )
            workshop = community.activity_record(
                by=self.liaison,
                place=governorate,
                kind="leaders_workshop",
                held_on=start + 30 * DAY,
                participant_roles=["tribal_leaders", "religious_leaders", "local_authorities"],
                participants=24 + index,
                outcome=WORKSHOP_OUTCOME,
            )
            if index == 0:
                community.acceptance_assess(
                    by=self.liaison,
                    place=governorate,
                    status="conditional",
                    assessed_on=start + 31 * DAY,
                    activity=workshop,
                    note="قبول مشروط بمتابعة لجنة محلية.",
                )
            dialogue = community.activity_record(
                by=self.liaison,
                place=governorate,
                kind="dialogue",
                held_on=start + 60 * DAY,
                participant_roles=["women", "youth", "host_community", "returnees"],
                participants=40 + 3 * index,
                outcome="جلسة حوار مع المجتمع المضيف حول عودة الأسر.",
            )
            community.acceptance_assess(
                by=self.liaison,
                place=governorate,
                status="accepting",
                assessed_on=start + 61 * DAY,
                activity=dialogue,
            )
            used = {p.pk for h in households if (p := _destination(h))}
            spare = Place.objects.filter(
                governorate=governorate, kind=Place.Kind.SUBDISTRICT
            ).exclude(pk__in=used)
            if index == 1 and spare.exists():
                community.acceptance_assess(
                    by=self.liaison,
                    place=spare.first(),  # type: ignore[arg-type]
                    status="opposed",
                    assessed_on=start + 90 * DAY,
                    note="رفض مجلس القرية استقبال العائدين حالياً.",
                )

    def _phone(self) -> str:
        """A made-up Syrian mobile number (synthetic, like every name in the demo)."""
        digits = [self.rng.randint(100, 999) for _ in range(2)]
        return f"+963 9{self.rng.randint(10, 99)} {digits[0]} {digits[1]}"

    def before(self, household: Household, days: int) -> datetime.date:
        """`days` before the household's departure, but not before its registration."""
        anchor = self.anchor.get(household.pk, self.today)
        return min(self.today, max(household.registered_on + DAY, anchor - days * DAY))

    # One household's way, step by step ---------------------------------------------------

    def intend(self, household: Household, pathway: str, stage: str) -> bool:
        destination = _destination(household)
        if destination is None and pathway != Pathway.THIRD_COUNTRY:
            return False
        stated = self.before(household, 180 + self.rng.randint(0, 60))
        if (
            stage == Stage.INTENTION
            and pathway == Pathway.SYRIAN_SPONSORSHIP
            and self.rng.random() < 0.3
        ):
            services.intention_record(
                by=self.worker,
                household=household,
                pathway=Pathway.STAYING,
                reasons="تنتظر الأسرة أخبار الأب قبل أن تقرر.",
                stated_on=stated,
            )
            return True
        services.intention_record(
            by=self.worker,
            household=household,
            pathway=pathway,
            destination=destination if pathway != Pathway.THIRD_COUNTRY else None,
            country=household.nationality if pathway == Pathway.THIRD_COUNTRY else "",
            reasons="العودة إلى منطقة المنشأ والأقارب.",
            stated_on=stated,
        )
        return True

    def prepare(self, household: Household, pathway: str, withdrawn: bool) -> None:
        if pathway == Pathway.SYRIAN_SPONSORSHIP:
            destination = _destination(household)
            governorate = destination.governorate_id if destination else None
            actors = self.sponsors.get(governorate or 0, [])
            if not actors:
                return
            first = community.sponsorship_request(
                by=self.liaison,
                household=household,
                sponsor=actors[household.pk % len(actors)],
                requested_on=self.before(household, 150),
            )
            if withdrawn:
                community.sponsorship_withdraw(
                    by=self.liaison,
                    sponsorship=first,
                    reason=Sponsorship.WithdrawalReason.COMMUNITY_PRESSURE,
                    note="تعرّض الكفيل لضغوط من بعض أبناء العشيرة.",
                    on=self.before(household, 140),
                )
                community.sponsorship_request(
                    by=self.liaison,
                    household=household,
                    sponsor=actors[(household.pk + 1) % len(actors)],
                    requested_on=self.before(household, 130),
                )
        else:
            medical = ChecklistItem.objects.get(pathway=pathway, code="medical")
            services.checklist_tick(
                by=self.worker,
                household=household,
                item=medical,
                done=True,
                on=self.before(household, 40),
            )
        if self.rng.random() < 0.3:
            services.clearance_record(
                by=self.coordinator,
                household=household,
                decision="pending",
                decided_on=self.before(household, 60),
                reference=f"SUB-{household.pk:05d}",
            )

    def ready(self, household: Household, pathway: str) -> None:
        if pathway == Pathway.SYRIAN_SPONSORSHIP:
            open_one = Sponsorship.objects.filter(household=household, status="requested").first()
            if open_one is not None:
                community.sponsorship_agree(
                    by=self.liaison, sponsorship=open_one, on=self.before(household, 90)
                )
        done = {c.item.pk for c in pipeline.readiness(household).checks if c.met}
        manual = ChecklistItem.objects.filter(pathway=pathway, rule="manual", is_active=True)
        for item in manual.exclude(pk__in=done):
            services.checklist_tick(
                by=self.worker,
                household=household,
                item=item,
                done=True,
                on=self.before(household, 20),
            )
        head = household.members.filter(relationship="head").first()
        if head is not None and consent_in_force(head, Purpose.RETURN) is None:
            consent_record(
                by=self.worker,
                person=head,
                purpose=Purpose.RETURN,
                legal_basis=LegalBasis.CONSENT,
                given_by=Consent.GivenBy.PERSON
                if not is_child(head)
                else Consent.GivenBy.CAREGIVER,
                child_assent="" if not is_child(head) else Consent.Assent.GIVEN,
                given_on=self.before(household, 25),
            )
        if pathway != Pathway.THIRD_COUNTRY:
            services.clearance_record(
                by=self.coordinator,
                household=household,
                decision="cleared",
                decided_on=self.before(household, 30),
                reference=f"CLR-{household.pk:05d}",
            )
        state = pipeline.readiness(household)
        if not state.complete and not state.override:
            override = services.readiness_override(
                by=self.boss, household=household, reason=OVERRIDE_REASON
            )
            # Dated as the programme's history has it (the audit trail keeps the day the
            # demo was loaded).
            granted = datetime.datetime.combine(
                self.before(household, 15), datetime.time(10), tzinfo=datetime.UTC
            )
            ReadinessOverride.objects.filter(pk=override.pk).update(granted_at=granted)

    def board(self, movement: Movement, households: list[Household]) -> None:
        for household in households:
            services.movement_add_household(
                by=self.coordinator, movement=movement, household=household, confirm=True
            )

    def movement(
        self,
        households: list[Household],
        *,
        pathway: str,
        departs_on: datetime.date,
        destination: Place | None = None,
        centre: Centre | None = None,
        country: str = "",
    ) -> Movement:
        people = sum(h.members.count() for h in households)
        movement = services.movement_create(
            by=self.coordinator,
            kind="convoy" if not country else "flight",
            pathway=pathway,
            departs_on=departs_on,
            origin=households[0].camp,
            destination=destination,
            centre=centre,
            country=country,
            capacity=people + 20,
            vehicles=_vehicles(people + 20) if not country else 1,
        )
        self.board(movement, households)
        movement.refresh_from_db()
        return movement

    def depart(self, movement: Movement, on: datetime.date, no_shows: Sequence[int] = ()) -> None:
        movement.refresh_from_db()
        services.movement_depart(
            by=self.coordinator,
            movement=movement,
            expected_version=movement.version,
            departed_on=on,
            no_shows=no_shows,
        )

    def arrive(self, movement: Movement, on: datetime.date) -> None:
        movement.refresh_from_db()
        services.movement_arrive(
            by=self.coordinator, movement=movement, expected_version=movement.version, arrived_on=on
        )

    def after_arrival(
        self, household: Household, surveyed: bool, index: int, home_on: datetime.date
    ) -> None:
        open_one = Sponsorship.objects.filter(household=household, status="agreed").first()
        if open_one is not None:
            community.sponsorship_fulfil(
                by=self.liaison, sponsorship=open_one, on=home_on + 3 * DAY
            )
        if index % 2 == 0:
            referral = services.handover(
                by=self.coordinator,
                household=household,
                receiving_organisation=self.partner,
                kind=Referral.Kind.REFERRAL,
                summary=services.handover_summary(household),
                consent=Referral.Consent.GIVEN,
                consent_note="وافق رب الأسرة على مشاركة الملف مع المنظمة الشريكة.",
            )
            if index % 4 == 0:
                referral_accept(referral=referral, by=self.receiver, note="تم تعيين مرشد حالة.")
        if not surveyed or self.instrument is None:
            return
        for follow_up in FollowUp.objects.filter(
            household=household, due_on__lt=self.today
        ).order_by("due_on")[:2]:
            survey_record(
                by=self.worker,
                household=household,
                instrument=self.instrument,
                answers=self._answers(better=follow_up.months > 1),
                conducted_on=follow_up.due_on + self.rng.randint(0, 6) * DAY,
                follow_up=follow_up,
            )

    def _answers(self, *, better: bool) -> dict[str, str]:
        questions = self.instrument.definition["questions"] if self.instrument else []
        answers = {}
        for question in questions:
            scored = [c for c in question["choices"] if c.get("score") is not None]
            scored.sort(key=lambda c: c["score"])
            if better:
                pick = scored[self.rng.randint(len(scored) // 2, len(scored) - 1)]
            else:
                pick = scored[self.rng.randint(0, (len(scored) - 1) // 2 + 1)]
            answers[question["name"]] = pick["value"]
        return answers


def load_returns(
    households: list[Household],
    users: dict[str, User],
    orgs: dict[str, Organisation],
    rng: random.Random,
) -> None:
    """Org A's return programme over its households in al-Hol."""
    services.centres_load()
    centre = Centre.objects.order_by("pk").first()
    programme = _Programme(users, orgs, rng)
    today = programme.today
    in_hol = [h for h in households if h.camp.pcode == "SY080006-HOL"]
    syrians = [h for h in in_hol if h.nationality == "SY" and _destination(h)]
    iraqis = [h for h in in_hol if h.nationality == "IQ" and _destination(h)]
    others = [h for h in households if h.nationality not in ("SY", "IQ")]
    programme.communities(syrians)

    stages = _quota(syrians, SYRIAN_QUOTAS) | _quota(iraqis, IRAQI_QUOTAS)
    gone: dict[str, int] = {
        Stage.FOLLOWED_UP: 210,
        Stage.ARRIVED: 210,
        Stage.DEPARTED: 1,
        Stage.IN_CENTRE: 330,
    }
    for household in syrians + iraqis:
        planned_stage = stages.get(household.pk, "")
        days = gone.get(planned_stage, 0)
        if household.nationality == "IQ" and planned_stage in (Stage.FOLLOWED_UP, Stage.ARRIVED):
            days = 330
        programme.anchor[household.pk] = today - days * DAY
    by_stage: dict[str, list[Household]] = {}
    for household in syrians + iraqis:
        stage = stages.get(household.pk)
        if stage is None:
            continue
        pathway = (
            Pathway.SYRIAN_SPONSORSHIP
            if household.nationality == "SY"
            else Pathway.IRAQI_REPATRIATION
        )
        if not programme.intend(household, pathway, stage):
            continue
        if stage == Stage.INTENTION or pipeline.current_intention(household).pathway != pathway:  # type: ignore[union-attr]
            continue
        withdrawn = stage == Stage.PREPARING and len(by_stage.get(f"{pathway}:withdrawn", [])) < 1
        programme.prepare(household, pathway, withdrawn)
        if withdrawn:
            by_stage.setdefault(f"{pathway}:withdrawn", []).append(household)
        if stage == Stage.PREPARING:
            continue
        programme.ready(household, pathway)
        by_stage.setdefault(f"{pathway}:{stage}", []).append(household)

    def group(pathway: str, stage: str) -> list[Household]:
        return by_stage.get(f"{pathway}:{stage}", [])

    sy, iq = Pathway.SYRIAN_SPONSORSHIP, Pathway.IRAQI_REPATRIATION
    # Syrians: a convoy home seven months ago, one on the road since yesterday, one planned.
    home = group(sy, Stage.FOLLOWED_UP) + group(sy, Stage.ARRIVED)
    if home:
        first = _destination(home[0])
        done = programme.movement(
            home,
            pathway=sy,
            departs_on=today - 210 * DAY,
            destination=first.governorate,  # type: ignore[union-attr]
        )
        programme.depart(done, today - 210 * DAY)
        programme.arrive(done, today - 209 * DAY)
        surveyed = set(h.pk for h in group(sy, Stage.FOLLOWED_UP))
        for index, household in enumerate(home):
            programme.after_arrival(household, household.pk in surveyed, index, today - 209 * DAY)
    on_road = group(sy, Stage.DEPARTED)
    if on_road:
        moving = programme.movement(
            on_road,
            pathway=sy,
            departs_on=today - DAY,
            destination=_destination(on_road[0]).governorate,  # type: ignore[union-attr]
        )
        absent = on_road[-1] if len(on_road) > 2 else None
        programme.depart(
            moving,
            today - DAY,
            no_shows=list(absent.members.values_list("pk", flat=True)) if absent else [],
        )
    planned = group(sy, Stage.SCHEDULED)
    if planned:
        programme.movement(
            planned,
            pathway=sy,
            departs_on=today + 12 * DAY,
            destination=_destination(planned[0]).governorate,  # type: ignore[union-attr]
        )
    # Iraqis: a convoy to the Jeddah-1 centre eleven months ago (some went home five
    # months ago, the others are still in the centre), and one planned.
    through = group(iq, Stage.FOLLOWED_UP) + group(iq, Stage.ARRIVED) + group(iq, Stage.IN_CENTRE)
    if through and centre is not None:
        convoy = programme.movement(
            through, pathway=iq, departs_on=today - 330 * DAY, centre=centre
        )
        programme.depart(convoy, today - 330 * DAY)
        programme.arrive(convoy, today - 330 * DAY)
        from awda.returns.models import CentreStay

        surveyed = set(h.pk for h in group(iq, Stage.FOLLOWED_UP))
        for index, household in enumerate(through):
            stay = CentreStay.objects.get(household=household, exited_on__isnull=True)
            services.centre_stay_update(
                by=programme.coordinator,
                stay=stay,
                programmes=rng.sample(
                    ["civil_documentation", "psychosocial", "education", "health", "livelihoods"], 3
                ),
            )
            if household in group(iq, Stage.IN_CENTRE):
                continue
            services.centre_exit(
                by=programme.coordinator,
                stay=stay,
                exited_on=today - 150 * DAY,
                place=_destination(household),
            )
            programme.after_arrival(household, household.pk in surveyed, index, today - 150 * DAY)
    planned = group(iq, Stage.SCHEDULED)
    if planned and centre is not None:
        programme.movement(planned, pathway=iq, departs_on=today + 20 * DAY, centre=centre)
    # Third-country nationals: a few intentions, two households ready.
    for index, household in enumerate(
        sorted(others, key=lambda h: h.pk)[: max(2, len(others) // 8)]
    ):
        programme.intend(household, Pathway.THIRD_COUNTRY, Stage.INTENTION)
        if index < 2:
            programme.ready(household, Pathway.THIRD_COUNTRY)
