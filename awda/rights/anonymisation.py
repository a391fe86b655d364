"""What anonymising changes, record by record. The services (awda.rights.services) check
who may do it, open the transaction and record it; this module does the rewriting.

What is kept: every countable fact — the rows themselves, sex, year of birth,
nationality, household membership, movement passengers, stages and statuses, dates of
events, scores, references. What goes: names, the exact date of birth, and free text
that may identify someone. Free text that is the record's own (a note in the person's
individual case, their session notes, their consents' notes) is replaced whole; free
text of the family's records (a household case's notes, the household's intentions) only
loses the person's names (see awda.rights.redaction).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from awda.accounts.models import User
from awda.audit.models import Breach
from awda.cases.models import (
    Assessment,
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    FollowUp,
    Goal,
    PlanAction,
    Referral,
    ServiceRecord,
)
from awda.community.models import Sponsorship
from awda.consent.models import Consent
from awda.identity.models import MatchCandidate, NameKey
from awda.mhpss.models import Session
from awda.registry.models import Membership, Person
from awda.reintegration.models import FollowUp as ReintegrationFollowUp
from awda.returns.models import ChecklistTick, Intention, Movement, Passenger, ReadinessOverride
from awda.rights.models import CorrectionRequest
from awda.rights.redaction import PLACEHOLDER, Redactor, names_of, wipe
from awda.tracing.models import Candidate, ContactRequest, TracingRequest

# What an anonymised person is called: "unknown person", valid names in both scripts.
ANONYMOUS_AR = ("شخص", "", "", "مجهول")
ANONYMOUS_LAT = ("Anonymised", "", "", "Person")
NAME_PARTS = ("first_name", "father_name", "grandfather_name", "family_name")
TRACING_NAME_FIELDS = tuple(
    f"sought_{part}_{script}" for part in NAME_PARTS for script in ("ar", "lat")
)

Change = Callable[[str], str]


@dataclass
class Work:
    """What one anonymisation changed, by kind (the counts kept on the Anonymisation),
    the attached files to delete once it has committed, and the referrals it ended."""

    counts: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)
    referrals_ended: list[int] = field(default_factory=list)

    def rewrite(
        self, rows: QuerySet[Any], fields: Sequence[str], change: Callable[[Any], Any], kind: str
    ) -> None:
        """Pass each field of each row through `change`; save and count the rows that
        changed (only those fields: `updated_at` stays, and with it the record's age). A
        record edited with a version number gets a new one, so that an edit opened before
        cannot write the old text back."""
        for row in rows:
            changed = []
            for name in fields:
                old = getattr(row, name)
                new = change(old)
                if new != old:
                    setattr(row, name, new)
                    changed.append(name)
            if changed:
                if hasattr(row, "version"):
                    row.version += 1
                    changed.append("version")
                row.save(update_fields=changed)
                self.counts[kind] += 1


# -- cases ----------------------------------------------------------------------------------


def _text_answers(change: Change) -> Callable[[Assessment], dict[str, Any]]:
    def answers(assessment: Assessment) -> dict[str, Any]:
        kinds = {q.get("name"): q.get("type") for q in assessment.form_version.fields}
        return {
            name: change(value) if kinds.get(name) == "text" and isinstance(value, str) else value
            for name, value in (assessment.answers or {}).items()
        }

    return answers


def case_texts(work: Work, case_ids: Collection[int], change: Change, *, files: bool) -> None:
    """The free text of these cases through `change`; with `files`, their attached files
    are deleted (rows now, files after the commit), else their titles changed."""
    if not case_ids:
        return
    work.rewrite(CaseNote.objects.filter(case_id__in=case_ids), ["text"], change, "case_notes")
    work.rewrite(
        CaseEvent.objects.filter(case_id__in=case_ids).exclude(comment=""),
        ["comment"],
        change,
        "case_comments",
    )
    work.rewrite(
        ServiceRecord.objects.filter(case_id__in=case_ids).exclude(note=""),
        ["note"],
        change,
        "service_notes",
    )
    work.rewrite(FollowUp.objects.filter(case_id__in=case_ids), ["title"], change, "case_tasks")
    work.rewrite(Goal.objects.filter(case_id__in=case_ids), ["title"], change, "goals")
    work.rewrite(
        PlanAction.objects.filter(goal__case_id__in=case_ids), ["title"], change, "plan_actions"
    )
    work.rewrite(
        Referral.objects.filter(case_id__in=case_ids),
        ["reason", "response_note", "consent_note"],
        change,
        "referrals",
    )
    assessments = Assessment.objects.filter(case_id__in=case_ids).select_related("form_version")
    rewrite_answers = _text_answers(change)
    for assessment in assessments:
        answers = rewrite_answers(assessment)
        if answers != assessment.answers:
            assessment.answers = answers
            assessment.save(update_fields=["answers"])
            work.counts["assessments"] += 1
    attachments = Attachment.objects.filter(case_id__in=case_ids)
    if files:
        work.files += list(attachments.values_list("stored_as", flat=True))
        deleted, _by_model = attachments.delete()
        if deleted:
            work.counts["attachments_deleted"] += deleted
    else:
        work.rewrite(attachments, ["title"], change, "attachment_titles")


# -- tracing --------------------------------------------------------------------------------


def blank_given(evidence: Any) -> Any:
    """A candidate's evidence without the names the request gave (levels stay)."""
    if not isinstance(evidence, list):
        return evidence
    names = set(NAME_PARTS)
    return [
        {**item, "given": PLACEHOLDER}
        if isinstance(item, dict) and item.get("field") in names and item.get("given")
        else item
        for item in evidence
    ]


def sought_names_removed(work: Work, requests: QuerySet[TracingRequest]) -> None:
    """Requests whose sought person is to be anonymous: the names the family gave for
    them, the family's account and the names in the candidates' evidence go."""

    def placeholders(request: TracingRequest) -> None:
        if any(getattr(request, name) for name in TRACING_NAME_FIELDS):
            for name in TRACING_NAME_FIELDS:
                setattr(request, name, "")
            request.sought_first_name_ar = PLACEHOLDER

    for request in requests:
        before = [getattr(request, name) for name in (*TRACING_NAME_FIELDS, "circumstances")]
        placeholders(request)
        request.circumstances = wipe(request.circumstances)
        after = [getattr(request, name) for name in (*TRACING_NAME_FIELDS, "circumstances")]
        if after != before:
            request.version += 1
            request.save(update_fields=[*TRACING_NAME_FIELDS, "circumstances", "version"])
            work.counts["tracing_requests_sought"] += 1
    candidates = Candidate.objects.filter(request__in=requests)
    work.rewrite(candidates, ["evidence"], blank_given, "tracing_evidence")
    work.rewrite(
        ContactRequest.objects.filter(candidate__request__in=requests).exclude(answer_note=""),
        ["answer_note"],
        wipe,
        "contact_notes",
    )


# -- a person -------------------------------------------------------------------------------


def _households_of(people: Sequence[Person]) -> set[int]:
    ids = set(Membership.objects.filter(person__in=people).values_list("household_id", flat=True))
    return ids | {p.household_id for p in people if p.household_id is not None}


def _names_and_birth(work: Work, person: Person) -> None:
    for part, ar, lat in zip(NAME_PARTS, ANONYMOUS_AR, ANONYMOUS_LAT, strict=True):
        setattr(person, f"{part}_ar", ar)
        setattr(person, f"{part}_lat", lat)
    if person.date_of_birth is not None and person.dob_precision == Person.DobPrecision.EXACT:
        # The year stays (ages and age groups are counted); mid-year, as a year-only date
        # is registered (registry.validation).
        person.date_of_birth = datetime.date(person.date_of_birth.year, 7, 1)
        person.dob_precision = Person.DobPrecision.YEAR
        work.counts["exact_birth_dates"] += 1
    person.version += 1
    person.save()
    work.counts["people"] += 1


def _consents(work: Work, people: Sequence[Person], by: User | None) -> None:
    consents = Consent.objects.filter(person__in=people)
    work.rewrite(consents.exclude(note=""), ["note"], wipe, "consent_notes")
    revoked = consents.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    work.counts["consents_revoked"] += revoked
    # What those consents covered stops: an open referral of their own case ends.
    open_referrals = Referral.objects.filter(
        case__person__in=people,
        status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED],
    )
    work.referrals_ended += list(open_referrals.values_list("pk", flat=True))
    open_referrals.update(status=Referral.Status.REVOKED, ended_at=timezone.now(), ended_by=by)


def _tracing(work: Work, people: Sequence[Person], redact: Redactor) -> None:
    asked = TracingRequest.objects.filter(requester__in=people)
    work.rewrite(asked, ["circumstances"], wipe, "tracing_requests_made")
    work.rewrite(asked, ["consent_override"], redact, "tracing_overrides")
    ended = asked.filter(status__in=TracingRequest.ACTIVE).update(
        status=TracingRequest.Status.CLOSED, version=F("version") + 1
    )
    work.counts["tracing_requests_closed"] += ended
    work.rewrite(
        Candidate.objects.filter(request__in=asked), ["evidence"], redact.json, "tracing_evidence"
    )
    confirmed = Candidate.Status.CONFIRMED
    sought = TracingRequest.objects.filter(
        Q(candidates__person__in=people, candidates__status=confirmed)
        | Q(
            candidates__other_request__requester__in=people,
            candidates__status=confirmed,
        )
    ).distinct()
    sought_names_removed(work, sought)
    # Suggestions nobody acted on yet cannot lead to an anonymous person.
    work.counts["tracing_suggestions_dismissed"] += Candidate.objects.filter(
        Q(person__in=people) | Q(other_request__in=asked), status=Candidate.Status.SUGGESTED
    ).update(status=Candidate.Status.DISMISSED)
    work.rewrite(
        ContactRequest.objects.filter(
            Q(candidate__person__in=people) | Q(candidate__request__in=asked)
        ).exclude(answer_note=""),
        ["answer_note"],
        redact,
        "contact_notes",
    )


def _family_texts(
    work: Work, household_ids: Iterable[int], redact: Redactor, *, own: Sequence[int]
) -> None:
    """The family's records (its cases, and its other members' records) lose the
    person's names, and keep everything else."""
    households = list(household_ids)
    family_cases = list(
        Case.objects.filter(household_id__in=households)
        .exclude(person_id__in=own)
        .values_list("pk", flat=True)
    )
    case_texts(work, family_cases, redact, files=False)
    work.rewrite(
        Referral.objects.filter(household_id__in=households, case__isnull=True),
        ["reason", "response_note", "consent_note"],
        redact,
        "referrals",
    )
    relatives = Person.objects.filter(household_id__in=households).exclude(pk__in=own)
    work.rewrite(
        Session.objects.filter(person__in=relatives).exclude(notes=""),
        ["notes"],
        redact,
        "session_notes",
    )
    work.rewrite(
        Consent.objects.filter(person__in=relatives).exclude(note=""),
        ["note"],
        redact,
        "consent_notes",
    )
    for model, fields in (
        (Intention, ["reasons"]),
        (ChecklistTick, ["note"]),
        (ReadinessOverride, ["reason"]),
        (Sponsorship, ["note"]),
        (ReintegrationFollowUp, ["note"]),
        (Passenger, ["note"]),
    ):
        rows = model.objects.filter(household_id__in=households)
        work.rewrite(rows, fields, redact, f"{model._meta.model_name}_texts")
    movements = Movement.objects.filter(passengers__household_id__in=households).distinct()
    work.rewrite(movements, ["notes"], redact, "movement_notes")


def anonymise_people(work: Work, people: Sequence[Person], *, by: User | None, reason: str) -> str:
    """Everything about these registrations of one person (a registration and those
    merged into it); returns `reason` without their names."""
    redact = Redactor(names_of(people))
    ids = [p.pk for p in people]
    own_cases = list(Case.objects.filter(person_id__in=ids).values_list("pk", flat=True))
    case_texts(work, own_cases, wipe, files=True)
    _family_texts(work, _households_of(people), redact, own=ids)
    work.rewrite(
        Session.objects.filter(person_id__in=ids).exclude(notes=""),
        ["notes"],
        wipe,
        "session_notes",
    )
    _consents(work, people, by)
    _tracing(work, people, redact)
    work.rewrite(Passenger.objects.filter(person_id__in=ids), ["note"], wipe, "passenger_notes")
    work.rewrite(
        CorrectionRequest.objects.filter(person_id__in=ids),
        ["request", "decision_note"],
        wipe,
        "correction_requests",
    )
    work.rewrite(
        MatchCandidate.objects.filter(Q(person_a_id__in=ids) | Q(person_b_id__in=ids)),
        ["note"],
        redact,
        "duplicate_review_notes",
    )
    organisations = {p.organisation_id for p in people}
    work.rewrite(
        Breach.objects.filter(organisation_id__in=organisations),
        ["description", "containment"],
        redact,
        "breach_texts",
    )
    deleted, _by_model = NameKey.objects.filter(person_id__in=ids).delete()
    work.counts["name_keys_deleted"] += deleted
    # Last: the names above are read from the people as they were.
    for person in people:
        _names_and_birth(work, person)
    return redact(reason)
