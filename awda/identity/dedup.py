"""Batch duplicate detection of registrations, on Splink (DuckDB, embedded).

Steps:
1. `features`: each registration becomes name keys of both scripts (normalised forms
   and consonant skeletons, see `names`), the nasab re-aligned when the grandfather was
   written into the father's field, and the date of birth split into year, month and
   day with its precision.
2. Blocking: only pairs that share a first-name skeleton and one more strong key (birth
   year, father, or family), or the father, family and full date of birth, are compared.
   Siblings share father, grandfather and family name, so no rule pairs people on the
   family line alone.
3. Scoring: a Fellegi-Sunter model whose comparisons know Arabic names (same spelling,
   same skeleton, close skeleton, the grandfather taken as family name) and dates with
   their precision (day and month swapped, year only, year ±1, a slipped day); u from
   random pairs, m by expectation maximisation.
4. Clusters: connected components of pairs above the match threshold.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jellyfish

from awda.demo.names import FEMALE_FIRST, MALE_FIRST
from awda.identity.names import coarse, family_tokens, is_arabic, normalise, skeleton, tokens

INPUT_COLUMNS = (
    "unique_id",
    "first_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "sex",
    "dob",
    "camp",
    "block",
    "governorate",
    "agency",
)
FEATURE_COLUMNS = (
    "unique_id",
    "script",
    "fn",
    "fn_sk",
    "fn_co",
    "fn_known",
    "fa",
    "fa_sk",
    "fa_co",
    "gf",
    "gf_sk",
    "gf_co",
    "fam",
    "fam_sk",
    "fam_co",
    "sex",
    "dob",
    "birth_year",
    "birth_month",
    "birth_day",
    "block",
    "governorate",
)
# Pairs above this match probability are linked. Tried on registries of 100,000 and
# 1,000,000 (seed 11): F1 is flat between 0.3 and 0.6 at both sizes.
MATCH_PROBABILITY = 0.4

# Common given names, normalised: two of them are two names, however alike their
# skeletons (محمد and محمود, حسن and حسين, عمر and عمار).
KNOWN_GIVEN_NAMES = frozenset(
    "".join(tokens(arabic)) for arabic, _latin, _weight in (*MALE_FIRST, *FEMALE_FIRST)
)


class InputError(Exception):
    """A problem with the input file, naming the row (1 = the header) and column."""


@dataclass
class DedupResult:
    clusters: dict[str, str]
    pairs: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _joined(parts: Iterable[str]) -> str:
    return "".join(parts)


def _dob(value: str, row: int) -> tuple[str | None, int | None, int | None, int | None]:
    value = (value or "").strip()
    if not value:
        return None, None, None, None
    try:
        if len(value) == 4 and value.isdigit():
            return value, int(value), None, None
        year, month, day = (int(x) for x in value.split("-"))
        if not (1 <= month <= 12 and 1 <= day <= 31 and 1880 <= year <= 2100):
            raise ValueError
    except ValueError:
        raise InputError(f"row {row}, column dob: {value!r} is not YYYY-MM-DD or YYYY") from None
    return f"{year:04d}-{month:02d}-{day:02d}", year, month, day


def features(record: dict[str, str], row: int) -> tuple[Any, ...]:
    """The comparison keys of one registration (see module docstring)."""
    first = tokens(record.get("first_name"))
    father = tokens(record.get("father_name"))
    grandfather = tokens(record.get("grandfather_name"))
    family = family_tokens(record.get("family_name"))
    # "father grandfather" written in the father's field
    if len(father) > 1 and not grandfather:
        father, grandfather = father[:1], father[1:2]
    dob, year, month, day = _dob(record.get("dob", ""), row)
    sex = (record.get("sex") or "").strip().upper()[:1] or None

    def key(parts: list[str]) -> tuple[str | None, str | None, str | None]:
        sk = _joined(skeleton(p) for p in parts)
        return _joined(parts) or None, sk or None, coarse(sk) or None

    fn, fn_sk, fn_co = key(first)
    names = " ".join(first + father + grandfather + family)
    script = ("ar" if is_arabic(names) else "lat") if names else None
    fa, fa_sk, fa_co = key(father[:1])
    gf, gf_sk, gf_co = key(grandfather[:1])
    fam, fam_sk, fam_co = key(family)
    return (
        record["unique_id"],
        script,
        fn,
        fn_sk,
        fn_co,
        fn in KNOWN_GIVEN_NAMES if fn else False,
        fa,
        fa_sk,
        fa_co,
        gf,
        gf_sk,
        gf_co,
        fam,
        fam_sk,
        fam_co,
        sex,
        dob,
        year,
        month,
        day,
        (record.get("block") or "").strip() or None,
        normalise(record.get("governorate")) or None,
    )


def read_registrations(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a registrations CSV with their row numbers; errors name the row."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"row {line}: the file is not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("row 1: the file is empty") from None
    missing = [c for c in INPUT_COLUMNS if c not in header]
    if missing:
        raise InputError(f"row 1: missing column(s): {', '.join(missing)}")
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError(f"row {number}: {len(cells)} cells where the header has {len(header)}")
        record = dict(zip(header, cells, strict=True))
        uid = record["unique_id"].strip()
        if not uid:
            raise InputError(f"row {number}, column unique_id: empty")
        if uid in seen:
            raise InputError(f"row {number}, column unique_id: {uid!r} repeats an earlier row")
        seen.add(uid)
        record["unique_id"] = uid
        _dob(record["dob"], number)
        yield number, record


# Each comparison is a list of levels, tried in order: (SQL condition, label, m), where m
# is how often two registrations of one person fall on that level. The m values are set
# from how registration lists differ (the same spelling mostly; another script for one
# agency in eight; a slip now and then), not learnt: in a camp registry the pairs that
# agree on a name are crowded with siblings and namesakes, and expectation maximisation
# learns them as matches. The u values (how often two different people fall on a level)
# are measured on random pairs of the registry itself.
Level = tuple[str, str, float]


def _same(column: str, other: str | None = None) -> str:
    """The same name: the same skeleton, or across scripts the same coarse skeleton."""
    other = other or column
    return (
        f'("{column}_sk_l" = "{other}_sk_r" or '
        f'"script_l" != "script_r" and "{column}_co_l" = "{other}_co_r")'
    )


ACROSS_SCRIPTS = '"script_l" != "script_r"'
FIRST_NAME: list[Level] = [
    ('"fn_sk_l" = "fn_sk_r" and ' + ACROSS_SCRIPTS, "same skeleton across scripts", 0.10),
    # ابراهيم / ابرهيم: one spelling is rare next to the other, a slip of the pen.
    # محمد / محمود, حسن / حسين: both are common, two different names.
    # Known given names never count as slips of each other; otherwise the registry's own
    # counts decide, and a small list is given the benefit of the doubt.
    (
        '"fn_sk_l" = "fn_sk_r" and not ("fn_known_l" and "fn_known_r") and '
        '(least("fn_n_l", "fn_n_r") * 20 <= greatest("fn_n_l", "fn_n_r") '
        'or greatest("fn_n_l", "fn_n_r") < 5)',
        "a rare spelling of the same name",
        0.04,
    ),
    ('"fn_co_l" = "fn_co_r" and ' + ACROSS_SCRIPTS, "close across scripts", 0.02),
    ('"fn_sk_l" = "fn_sk_r"', "two common names, one skeleton", 0.003),
    ('jaro_winkler_similarity("fn_sk_l", "fn_sk_r") >= 0.88', "close skeleton", 0.03),
    (ACROSS_SCRIPTS, "different, across scripts", 0.02),
]
FIRST_NAME_SAME_SPELLING_M = 0.78
FIRST_NAME_OTHER_M = 0.007

GF_FITS = f'("gf_sk_l" is null or "gf_sk_r" is null or {_same("gf")})'
FAMILY_LINE: list[Level] = [
    (f"{_same('fa')} and {_same('fam')} and {GF_FITS}", "father, family (and grandfather)", 0.80),
    (
        f"{_same('fa')} and ({_same('fam', 'gf')} or {_same('gf', 'fam')})",
        "grandfather taken as family",
        0.05,
    ),
    (f"{_same('fa')} and {_same('gf')}", "father and grandfather", 0.03),
    (f"{_same('fa')} and {_same('fam')}", "father and family", 0.02),
    (
        'jaro_winkler_similarity("fa_sk_l", "fa_sk_r") >= 0.88 and '
        'jaro_winkler_similarity("fam_sk_l", "fam_sk_r") >= 0.88',
        "close father and family",
        0.03,
    ),
    (f"{_same('fa')} or {_same('fam')}", "father or family", 0.04),
    # A transliteration can hide the same family; one script cannot.
    (ACROSS_SCRIPTS, "different, across scripts", 0.02),
]
FAMILY_LINE_OTHER_M = 0.01

DATE_OF_BIRTH: list[Level] = [
    ('"dob_l" = "dob_r" and "birth_month_l" is not null', "same date", 0.70),
    (
        '"birth_year_l" = "birth_year_r" and "birth_month_l" = "birth_day_r" '
        'and "birth_day_l" = "birth_month_r"',
        "day and month swapped",
        0.05,
    ),
    (
        '"birth_year_l" = "birth_year_r" and ("birth_month_l" is null or "birth_month_r" is null)',
        "same year, one side year only",
        0.15,
    ),
    (
        'abs("birth_year_l" - "birth_year_r") = 1 and "birth_month_l" = "birth_month_r" '
        'and "birth_day_l" = "birth_day_r"',
        "year one apart, same day",
        0.03,
    ),
    (
        '"birth_year_l" = "birth_year_r" and "birth_month_l" = "birth_month_r" '
        'and (abs("birth_day_l" - "birth_day_r") in (1, 2, 10, 20) '
        'or "birth_day_l" = ("birth_day_r" % 10) * 10 + "birth_day_r" // 10)',
        "same month, a slipped day",
        0.04,
    ),
    (
        '"birth_year_l" = "birth_year_r" and "birth_month_l" = "birth_month_r"',
        "same month, other day",
        0.005,
    ),
    ('"birth_year_l" = "birth_year_r"', "same year", 0.01),
]
DATE_OF_BIRTH_OTHER_M = 0.015


# How often two different people fall on each level (best first, "different" last), as
# measured on a synthetic registry of 100,000 (seed 11). A registry too small to measure
# its own (see SMALL_REGISTRY) is scored with these.
REFERENCE_U: dict[str, list[float]] = {
    "fn": [0.017239, 0.001425, 0.001234, 0.0000503, 0.007606, 0.004539, 0.039475, 0.928432],
    "family_line": [0.00011, 0.001995, 0.004318, 0.000348, 0.000263, 0.069425, 0.033377, 0.890163],
    "sex": [0.499117, 0.500883],
    "dob": [0.0000533, 0.0000182, 0.002483, 0.0000789, 0.000291, 0.001097, 0.015826, 0.980152],
}
SMALL_REGISTRY = 20_000


def _comparison(
    name: str,
    description: str,
    null_sql: str,
    levels: list[Level],
    other_m: float,
    *,
    measured: bool,
    first: Any = None,
) -> Any:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    built = [
        *([first] if first is not None else []),
        *(cll.CustomLevel(sql, label).configure(m_probability=m) for sql, label, m in levels),
        cll.ElseLevel().configure(m_probability=other_m),
    ]
    if not measured:
        built = [
            level.configure(u_probability=u)
            for level, u in zip(built, REFERENCE_U[name], strict=True)
        ]
    return cl.CustomComparison(
        output_column_name=name,
        comparison_description=description,
        comparison_levels=[
            cll.CustomLevel(null_sql, "not recorded").configure(is_null_level=True),
            *built,
        ],
    )


def _comparisons(*, measured: bool = True) -> list[Any]:
    import splink.comparison_level_library as cll

    return [
        _comparison(
            "fn",
            "first name",
            '"fn_sk_l" is null or "fn_sk_r" is null',
            FIRST_NAME,
            FIRST_NAME_OTHER_M,
            measured=measured,
            # A common name (محمد) agreeing is weaker evidence than a rare one.
            first=cll.ExactMatchLevel("fn", term_frequency_adjustments=measured).configure(
                m_probability=FIRST_NAME_SAME_SPELLING_M
            ),
        ),
        # Father, grandfather and family name are one piece of evidence: siblings share
        # all three, and counted as three they would outweigh a different first name and
        # date of birth. Camp block and governorate stay out for the same reason.
        _comparison(
            "family_line",
            "father, grandfather and family name",
            '("fa_sk_l" is null and "fam_sk_l" is null) '
            'or ("fa_sk_r" is null and "fam_sk_r" is null)',
            FAMILY_LINE,
            FAMILY_LINE_OTHER_M,
            measured=measured,
        ),
        _comparison(
            "sex",
            "sex",
            '"sex_l" is null or "sex_r" is null',
            [('"sex_l" = "sex_r"', "same", 0.99)],
            0.01,
            measured=measured,
        ),
        _comparison(
            "dob",
            "date of birth with its precision",
            '"birth_year_l" is null or "birth_year_r" is null',
            DATE_OF_BIRTH,
            DATE_OF_BIRTH_OTHER_M,
            measured=measured,
        ),
    ]


# The labels of each comparison's levels, best first: what a reviewer reads as evidence.
EVIDENCE_LABELS: dict[str, list[str]] = {
    "fn": ["same spelling", *(label for _s, label, _m in FIRST_NAME), "different"],
    "family_line": [*(label for _s, label, _m in FAMILY_LINE), "different"],
    "sex": ["same", "different"],
    "dob": [*(label for _s, label, _m in DATE_OF_BIRTH), "different"],
}


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0


def _level_weights(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Each comparison's levels as (match weight, label), from the trained model."""
    weights: dict[str, list[tuple[float, str]]] = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        if name not in EVIDENCE_LABELS:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        weights[name] = [
            (math.log2(lv["m_probability"] / lv["u_probability"]), label)
            for lv, label in zip(levels, EVIDENCE_LABELS[name], strict=True)
            if _positive(lv.get("m_probability")) and _positive(lv.get("u_probability"))
        ]
    return weights


def _evidence(
    weights: tuple[Any, ...], levels: dict[str, list[tuple[float, str]]]
) -> dict[str, dict[str, Any]]:
    """Per field, the level the pair fell on and the weight it gave (bits: log2 of the
    Bayes factor; positive speaks for one person, negative against)."""
    evidence = {}
    for name, weight in zip(EVIDENCE_LABELS, weights, strict=True):
        if weight is None or weight == 0:
            evidence[name] = {"level": "not recorded", "weight": 0.0}
            continue
        label = min(levels.get(name, []), key=lambda lv: abs(lv[0] - weight), default=(0, "?"))[1]
        evidence[name] = {"level": label, "weight": round(float(weight), 1)}
    return evidence


def _settings(*, keep_evidence: bool = False, measured: bool = True) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(measured=measured),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=keep_evidence,
        retain_matching_columns=False,
    )


def _blocking_rules() -> list[Any]:
    from splink import block_on

    # Each rule pairs people who share the first name's skeleton and two more keys, or the
    # whole family line and a date; together they reach about 99% of true pairs while a
    # million registrations give about 50 million comparisons.
    return [
        block_on("fn_sk", "fa_sk", "birth_year"),
        block_on("fn_sk", "fam_sk", "birth_year"),
        block_on("fn_sk", "fa_sk", "fam_sk"),  # the year is one off
        block_on("fn_sk", "gf_sk", "fam_sk"),  # a slip in the father's name
        block_on("fn_sk", "dob"),
        block_on("fa_sk", "fam_sk", "dob"),  # a slip in the first name
        block_on("fa_sk", "gf_sk", "fam_sk", "birth_year"),  # a slip and a vague date
        block_on("fn_co", "fa_co", "fam_co"),  # across scripts
        block_on("fn_co", "fam_co", "birth_year"),
    ]


@dataclass(frozen=True, slots=True)
class Keys:
    """What the clustering checks before it puts two registrations in one person."""

    fn_sk: str | None
    fn_co: str | None
    gf_sk: str | None
    fam_sk: str | None
    script: str | None
    year: int | None
    month: int | None
    day: int | None

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Keys:
        f = dict(zip(FEATURE_COLUMNS, row, strict=True))
        return cls(
            f["fn_sk"],
            f["fn_co"],
            f["gf_sk"],
            f["fam_sk"],
            f["script"],
            f["birth_year"],
            f["birth_month"],
            f["birth_day"],
        )


def _slipped_day(a: int | None, b: int | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) in (0, 1, 2, 10, 20) or a == (b % 10) * 10 + b // 10


def compatible(a: Keys, b: Keys) -> bool:
    """Could these be one person at all? Two full dates of birth that no slip of the pen
    relates, two first names that sound different, or two grandfathers written in one
    script that differ, say no."""
    if a.year is not None and b.year is not None:
        if a.month is None or b.month is None:
            if abs(a.year - b.year) > 1:
                return False
        elif not (
            (a.year, a.month, a.day) == (b.year, b.month, b.day)
            or (a.year == b.year and a.month == b.day and a.day == b.month)
            or (a.year == b.year and a.month == b.month and _slipped_day(a.day, b.day))
            or (abs(a.year - b.year) == 1 and (a.month, a.day) == (b.month, b.day))
        ):
            return False
    if a.gf_sk and b.gf_sk and a.script == b.script and a.gf_sk != b.gf_sk:
        shifted = a.gf_sk == b.fam_sk or b.gf_sk == a.fam_sk
        if not shifted and jellyfish.jaro_winkler_similarity(a.gf_sk, b.gf_sk) < 0.8:
            return False
    if a.fn_sk and b.fn_sk and a.fn_sk != b.fn_sk:
        same_sound = a.script != b.script and a.fn_co == b.fn_co
        return same_sound or jellyfish.jaro_winkler_similarity(a.fn_sk, b.fn_sk) >= 0.88
    return True


# Nobody is registered this many times; a bigger cluster is a chain of namesakes.
MAX_REGISTRATIONS = 8


def cluster(pairs: Iterable[tuple[str, str, float]], keys: dict[str, Keys]) -> dict[str, str]:
    """People from scored pairs, strongest first (single linkage), refusing any merge that
    would put two registrations that cannot be one person into the same cluster. Plain
    connected components let one vague record (a year of birth, a Latin spelling) chain
    many namesakes together."""
    parent: dict[str, str] = {}
    members: dict[str, list[str]] = {}

    def root(uid: str) -> str:
        while parent.get(uid, uid) != uid:
            parent[uid] = parent.get(parent[uid], parent[uid])
            uid = parent[uid]
        return uid

    for left, right, _weight in pairs:
        a, b = root(left), root(right)
        if a == b:
            continue
        group_a, group_b = members.get(a, [a]), members.get(b, [b])
        if len(group_a) + len(group_b) > MAX_REGISTRATIONS:
            continue
        if all(compatible(keys[x], keys[y]) for x in group_a for y in group_b):
            if len(group_a) < len(group_b):
                a, b, group_a, group_b = b, a, group_b, group_a
            parent[b] = a
            members[a] = group_a + group_b
            members.pop(b, None)
    return {uid: group[0] for group in members.values() for uid in group}


def find_duplicates(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    threads: int = 2,
    threshold: float = MATCH_PROBABILITY,
    memory_limit: str = "4GB",
    keep_pairs: bool = False,
) -> DedupResult:
    """Cluster registrations that are the same person; every input id gets a cluster.
    With `keep_pairs`, also the scored pairs inside clusters with their evidence."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    _ARROW_TYPES = {
        "birth_year": pa.int32(),
        "birth_month": pa.int32(),
        "birth_day": pa.int32(),
        "fn_known": pa.bool_(),
    }
    timings: dict[str, float] = {}
    started = time.perf_counter()
    feature_rows = [features(record, number) for number, record in rows]
    ids = [r[0] for r in feature_rows]
    columns: list[tuple[Any, ...]] = (
        list(zip(*feature_rows, strict=True)) if feature_rows else [() for _ in FEATURE_COLUMNS]
    )
    table = pa.table(
        {
            name: pa.array(values, type=_ARROW_TYPES.get(name, pa.string()))
            for name, values in zip(FEATURE_COLUMNS, columns, strict=True)
        }
    )
    timings["features"] = time.perf_counter() - started
    if len(feature_rows) < 2:
        return DedupResult(clusters={uid: uid for uid in ids}, timings=timings)

    count = len(ids)
    keys = {row[0]: Keys.of(row) for row in feature_rows}
    del feature_rows, columns  # the Arrow table holds them now
    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    # DuckDB spills to disk past this, which keeps a million registrations under 8 GiB.
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute("SET preserve_insertion_order = false")
    # Only what the model reads goes into the database: names' keys, sex and the date.
    table = table.drop_columns(["fa", "gf", "fam", "block", "governorate"])
    connection.register("registrations_arrow", table)
    # How many registrations carry each first-name spelling (for the rare-spelling level).
    connection.execute(
        "CREATE TABLE registrations AS SELECT *, count(*) OVER (PARTITION BY fn) AS fn_n "
        "FROM registrations_arrow"
    )
    api = DuckDBAPI(connection=connection)
    source = api.register("registrations", dataset_display_name="registrations")
    measured = count >= SMALL_REGISTRY
    settings = _settings(keep_evidence=keep_pairs, measured=measured)
    linker = Linker(source, settings, log_level="WARNING")
    started = time.perf_counter()
    # Expect, as registries show, about one duplicate registration in ten; a large
    # registry measures its own rate from the pairs that agree on everything.
    prior = 0.1 / max(count - 1, 1)
    if measured:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("fn_sk", "fa_sk", "fam_sk", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        prior = linker._settings_obj._probability_two_random_records_match
    linker._settings_obj._probability_two_random_records_match = prior
    timings["training"] = time.perf_counter() - started
    started = time.perf_counter()
    # Large registries are scored in slices, so that memory stays flat.
    chunks = max(1, count // 250_000)
    predictions = linker.inference.predict(
        threshold_match_probability=threshold,
        num_chunks_left=chunks,
        num_chunks_right=1,
        # A small list cannot fill every level from random pairs; the defaults stand in.
        warning_mode="never",
    )
    # The table name comes from Splink, not from input.
    evidence_columns = "".join(f", mw_{name}" for name in EVIDENCE_LABELS if keep_pairs)
    query = (
        "SELECT unique_id_l, unique_id_r, match_weight, match_probability"  # noqa: S608
        f"{evidence_columns} FROM {predictions.physical_name} ORDER BY match_weight DESC"
    )
    scored = connection.execute(query).fetchall()
    pairs = [(row[0], row[1], row[2]) for row in scored]
    timings["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    clusters = cluster(pairs, keys)
    timings["cluster"] = time.perf_counter() - started
    if keep_pairs:
        level_weights = _level_weights(linker.misc.save_model_to_json())
        result_pairs = [
            {
                "left": row[0],
                "right": row[1],
                "probability": row[3],
                "evidence": _evidence(row[4:], level_weights),
            }
            for row in scored
            if clusters.get(row[0], row[0]) == clusters.get(row[1], row[1])
        ]
    else:
        result_pairs = []
    return DedupResult(
        clusters={uid: clusters.get(uid, uid) for uid in ids},
        pairs=result_pairs,
        timings=timings,
    )


def dedup_file(source: Path, output: Path, *, threads: int = 2) -> DedupResult:
    result = find_duplicates(read_registrations(source), threads=threads)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unique_id", "cluster_id"])
        writer.writerows(result.clusters.items())
    return result
