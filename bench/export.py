"""`awda export persons` on a million people, with flat memory (issue 6: export memory
≤ 300 MB RSS whatever the size).

Builds a throwaway SQLite instance (migrated, places loaded), writes N people (1,000,000
by default) in households of five with raw `INSERT ... SELECT` over a recursive CTE (a
minute, not an hour of ORM saves) — a third with a national ID recorded, one in fifty
with a specific need — then runs, each as its own process as an operator would:

- `awda export persons --org bench --output people.csv` (the person-level CSV);
- `awda export persons ... --encrypt --password-file F` (the AES-256 ZIP), unless
  `--csv-only`;

and prints for each the rows, the wall time, the output's size and the process's peak
resident memory (ru_maxrss of the process, from wait4).

    .venv/bin/python bench/export.py [--rows N] [--csv-only]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TARGET_MB = 300
HOUSEHOLD_SIZE = 5

POPULATE = """
import django
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from awda.accounts.models import Organisation
from awda.places.models import Place

rows = {rows}
households = (rows + {size} - 1) // {size}
org = Organisation.objects.create(slug="bench", name_ar="منظمة", name_en="Bench", kind="nngo")
pk = {{p.pcode: p.pk for p in Place.objects.filter(pcode__in=[
    "SY080006-HOL", "SY080006-HOL-P2", "SY080006-HOL-P2-B03", "IQG01Q01N01", "SY020000"])}}
now = timezone.now().isoformat(sep=" ")
first_ar = ["فاطمة", "أحمد", "زينب", "محمد", "مريم", "علي", "هدى", "خالد", "سلمى", "عمر"]
family_ar = ["الجبوري", "الدليمي", "العبيدي", "الشمري", "الزبيدي", "الحسيني", "التميمي"]
first_lat = ["Fatima", "Ahmad", "Zainab", "Mohammed", "Maryam", "Ali", "Huda", "Khalid"]
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE fa(k INTEGER PRIMARY KEY, ar TEXT)")
    cursor.executemany("INSERT INTO fa VALUES (%s, %s)", list(enumerate(first_ar)))
    cursor.execute("CREATE TEMP TABLE fm(k INTEGER PRIMARY KEY, ar TEXT)")
    cursor.executemany("INSERT INTO fm VALUES (%s, %s)", list(enumerate(family_ar)))
    cursor.execute("CREATE TEMP TABLE fl(k INTEGER PRIMARY KEY, lat TEXT)")
    cursor.executemany("INSERT INTO fl VALUES (%s, %s)", list(enumerate(first_lat)))
    cursor.execute(
        '''
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %s)
        INSERT INTO registry_household (organisation_id, reference, camp_id, camp_section_id,
            camp_block_id, tent, origin_id, destination_id, nationality, status,
            registered_on, registered_by_id, version, created_at, updated_at)
        SELECT %s, 'B-' || i, %s, %s, %s, CAST(i %% 400 AS TEXT), %s,
            CASE WHEN i %% 3 = 0 THEN %s END, CASE WHEN i %% 4 = 0 THEN 'SY' ELSE 'IQ' END,
            'registered', date('2019-01-01', '+' || (i %% 2000) || ' days'), NULL, 1, %s, %s
        FROM n
        ''',
        [households, org.pk, pk["SY080006-HOL"], pk["SY080006-HOL-P2"],
         pk["SY080006-HOL-P2-B03"], pk["IQG01Q01N01"], pk["SY020000"], now, now],
    )
    cursor.execute("SELECT MIN(id) FROM registry_household WHERE organisation_id = %s", [org.pk])
    first_household = cursor.fetchone()[0]
    cursor.execute(
        '''
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %s)
        INSERT INTO registry_person (organisation_id, household_id, relationship,
            first_name_ar, father_name_ar, grandfather_name_ar, family_name_ar,
            first_name_lat, father_name_lat, grandfather_name_lat, family_name_lat,
            sex, date_of_birth, dob_precision, nationality, merged_into_id, version,
            created_by_id, created_at, updated_at)
        SELECT %s, %s + i / {size}, CASE WHEN i %% {size} = 0 THEN 'head' ELSE 'child' END,
            fa.ar, fb.ar, fc.ar, fm.ar, fl.lat, '', '', 'Al-Jubouri',
            CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END,
            date('1950-01-01', '+' || ((i * 37) %% 25000) || ' days'),
            CASE WHEN i %% 7 = 0 THEN 'year' ELSE 'exact' END, '', NULL, 1, NULL, %s, %s
        FROM n
        JOIN fa ON fa.k = i %% 10 JOIN fa AS fb ON fb.k = (i / 10) %% 10
        JOIN fa AS fc ON fc.k = (i / 100) %% 10 JOIN fm ON fm.k = i %% 7
        JOIN fl ON fl.k = i %% 8
        ''',
        [rows, org.pk, first_household, now, now],
    )
    cursor.execute(
        '''
        INSERT INTO registry_civildocument (person_id, kind, status)
        SELECT id, 'national_id', 'held' FROM registry_person
        WHERE organisation_id = %s AND id %% 3 = 0
        ''',
        [org.pk],
    )
    cursor.execute(
        '''
        INSERT INTO registry_specificneed (person_id, code)
        SELECT id, 'DS' FROM registry_person WHERE organisation_id = %s AND id %% 50 = 0
        ''',
        [org.pk],
    )
print(households)
"""


def run(label: str, env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run `awda *args` as its own process: wall seconds, peak RSS in MB, its output."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [PYTHON, "-m", "awda", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None  # noqa: S101
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed")
    return seconds, usage.ru_maxrss // 1024, output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="people to export")
    parser.add_argument("--csv-only", action="store_true", help="skip the encrypted ZIP")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="awda-export-bench-"))
    try:
        measure(work, options.rows, encrypted=not options.csv_only)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, rows: int, *, encrypted: bool) -> None:
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "AWDA_VAR_DIR": str(work),
        # A throwaway instance: the demo's settings (keys derived from SECRET_KEY).
        "AWDA_DEMO": "1",
    }
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    run("migrate", env, "migrate", "--noinput", "-v0")
    run("load_places", env, "load_places")
    subprocess.run(  # noqa: S603
        [PYTHON, "-c", POPULATE.format(rows=rows, size=HOUSEHOLD_SIZE)],
        env={**env, "DJANGO_SETTINGS_MODULE": "awda.settings"},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    database = work / "awda.sqlite3"
    print(
        f"{rows:,} people in {(rows + HOUSEHOLD_SIZE - 1) // HOUSEHOLD_SIZE:,} households "
        f"written in {time.perf_counter() - started:.0f} s "
        f"(SQLite file {database.stat().st_size / 1e6:.0f} MB)",
        file=sys.stderr,
    )
    results: list[tuple[str, int | None, float, int, int, str]] = []
    output = work / "people.csv"
    seconds, peak, said = run(
        "export", env, "export", "persons", "--org", "bench", "--output", str(output)
    )
    with output.open("rb") as file:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    results.append(("CSV", newlines - 1, seconds, output.stat().st_size, peak, said))
    output.unlink()
    if encrypted:
        secret = work / "password"
        secret.write_text(secrets.token_urlsafe(24) + "\n")
        secret.chmod(0o600)
        output = work / "people.zip"
        seconds, peak, said = run(
            "export (encrypted)",
            env,
            *("export", "persons", "--org", "bench", "--output", str(output)),
            *("--encrypt", "--password-file", str(secret)),
        )
        results.append(("AES-256 ZIP of the CSV", None, seconds, output.stat().st_size, peak, said))
    for label, lines, seconds, size, peak, said in results:
        verdict = "within" if peak <= TARGET_MB else "OVER"
        counted = f"{lines:,} rows, " if lines is not None else ""
        print(
            f"awda export persons, {label}: {counted}{seconds:.1f} s, "
            f"{size / 1e6:.1f} MB written, peak RSS {peak} MB "
            f"({verdict} the {TARGET_MB} MB target) — {said}"
        )
        if lines is not None and lines != rows:
            raise SystemExit(f"expected {rows} rows, the file has {lines}")


if __name__ == "__main__":
    main()
