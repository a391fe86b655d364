"""`awda backup` and `awda restore` on the demo programme (SQLite, as `make demo` runs it).

Builds the demo in a throwaway folder (BENCH_BACKUP_HOUSEHOLDS households, 2,000 as in
`make demo`; BENCH_BACKUP_FILES_MB of attached files on top, none by default), then runs
`awda backup`, `awda restore --check` and `awda restore` into a second, freshly migrated
instance, each as its own process, and prints the wall time, the archive's size and each
process's peak resident memory.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOUSEHOLDS = int(os.environ.get("BENCH_BACKUP_HOUSEHOLDS", "2000"))
FILES_MB = int(os.environ.get("BENCH_BACKUP_FILES_MB", "0"))
ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def run(label: str, env: dict[str, str], *args: str) -> tuple[float, int]:
    """Run `awda *args`; its wall time in seconds and its peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [PYTHON, "-m", "awda", *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed")
    return seconds, usage.ru_maxrss // 1024


def populate(env: dict[str, str]) -> None:
    script = f"""
import django
django.setup()
from awda.demo.generate import load_demo
load_demo(households={HOUSEHOLDS}, password={secrets.token_urlsafe(16)!r})
if {FILES_MB}:
    import os
    from awda.accounts.models import User
    from awda.cases.models import Case
    from awda.cases.services import attachment_add
    user = User.objects.get(username="caseworker.a")
    case = Case.objects.filter(organisation=user.organisation).first()
    for number in range({FILES_MB} // 2):
        content = b"%PDF-1.4\\n" + os.urandom(2 * 1024 * 1024 - 9)
        attachment_add(by=user, case=case, title=f"scan {{number}}", content=content)
"""
    subprocess.run(  # noqa: S603
        [PYTHON, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "awda.settings"},
        cwd=ROOT,
        check=True,
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="awda-backup-bench-"))
    try:
        measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path) -> None:
    base = {
        **os.environ,
        "AWDA_DEMO": "1",
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    base.pop("DATABASE_URL", None)
    source = {**base, "AWDA_VAR_DIR": str(work / "source")}
    target = {**base, "AWDA_VAR_DIR": str(work / "target")}
    archive = work / "demo.awda"
    for env in (source, target):
        Path(env["AWDA_VAR_DIR"]).mkdir()
    started = time.perf_counter()
    for env in (source, target):
        run("migrate", env, "migrate", "--noinput", "-v0")
    run("load_places", source, "load_places")
    run("load_centres", source, "load_centres")
    populate(source)
    print(f"demo built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    database = Path(source["AWDA_VAR_DIR"]) / "awda.sqlite3"

    backup_s, backup_mb = run("backup", source, "backup", "--output", str(archive))
    check_s, check_mb = run("check", target, "restore", str(archive), "--check")
    restore_s, restore_mb = run("restore", target, "restore", str(archive))
    print(
        f"demo programme ({HOUSEHOLDS:,} households, {FILES_MB} MB of attached files; "
        f"SQLite file {database.stat().st_size / 1e6:.1f} MB): "
        f"archive {archive.stat().st_size / 1e6:.1f} MB; "
        f"backup {backup_s:.1f} s (peak {backup_mb} MB), "
        f"restore --check {check_s:.1f} s (peak {check_mb} MB), "
        f"restore {restore_s:.1f} s (peak {restore_mb} MB)"
    )


if __name__ == "__main__":
    main()
