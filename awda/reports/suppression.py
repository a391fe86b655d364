"""Small-cell suppression for published counts.

Primary suppression hides every count from 1 to 4 (shown "<5"). Secondary suppression
then makes sure no hidden count can be worked out from the published totals: a group is
a total and the parts that add up to it (a table's column and its total row; a camp's
count and the 4W cells of that camp), and every group is checked on its own, the way
a reader with a pencil would: knowing that a "<5" cell is 1 to 4 and that a cell hidden
by this step is at least 5 (shown "≥5"), can any hidden member of the group be pinned
to one value? If so, the smallest visible non-zero part (or else the total) is hidden
too, and the groups are checked again until none changes. Zeros stay visible: a zero
says nobody, which identifies nobody.

This is the usual heuristic of statistical offices (a single hidden cell per line is
never enough); it checks each group alone, not systems of groups solved together."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL_CELL = 5
# An upper bound for "at least 5": larger than any count Awda will ever hold.
_UNBOUNDED = 10**12


@dataclass(frozen=True)
class Group:
    """`total` is the sum of `parts` (the total need not be shown: a sum anyone can make
    from a fully shown breakdown is published all the same)."""

    total: Hashable
    parts: tuple[Hashable, ...]


def group(total: Hashable, parts: Iterable[Hashable]) -> Group:
    return Group(total, tuple(parts))


def is_small(count: int) -> bool:
    return 0 < count < SMALL_CELL


def _range(count: int) -> tuple[int, int]:
    """What a reader knows of a hidden cell: "<5" is 1 to 4, "≥5" is 5 or more."""
    return (1, SMALL_CELL - 1) if is_small(count) else (SMALL_CELL, _UNBOUNDED)


def _pinned(values: Mapping[Hashable, int], hidden: set[Hashable], g: Group) -> bool:
    """Whether a hidden member of the group has a single possible value, given the shown
    ones. The group says total - sum(parts) = 0: with the shown terms moved to the right,
    sum(a_i * x_i) over the hidden terms equals a known number; each hidden x_i lies in
    its range, and x_j is bounded by the ranges of the others."""
    terms = [(1, g.total), *((-1, part) for part in g.parts)]
    unknown = [(a, key) for a, key in terms if key in hidden]
    if not unknown:
        return False
    known = -sum(a * values.get(key, 0) for a, key in terms if key not in hidden)
    for j, (a_j, key_j) in enumerate(unknown):
        low = high = 0  # the range of sum(a_i * x_i) over the other hidden terms
        for i, (a_i, key_i) in enumerate(unknown):
            if i == j:
                continue
            lo, hi = _range(values.get(key_i, 0))
            low, high = (low + lo, high + hi) if a_i > 0 else (low - hi, high - lo)
        # a_j * x_j = known - others
        candidates = (known - high, known - low)
        lo_j, hi_j = candidates if a_j > 0 else (-candidates[1], -candidates[0])
        own_lo, own_hi = _range(values.get(key_j, 0))
        if max(lo_j, own_lo) == min(hi_j, own_hi):
            return True
    return False


def _complement(values: Mapping[Hashable, int], hidden: set[Hashable], g: Group) -> Hashable | None:
    """The smallest shown non-zero part, or else the total: the least information lost."""
    shown = [p for p in g.parts if p not in hidden and values.get(p, 0) > 0]
    if shown:
        return min(shown, key=lambda p: values.get(p, 0))
    if g.total not in hidden and values.get(g.total, 0) > 0:
        return g.total
    return None


def suppressed(values: Mapping[Hashable, int], groups: Sequence[Group]) -> set[Hashable]:
    """The keys of `values` to hide: every small count, and what protects them."""
    hidden = {key for key, count in values.items() if is_small(count)}
    if not hidden:
        return hidden
    changed = True
    while changed:
        changed = False
        for g in groups:
            while _pinned(values, hidden, g):
                extra = _complement(values, hidden, g)
                if extra is None:
                    break
                hidden.add(extra)
                changed = True
    return hidden
