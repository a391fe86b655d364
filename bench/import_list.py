"""A 50,000-row registration list (XLSX) through the import's dry run and commit.

Builds a temporary SQLite database with the demo programme (the registry the list is
compared with), writes a list of BENCH_IMPORT_ROWS rows in the person-level layout with
Arabic names (about four people a household), then times the check (reading, place
matching, duplicate detection against the file and the registry) and the commit (one
transaction), and prints the peak memory. Target: dry run + commit within 90 s.
Run with `make bench-import`.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from pathlib import Path

from demo_instance import demo_instance

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
HOUSEHOLDS = int(os.environ.get("BENCH_IMPORT_REGISTRY", "2000"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_list(path: Path, rows: int, seed: int = 7, prefix: str = "BENCH") -> int:
    from openpyxl import Workbook

    from awda.demo import names
    from awda.imports.columns import COLUMNS
    from awda.places.models import Place

    rng = random.Random(seed)
    male = [n[0] for n in names.MALE_FIRST]
    male_weights = [n[2] for n in names.MALE_FIRST]
    female = [n[0] for n in names.FEMALE_FIRST]
    female_weights = [n[2] for n in names.FEMALE_FIRST]
    families = [n[0] for n in names.FAMILY_NAMES_SY]
    family_weights = [n[2] for n in names.FAMILY_NAMES_SY]

    def man() -> str:
        return rng.choices(male, male_weights)[0]

    def woman() -> str:
        return rng.choices(female, female_weights)[0]

    blocks = list(
        Place.objects.filter(kind=Place.Kind.CAMP_BLOCK, pcode__startswith="SY080006-HOL")
        .select_related("parent")
        .values_list("pcode", "parent__pcode")
    )
    origins = list(
        Place.objects.filter(kind=Place.Kind.SUBDISTRICT, country="SY").values_list(
            "pcode", flat=True
        )
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("list")
    sheet.append(list(COLUMNS))
    written = households = 0
    while written < rows:
        households += 1
        size = min(rng.choice([1, 2, 3, 4, 4, 5, 6, 7]), rows - written)
        block, section = rng.choice(blocks)
        origin = rng.choice(origins)
        family = rng.choices(families, family_weights)[0]
        father = man()
        grandfather = man()
        tent = str(rng.randint(1, 400))
        head_year = rng.randint(1950, 2000)
        for index in range(size):
            if index == 0:
                first, sex, year, rel = father, "M", head_year, "head"
                parents = (man(), grandfather)
            elif index == 1:
                first, sex, year, rel = woman(), "F", head_year + rng.randint(0, 8), "spouse"
                parents = (man(), man())
            else:
                sex = rng.choice("MF")
                first = man() if sex == "M" else woman()
                year, rel = min(head_year + rng.randint(18, 30), 2025), "child"
                parents = (father, grandfather)
            sheet.append(
                [
                    f"{prefix}-{households:06d}", "SY080006-HOL", section, block, tent,
                    origin, "", "SY", "2026-01-15", rel, first, parents[0], parents[1], family,
                    "", "", "", "", sex,
                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "exact", "SY",
                    "national_id:held", "", "",
                ]
            )  # fmt: skip
            written += 1
    book.save(path)
    return households


def main() -> None:
    var = demo_instance("awda-import-bench-", households=HOUSEHOLDS)
    from django.db import transaction

    from awda.accounts.models import User
    from awda.imports import services
    from awda.imports.models import ImportBatch
    from awda.registry.models import Person

    user = User.objects.get(username="registrar.a")
    path = Path(var) / "list.xlsx"
    started = time.perf_counter()
    households = write_list(path, ROWS)
    print(
        f"list: {ROWS:,} rows, {households:,} households, {path.stat().st_size / 1e6:.1f} MB "
        f"(written in {time.perf_counter() - started:.1f} s); registry: "
        f"{Person.objects.count():,} people",
        file=sys.stderr,
    )
    before = _peak_mb()
    started = time.perf_counter()
    source, kind, _used, checked = services.check_file(
        path, by=user, organisation=user.organisation, file_name=path.name
    )
    checking = time.perf_counter() - started
    problems = services.all_problems(checked)
    print(f"dry run: {checking:.1f} s, {len(problems):,} problems, peak RSS {_peak_mb():.0f} MB")
    if source is None or kind is None:
        sys.exit(f"the list cannot be read: {problems[:1]}")
    started = time.perf_counter()
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            organisation=user.organisation, created_by=user, file_name=path.name, file_sha256="-"
        )
        result = services.commit_items(
            kind=kind,
            items=checked.items,
            problems=checked.problems,
            batch=batch,
            by=user,
            skip_bad_rows=True,
            import_anyway=set(),
            progress=lambda _p, _m: None,
        )
    committing = time.perf_counter() - started
    print(
        f"commit: {committing:.1f} s, {result['imported']:,} households written, "
        f"{result['skipped_bad']:,} left out; peak RSS {_peak_mb():.0f} MB "
        f"(before the import {before:.0f} MB)"
    )
    total = checking + committing
    print(f"dry run + commit: {total:.1f} s (target 90 s) — {'met' if total <= 90 else 'MISSED'}")


if __name__ == "__main__":
    main()
