"""Name search: people whose names sound like the query, in either script, ranked, among
those the user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.models import Task
from awda.identity.models import MatchCandidate, Merge, NameKey
from awda.identity.names import coarse, skeleton, strip_article, tokens
from awda.registry.models import Person
from awda.registry.selectors import persons_visible_to

MAX_RESULTS = 200


@dataclass(frozen=True)
class QueryKeys:
    skeletons: frozenset[str]
    coarse: frozenset[str]
    words: tuple[str, ...]

    @classmethod
    def of(cls, query: str) -> QueryKeys:
        words = tuple(tokens(query))
        skeletons = set()
        for word in words:
            for form in {word, strip_article(word)}:
                if skeleton(form):
                    skeletons.add(skeleton(form))
        return cls(frozenset(skeletons), frozenset(coarse(s) for s in skeletons), words)


def person_search_for_user(user: User, query: str, *, limit: int = MAX_RESULTS) -> list[int]:
    """Ids of visible people matching `query`, best first.

    Each query word counts when it shares a skeleton with one of the person's names (in
    Arabic or Latin spelling), and half when only the coarse skeleton agrees. People who
    match every word come first; among equals, an exact spelling of a query word and then
    the most recent registration win."""
    keys = QueryKeys.of(query)
    if not keys.skeletons:
        return []
    wanted = max(1, len(keys.skeletons))
    rows = (
        NameKey.objects.filter(
            Q(kind=NameKey.Kind.SKELETON, key__in=keys.skeletons)
            | Q(kind=NameKey.Kind.COARSE, key__in=keys.coarse)
        )
        .filter(person__in=persons_visible_to(user).filter(merged_into__isnull=True).values("pk"))
        .values("person")
        .annotate(
            exact=Count("key", filter=Q(kind=NameKey.Kind.SKELETON), distinct=True),
            loose=Count("key", filter=Q(kind=NameKey.Kind.COARSE), distinct=True),
        )
        .filter(
            Q(exact__gte=wanted)
            | Q(loose__gte=len(keys.coarse))
            | Q(exact__gte=wanted - 1, exact__gt=0)
        )
        .order_by("-exact", "-loose", "-person")[: limit * 2]
    )
    scored = [(r["exact"] * 2 + r["loose"], r["person"]) for r in rows]
    bonus = _order_and_spelling(keys.words, [pk for _score, pk in scored])
    scored = [(score + bonus.get(pk, 0.0), pk) for score, pk in scored]
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [pk for _score, pk in scored[:limit]]


_PARTS = ("first_name", "father_name", "grandfather_name", "family_name")


def _order_and_spelling(words: tuple[str, ...], ids: list[int]) -> dict[int, float]:
    """People type a name in its order (first, father, grandfather, family): a query
    whose first word is the person's first name, and whose next words follow the rest of
    the name in order, ranks that person above a child who has the same names one place
    along (siblings' father is the query's first name). Exact spellings add a little."""
    fields = [f"{part}_{script}" for part in _PARTS for script in ("ar", "lat")]
    bonus: dict[int, float] = {}
    query = [skeleton(strip_article(w)) for w in words]
    for row in Person.objects.filter(pk__in=ids).values("pk", *fields):
        chain = []
        spelled = set()
        for part in _PARTS:
            sounds = set()
            for script in ("ar", "lat"):
                for token in tokens(row[f"{part}_{script}"]):
                    sounds.add(skeleton(strip_article(token)))
                    spelled.add(strip_article(token))
            chain.append(sounds)
        score = 0.0
        if query and query[0] in chain[0]:
            score += 2.0
            position = 1
            for sound in query[1:]:
                later = [i for i in range(position, len(chain)) if sound in chain[i]]
                if later:
                    score += 0.5
                    position = later[0] + 1
        if all(strip_article(w) in spelled for w in words):
            score += 1.0
        bonus[row["pk"]] = score
    return bonus


def _organisation(user: User) -> int:
    if user.organisation_id is None:
        raise Http404
    return user.organisation_id


def candidates_for_user(user: User) -> QuerySet[MatchCandidate]:
    """Pairs to review that touch the user's organisation. A pair across organisations is
    listed too, but its other side stays hidden (see the template)."""
    if not user.can(Can.REVIEW_DUPLICATES) or user.organisation_id is None:
        return MatchCandidate.objects.none()
    own = user.organisation_id
    return (
        MatchCandidate.objects.filter(
            Q(person_a__organisation_id=own) | Q(person_b__organisation_id=own),
            status=MatchCandidate.Status.PENDING,
        )
        .select_related(
            "person_a", "person_b", "person_a__household", "person_b__household",
            "person_a__organisation", "person_b__organisation",
        )
        .order_by("-score", "pk")
    )  # fmt: skip


def candidate_get_for_user(user: User, pk: int | str) -> MatchCandidate:
    """A pair both of whose registrations belong to the user's organisation, or 404."""
    own = _organisation(user)
    try:
        candidate = MatchCandidate.objects.select_related(
            "person_a", "person_b", "person_a__household", "person_b__household"
        ).get(pk=pk, person_a__organisation_id=own, person_b__organisation_id=own)
    except (MatchCandidate.DoesNotExist, ValueError):
        raise Http404 from None
    if not user.can(Can.REVIEW_DUPLICATES):
        raise Http404
    audit_record(
        actor=user, action=Action.VIEW, obj=candidate.person_a, details={"candidate": candidate.pk}
    )
    audit_record(
        actor=user, action=Action.VIEW, obj=candidate.person_b, details={"candidate": candidate.pk}
    )
    return candidate


def merge_get_for_user(user: User, pk: int | str) -> Merge:
    own = _organisation(user)
    if not user.can(Can.REVIEW_DUPLICATES):
        raise Http404
    try:
        return Merge.objects.select_related("candidate__person_a", "candidate__person_b").get(
            pk=pk, survivor__organisation_id=own, merged__organisation_id=own
        )
    except (Merge.DoesNotExist, ValueError):
        raise Http404 from None


def merges_of(person: Person) -> QuerySet[Merge]:
    """Merges this registration took part in, as survivor or as the one folded in."""
    return Merge.objects.filter(Q(survivor=person) | Q(merged=person)).select_related(
        "survivor", "merged", "merged_by", "undone_by"
    )


def task_get_for_user(user: User, pk: int | str) -> Task:
    try:
        return Task.objects.get(pk=pk, organisation_id=_organisation(user))
    except (Task.DoesNotExist, ValueError):
        raise Http404 from None
