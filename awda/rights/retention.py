"""Retention rules: which records have been kept long enough, and anonymising them.

`retention_plan` says, rule by rule, what would be anonymised today (record ids only,
never names): the dry run, for the command and for the data protection officer's page.
`retention_apply` anonymises each record through awda.rights.services, each in its own
transaction, so that one failure stops nothing else.

What each kind of record means, for an organisation's rule of N months:
- closed cases: cases closed more than N months ago (a reopened case is not closed);
  the case's content is anonymised, not the people it is about.
- tracing requests that have ended (reunified, contact restored or closed) and were last
  changed more than N months ago: the names of the person sought and the family's account.
- households followed up after their return, or closed, with no follow-up still due,
  whose latest arrival home, survey or change is more than N months old: every current
  member is anonymised.
- people who withdrew their consent to registration more than N months ago and have not
  given it again: the person is anonymised.
People with a case still open are never anonymised by a rule: the officer decides.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from awda.accounts.models import User
from awda.audit.models import Action
from awda.audit.services import audit_record, object_type_of
from awda.cases.models import Case
from awda.consent.models import Purpose
from awda.registry.models import Household, Person
from awda.reintegration.models import FollowUp
from awda.reintegration.services import add_months
from awda.rights import services
from awda.rights.models import Anonymisation, RetentionRule
from awda.tracing.models import TracingRequest

RecordType = RetentionRule.RecordType
ENDED_TRACING = (
    TracingRequest.Status.REUNIFIED,
    TracingRequest.Status.CONTACT_RESTORED,
    TracingRequest.Status.CLOSED,
)


@dataclass(frozen=True)
class Target:
    """One record a rule anonymises: a case, a tracing request, a household (its members)
    or a person."""

    kind: str  # "case" | "tracing_request" | "household" | "person"
    id: int
    people: tuple[int, ...] = ()


@dataclass
class RulePlan:
    rule: RetentionRule
    cutoff: datetime.date
    targets: list[Target] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(len(t.people) for t in self.targets)


@dataclass
class RuleResult:
    rule: int
    anonymised: int = 0
    failed: list[int] = field(default_factory=list)


def cutoff_of(rule: RetentionRule, today: datetime.date) -> datetime.date:
    return add_months(today, -rule.after_months)


def _done(model: type[Case] | type[TracingRequest]) -> QuerySet[Any]:
    """The ids of the records of that model already anonymised."""
    return Anonymisation.objects.filter(object_type=object_type_of(model)).values("object_id")


def _open_case(person_ref: str, household_ref: str) -> Q:
    """People (or households) with a case not closed, about them or their household."""
    open_cases = Case.objects.exclude(status=Case.Status.CLOSED)
    return Q(
        **{f"{person_ref}__in": open_cases.filter(person__isnull=False).values("person_id")}
    ) | Q(**{f"{household_ref}__in": open_cases.filter(person__isnull=True).values("household_id")})


def _closed_cases(rule: RetentionRule, cutoff: datetime.date) -> list[Target]:
    cases = (
        Case.objects.filter(
            organisation_id=rule.organisation_id,
            status=Case.Status.CLOSED,
            closed_on__lt=cutoff,
        )
        .exclude(pk__in=_done(Case))
        # An anonymised person's own cases were emptied with them.
        .exclude(person__anonymisation__isnull=False)
        .order_by("pk")
    )
    return [Target("case", pk) for pk in cases.values_list("pk", flat=True)]


def _ended_tracing(rule: RetentionRule, cutoff: datetime.date) -> list[Target]:
    requests = (
        TracingRequest.objects.filter(
            organisation_id=rule.organisation_id,
            status__in=ENDED_TRACING,
            updated_at__date__lt=cutoff,
        )
        .exclude(pk__in=_done(TracingRequest))
        .order_by("pk")
    )
    return [Target("tracing_request", pk) for pk in requests.values_list("pk", flat=True)]


def _anonymisable(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.filter(merged_into__isnull=True, anonymisation__isnull=True).exclude(
        _open_case("pk", "household_id")
    )


def _returned_households(rule: RetentionRule, cutoff: datetime.date) -> list[Target]:
    households = (
        Household.objects.filter(
            organisation_id=rule.organisation_id,
            status__in=[Household.Status.FOLLOWED_UP, Household.Status.CLOSED],
        )
        .exclude(reintegration_follow_ups__status=FollowUp.Status.DUE)
        .exclude(_open_case("members", "pk"))
        .annotate(
            arrived=Max("homecoming__arrived_on"),
            surveyed=Max("reintegration_surveys__conducted_on"),
        )
        .order_by("pk")
    )
    targets = []
    for household in households:
        days = [household.updated_at.date(), household.arrived, household.surveyed]
        if max(d for d in days if d is not None) >= cutoff:
            continue
        members = _anonymisable(Person.objects.filter(household=household))
        people = tuple(members.order_by("pk").values_list("pk", flat=True))
        if people:
            targets.append(Target("household", household.pk, people))
    return targets


def _withdrawn_consent(rule: RetentionRule, cutoff: datetime.date) -> list[Target]:
    registration = Q(consents__purpose=Purpose.REGISTRATION)
    people = (
        _anonymisable(Person.objects.filter(organisation_id=rule.organisation_id))
        .annotate(
            withdrawn=Max("consents__revoked_at", filter=registration),
            in_force=Count("consents", filter=registration & Q(consents__revoked_at__isnull=True)),
        )
        .filter(withdrawn__isnull=False, in_force=0)
        .order_by("pk")
    )
    return [
        Target("person", p.pk, (p.pk,)) for p in people if timezone.localdate(p.withdrawn) < cutoff
    ]


_FINDERS: dict[str, Callable[[RetentionRule, datetime.date], list[Target]]] = {
    RecordType.CLOSED_CASES: _closed_cases,
    RecordType.ENDED_TRACING: _ended_tracing,
    RecordType.RETURNED_HOUSEHOLDS: _returned_households,
    RecordType.WITHDRAWN_CONSENT: _withdrawn_consent,
}


def retention_plan(
    *, organisation_id: int | None = None, today: datetime.date | None = None
) -> list[RulePlan]:
    """What every active rule (of one organisation, or of all) would anonymise today.
    Reads only."""
    today = today or timezone.localdate()
    rules = RetentionRule.objects.filter(is_active=True).select_related("organisation")
    if organisation_id is not None:
        rules = rules.filter(organisation_id=organisation_id)
    plans = []
    for rule in rules.order_by("organisation__slug", "record_type"):
        cutoff = cutoff_of(rule, today)
        plans.append(RulePlan(rule, cutoff, _FINDERS[rule.record_type](rule, cutoff)))
    return plans


def _apply_one(rule: RetentionRule, target: Target, operator: str) -> None:
    reason, basis = f"retention rule #{rule.pk}", Anonymisation.Basis.RETENTION
    if target.kind == "case":
        services.anonymise_case(
            by=None,
            case=Case.objects.get(pk=target.id),
            reason=reason,
            basis=basis,
            rule=rule,
            operator=operator,
        )
    elif target.kind == "tracing_request":
        services.anonymise_tracing_request(
            by=None,
            request=TracingRequest.objects.get(pk=target.id),
            reason=reason,
            basis=basis,
            rule=rule,
            operator=operator,
        )
    else:
        # A household's members together: all of them, or none.
        with transaction.atomic():
            for person in Person.objects.filter(pk__in=target.people).order_by("pk"):
                services.anonymise_person(
                    by=None, person=person, reason=reason, basis=basis, rule=rule, operator=operator
                )


def retention_apply(
    plans: list[RulePlan], *, operator: str = "", by: User | None = None
) -> list[RuleResult]:
    """Anonymise what the plans found, record by record; a record that fails (changed
    meanwhile) is named in the result and the others go on. The run itself is audited
    with counts and the ids that failed."""
    results = []
    for plan in plans:
        result = RuleResult(plan.rule.pk)
        for target in plan.targets:
            try:
                _apply_one(plan.rule, target, operator)
            except (ValidationError, Case.DoesNotExist, TracingRequest.DoesNotExist):
                result.failed.append(target.id)
            else:
                result.anonymised += 1
        results.append(result)
    audit_record(
        actor=by,
        action=Action.UPDATE,
        details={
            "apply_retention": [
                {"rule": r.rule, "anonymised": r.anonymised, "failed": r.failed} for r in results
            ],
            **({"operator": operator[:64]} if operator else {}),
        },
    )
    return results
