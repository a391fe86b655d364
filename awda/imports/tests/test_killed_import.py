"""A crash in the middle of an import: the `awda import` process is killed (SIGKILL) while
its transaction is writing. Nothing of it may remain: no household, no person, no batch,
no submission marked imported, and the audit chain intact.

The process runs against its own SQLite file (WAL mode, as deployed); it is killed once
the write-ahead log has grown by a few hundred kilobytes after the check, i.e. while the
commit's single transaction is half written.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from awda.accounts.models import Organisation
from awda.demo import names
from awda.imports.columns import COLUMNS

KIND = Organisation.Kind.values[0]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AWDA_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'awda.sqlite3'}",
        "SECRET_KEY": "killed-import-test-throwaway-not-a-secret-0123456789",
        "DEBUG": "1",
        "AWDA_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "awda.settings",
    }


def _awda(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "awda", *args],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _big_list(path: Path, households: int) -> None:
    """Households unlike each other (so that the check flags none as already listed):
    family names spelt from the household's number, given names from the demo's lists."""
    letters = "بتثجحخدذرزسشصضطظعغفقكلمنهي"
    men = [n[0] for n in names.MALE_FIRST]
    women = [n[0] for n in names.FEMALE_FIRST]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for number in range(households):
            a, b, c = number % 26, (number // 26) % 26, (number // 676) % 26
            family = "ال" + letters[c] + letters[b] + letters[a] + "ي"
            members = [
                ("head", "M", men[number % len(men)], men[(number * 7) % len(men)], 1960),
                ("spouse", "F", women[number % len(women)], men[(number * 3) % len(men)], 1965),
                ("child", "F", women[(number * 5) % len(women)], men[number % len(men)], 2000),
            ]
            for relationship, sex, first, father, year in members:
                writer.writerow(
                    dict.fromkeys(COLUMNS, "")
                    | {
                        "household_reference": f"K-{number:05d}",
                        "camp": "SY080006-HOL",
                        "household_nationality": "SY",
                        "relationship": relationship,
                        "first_name_ar": first,
                        "father_name_ar": father,
                        "family_name_ar": family,
                        "sex": sex,
                        "date_of_birth": f"{year + number % 20}-{1 + number % 12:02d}-"
                        f"{1 + number % 28:02d}",
                        "dob_precision": "exact",
                        "nationality": "SY",
                    }
                )


def _count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_an_import_killed_while_writing_leaves_nothing_half_written(tmp_path: Path) -> None:
    database = tmp_path / "awda.sqlite3"
    _awda(tmp_path, "migrate", "-v0")
    _awda(tmp_path, "load_places")
    _awda(
        tmp_path,
        "add_organisation",
        "org-k",
        "--name-ar",
        "منظمة",
        "--name-en",
        "Org K",
        "--kind",
        KIND,
    )
    listing = tmp_path / "list.csv"
    _big_list(listing, 4000)
    wal = Path(f"{database}-wal")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "awda", "import", str(listing), "--skip-bad-rows", "-v2"],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # the check's progress, then its summary line
        if "checked in" in line:
            break
    start = wal.stat().st_size if wal.exists() else 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > start + 400_000:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    # The next connection rolls the interrupted transaction back.
    for table in (
        "registry_household",
        "registry_person",
        "registry_membership",
        "imports_importbatch",
        "imports_importedsubmission",
    ):
        assert _count(database, table) == 0, table
    verified = _awda(tmp_path, "audit", "verify")
    assert "intact" in verified.stdout
    # And the same file then imports whole.
    _awda(tmp_path, "import", str(listing), "--skip-bad-rows")
    assert _count(database, "registry_household") == 4000
    assert _count(database, "imports_importedsubmission") == 4000
    assert _count(database, "registry_person") == 12000
