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
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
MATCH_THRESHOLD = 0.9


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
        yield number, record


def _first_name_comparison() -> Any:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    return cl.CustomComparison(
        output_column_name="fn",
        comparison_description="first name",
        comparison_levels=[
            cll.NullLevel("fn_sk"),
            # A common name (محمد) agreeing is weaker evidence than a rare one.
            cll.ExactMatchLevel("fn", term_frequency_adjustments=True),
            cll.CustomLevel(
                '"fn_sk_l" = "fn_sk_r" and "script_l" != "script_r"',
                label_for_charts="same skeleton across scripts",
            ),
            # ابراهيم / ابرهيم: one spelling is rare next to the other, a slip of the pen.
            # محمد / محمود, حسن / حسين: both are common, two different names.
            cll.CustomLevel(
                '"fn_sk_l" = "fn_sk_r" '
                'and least("fn_n_l", "fn_n_r") * 20 <= greatest("fn_n_l", "fn_n_r")',
                label_for_charts="a rare spelling of the same name",
            ),
            cll.CustomLevel(
                '"fn_co_l" = "fn_co_r" and "script_l" != "script_r"',
                label_for_charts="close across scripts",
            ),
            cll.CustomLevel('"fn_sk_l" = "fn_sk_r"', label_for_charts="two names, one skeleton"),
            cll.CustomLevel(
                'jaro_winkler_similarity("fn_sk_l", "fn_sk_r") >= 0.88',
                label_for_charts="close skeleton",
            ),
            cll.ElseLevel(),
        ],
    )


def _same(column: str, other: str | None = None) -> str:
    """The same name: the same skeleton, or across scripts the same coarse skeleton."""
    other = other or column
    return (
        f'("{column}_sk_l" = "{other}_sk_r" or '
        f'"script_l" != "script_r" and "{column}_co_l" = "{other}_co_r")'
    )


def _family_line_comparison() -> Any:
    """Father, grandfather and family name as one piece of evidence.

    Siblings share all three: counted as three independent agreements they would
    outweigh a different first name and date of birth. Together they say "the same
    family", which is what they are evidence of."""
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    gf_fits = f'("gf_sk_l" is null or "gf_sk_r" is null or {_same("gf")})'
    gf_as_family = f"({_same('fam', 'gf')} or {_same('gf', 'fam')})"
    return cl.CustomComparison(
        output_column_name="family_line",
        comparison_description="father, grandfather and family name",
        comparison_levels=[
            cll.CustomLevel(
                '"fa_sk_l" is null and "fam_sk_l" is null '
                'or "fa_sk_r" is null and "fam_sk_r" is null',
                label_for_charts="not recorded",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                f"{_same('fa')} and {_same('fam')} and {gf_fits}",
                "father, family (and grandfather)",
            ),
            cll.CustomLevel(f"{_same('fa')} and {gf_as_family}", "grandfather taken as family"),
            cll.CustomLevel(f"{_same('fa')} and {_same('gf')}", "father and grandfather"),
            cll.CustomLevel(f"{_same('fa')} and {_same('fam')}", "father and family"),
            cll.CustomLevel(
                'jaro_winkler_similarity("fa_sk_l", "fa_sk_r") >= 0.88 and '
                'jaro_winkler_similarity("fam_sk_l", "fam_sk_r") >= 0.88',
                "close father and family",
            ),
            cll.CustomLevel(f"{_same('fa')} or {_same('fam')}", "father or family"),
            cll.ElseLevel(),
        ],
    )


def _place_comparison() -> Any:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    return cl.CustomComparison(
        output_column_name="place",
        comparison_description="camp block and governorate of origin",
        comparison_levels=[
            cll.CustomLevel(
                '"block_l" is null or "block_r" is null', label_for_charts="not recorded"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("block"),
            cll.ExactMatchLevel("governorate"),
            cll.ElseLevel(),
        ],
    )


# How often one person's two registrations show each relation between their dates of
# birth: set from what registration teams report, not learnt, because in the pairs that
# agree on every name, from which the model learns, same-named siblings (different dates)
# are too many.
DOB_M = {
    "same date": 0.70,
    "day and month swapped": 0.05,
    "same year, one side year only": 0.15,
    "year one apart, same day": 0.03,
    "same month, other day": 0.04,
    "same year": 0.01,
    "other": 0.02,
}


def _dob_comparison() -> Any:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    levels = [
        ('"dob_l" = "dob_r" and "birth_month_l" is not null', "same date"),
        (
            '"birth_year_l" = "birth_year_r" and "birth_month_l" = "birth_day_r" '
            'and "birth_day_l" = "birth_month_r"',
            "day and month swapped",
        ),
        (
            '"birth_year_l" = "birth_year_r" '
            'and ("birth_month_l" is null or "birth_month_r" is null)',
            "same year, one side year only",
        ),
        (
            'abs("birth_year_l" - "birth_year_r") = 1 and "birth_month_l" = "birth_month_r" '
            'and "birth_day_l" = "birth_day_r"',
            "year one apart, same day",
        ),
        (
            '"birth_year_l" = "birth_year_r" and "birth_month_l" = "birth_month_r"',
            "same month, other day",
        ),
        ('"birth_year_l" = "birth_year_r"', "same year"),
    ]
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth with its precision",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            *(
                cll.CustomLevel(sql, label).configure(m_probability=DOB_M[label])
                for sql, label in levels
            ),
            cll.ElseLevel().configure(m_probability=DOB_M["other"]),
        ],
    )


def _settings() -> Any:
    from splink import SettingsCreator
    from splink import comparison_library as cl

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _first_name_comparison(),
            _family_line_comparison(),
            cl.ExactMatch("sex"),
            _dob_comparison(),
        ],
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _blocking_rules() -> list[Any]:
    from splink import block_on

    return [
        block_on("fn_sk", "birth_year"),
        block_on("fn_sk", "fa_sk"),
        block_on("fn_sk", "fam_sk"),
        block_on("fa_sk", "fam_sk", "dob"),
        # a slip in the first name and an imprecise date at once
        block_on("fa_sk", "gf_sk", "fam_sk", "birth_year"),
    ]


def find_duplicates(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    threads: int = 2,
    threshold: float = MATCH_THRESHOLD,
) -> DedupResult:
    """Cluster registrations that are the same person; every input id gets a cluster."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    timings: dict[str, float] = {}
    started = time.perf_counter()
    feature_rows = [features(record, number) for number, record in rows]
    ids = [r[0] for r in feature_rows]
    columns: list[tuple[Any, ...]] = (
        list(zip(*feature_rows, strict=True)) if feature_rows else [() for _ in FEATURE_COLUMNS]
    )
    table = pa.table(
        {
            name: pa.array(values, type=pa.int32() if name.startswith("birth_") else pa.string())
            for name, values in zip(FEATURE_COLUMNS, columns, strict=True)
        }
    )
    timings["features"] = time.perf_counter() - started
    if len(feature_rows) < 2:
        return DedupResult(clusters={uid: uid for uid in ids}, timings=timings)

    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET preserve_insertion_order = false")
    connection.register("registrations_arrow", table)
    # How many registrations carry each first-name spelling (for the rare-spelling level).
    connection.execute(
        "CREATE TABLE registrations AS SELECT *, count(*) OVER (PARTITION BY fn) AS fn_n "
        "FROM registrations_arrow"
    )
    api = DuckDBAPI(connection=connection)
    source = api.register("registrations", dataset_display_name="registrations")
    linker = Linker(source, _settings(), log_level="WARNING")
    started = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("fn_sk", "fa_sk", "fam_sk", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    # Pairs born the same day hold few siblings (twins only): the names, sex and place
    # are learnt from them. The date's own weights are set above (DOB_M).
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    timings["training"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    # The table name comes from Splink, not from input.
    query = f"SELECT unique_id, cluster_id FROM {clusters.physical_name}"  # noqa: S608
    found = dict(connection.execute(query).fetchall())
    timings["predict_and_cluster"] = time.perf_counter() - started
    return DedupResult(
        clusters={uid: str(found.get(uid, uid)) for uid in ids},
        timings=timings,
    )


def dedup_file(source: Path, output: Path, *, threads: int = 2) -> DedupResult:
    result = find_duplicates(read_registrations(source), threads=threads)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unique_id", "cluster_id"])
        writer.writerows(result.clusters.items())
    return result
