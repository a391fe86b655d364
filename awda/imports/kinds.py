"""What an import brings in: registrations (households with their members, the engine's
own kind, awda/imports/registration.py) or the submissions of another Awda form collected
offline (reintegration surveys, MHPSS screenings, case assessments — awda/collect). A kind
checks a source into a plan and problems, without writing anything, and commits a plan.

The engine (awda/imports/services.py) owns the batch, the transaction, idempotency on
submission ids (it skips submissions already imported before asking the kind), the
progress bar and the report; a kind only reads, checks and writes its own records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from awda.accounts.models import Organisation, User
from awda.imports.sources import Source, SourceRow

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, where a person finds it: row N (the header is row 1),
    the column as headed in the file, what is wrong, the value (cut to 60 characters) and
    what to do about it."""

    row: int
    column: str
    problem: str
    value: str = ""
    suggestion: str = ""
    # A member row's sheet or file ("members", "form-members.csv"); "" for the main one.
    sheet: str = ""
    # "duplicate" for a row that looks like someone already registered or listed: the
    # person importing may decide to bring it in anyway; "" for a plain problem.
    code: str = ""

    def line(self) -> str:
        where = f"row {self.row}" + (f" ({self.sheet})" if self.sheet else "")
        text = f"{where}: {self.column + ': ' if self.column else ''}{self.problem}"
        if self.value:
            text += f" [{self.value}]"
        if self.suggestion:
            text += f" — {self.suggestion}"
        return text


@dataclass
class Item:
    """One unit the commit writes or skips as a whole: a household with its members, or
    one submission. `rows` are the file's row numbers it came from."""

    rows: list[int]
    submission_id: str
    data: dict[str, Any]  # JSON-serialisable: the plan is stored between check and commit
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Checked:
    items: list[Item]
    # Problems not tied to an item (a missing required column, ...): they block the batch.
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # counts for the page


class ImportKind(Protocol):
    code: str  # "registration", "survey", "screening", "assessment"

    def matches(self, source: Source) -> bool:
        """Whether the source is this kind's (by its form id, or its columns)."""

    def check(
        self,
        source_rows: Iterable[SourceRow],
        source: Source,
        *,
        by: User | None,
        organisation: Organisation | None,
        mapping: dict[str, str],
        progress: Progress,
    ) -> Checked:
        """Read every row, never write. `mapping` is file header -> field, from the
        batch's template or the kind's own guess. `by` is None and `organisation` may be
        None on the command line (a dry run over the whole registry); `guess_mapping`
        gives a kind's own guess."""

    def commit(
        self,
        items: list[Item],
        *,
        by: User | None,
        organisation: Organisation,
        batch_pk: int,
        progress: Progress,
    ) -> dict[str, Any]:
        """Write the items (all already free of problems) inside the engine's transaction;
        return {"created": {model label: [pks]}, ...} so that a rollback can undo them."""

    def rollback(self, created: dict[str, list[int]], *, by: User | None) -> None:
        """Undo a committed batch, or raise ValidationError saying which record has been
        used or changed since (and leave everything as it was)."""

    def guess_mapping(self, source: Source) -> dict[str, str]:
        """The file's header -> field, for the headers the kind recognises."""


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    KINDS[kind.code] = kind
    return kind
