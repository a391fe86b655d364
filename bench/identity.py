"""Identity-resolution benchmark: Awda's pipeline against the generic Splink configuration.

For each size (100,000 and 1,000,000 registrations by default) it generates a registry
with the shared generator (`../shared/bench/gen_registry.py`, seed BENCH_SEED, which was
not used for tuning), runs `awda dedup-file` and the generic Splink script on the same
CSV — neither sees the ground truth — and prints wall time, peak memory, pairwise
precision, recall, F1 and the recall on pairs where one side is in Latin script.

The generic configuration at 1,000,000 takes about 38 minutes and 20 GB (see the kit's
README); it runs only with BENCH_GENERIC_1M=1.

    make bench-identity                      # 100k and 1M
    BENCH_SIZES=20000 make bench-identity    # a quick look
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT = Path(os.environ.get("BENCH_KIT", ROOT.parent / "shared" / "bench"))
DATA = ROOT / "bench" / "data"
SEED = int(os.environ.get("BENCH_SEED", "2027"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
BIN = Path(sys.executable).parent

# Runs one command in a child and prints its wall time and peak resident memory (KiB).
MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{code} {wall:.2f} {peak}")
"""


def measure(command: list[str]) -> tuple[float, float]:
    env = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 40),
        "DEBUG": "1",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", MEASURE, *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    code, wall, peak_kib = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
    return float(wall), int(peak_kib) / 1024


def score(prefix: Path, clusters: Path) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(KIT / "score.py"), f"{prefix}.truth.csv", str(clusters), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    if not (KIT / "gen_registry.py").exists():
        raise SystemExit(f"the benchmark kit is not at {KIT} (set BENCH_KIT)")
    DATA.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in SIZES:
        prefix = DATA / f"r{size}_seed{SEED}"
        if not Path(f"{prefix}.csv").exists():
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    str(KIT / "gen_registry.py"),
                    "--n",
                    str(size),
                    "--seed",
                    str(SEED),
                    "--out",
                    str(prefix),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        runs = [("awda", [str(BIN / "awda"), "dedup-file", f"{prefix}.csv", "--output"])]
        if size < 1_000_000 or os.environ.get("BENCH_GENERIC_1M") == "1":
            runs.append(
                (
                    "generic splink",
                    [sys.executable, str(KIT / "splink_generic.py"), f"{prefix}.csv", "--output"],
                )
            )
        for name, command in runs:
            output = DATA / f"{prefix.name}.{name.replace(' ', '_')}.clusters.csv"
            started = time.perf_counter()
            wall, peak = measure([*command, str(output)])
            result = score(prefix, output)
            rows.append((size, name, wall, peak, result))
            print(
                f"  done: {name} on {size:,} in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    print(f"seed {SEED}; this machine: {os.cpu_count()} cores")
    header = (
        f"{'records':>10} {'pipeline':<15} {'wall s':>7} {'peak MB':>8} {'precision':>9} "
        f"{'recall':>7} {'F1':>6} {'cross-script recall':>20}"
    )
    print(header)
    print("-" * len(header))
    for _size, name, wall, peak, r in rows:
        print(
            f"{r['records']:>10,} {name:<15} {wall:>7.1f} {peak:>8.0f} {r['precision']:>9.3f} "
            f"{r['recall']:>7.3f} {r['f1']:>6.3f} {r['cross_script_recall']:>20.3f}"
        )
    if 1_000_000 in SIZES and os.environ.get("BENCH_GENERIC_1M") != "1":
        print(
            "generic splink on 1,000,000 not run (about 38 min, 20.6 GB); "
            "BENCH_GENERIC_1M=1 runs it"
        )


if __name__ == "__main__":
    main()
