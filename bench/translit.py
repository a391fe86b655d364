"""The transliteration bridge on real Arabic–Latin pairs nobody on the project wrote.

For each pair of `../shared/bench/translit/ar2en-test.txt` (Google's Wikipedia-mined
name pairs, Apache-2.0): do the Arabic and the Latin form get the same skeleton, or close
ones (Jaro-Winkler ≥ 0.85, the bar the duplicate detection uses for "close")? Reported for
all pairs (mostly foreign names written in Arabic) and for the pairs whose Arabic form is
a common Arabic given name (from Awda's list of given names).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jellyfish

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KIT = Path(os.environ.get("BENCH_KIT", ROOT.parent / "shared" / "bench"))

from awda.demo.names import FEMALE_FIRST, MALE_FIRST  # noqa: E402
from awda.identity.names import name_skeleton, normalise  # noqa: E402


def main() -> None:
    given = {normalise(arabic) for arabic, _latin, _weight in (*MALE_FIRST, *FEMALE_FIRST)}
    for split in ("test", "eval"):
        path = KIT / "translit" / f"ar2en-{split}.txt"
        pairs = [
            line.rstrip("\n").split("\t") for line in path.open(encoding="utf-8") if "\t" in line
        ]
        for label, subset in (
            ("all pairs", pairs),
            ("Arabic given names", [p for p in pairs if normalise(p[0]) in given]),
        ):
            same = close = 0
            for arabic, latin in subset:
                a = name_skeleton(arabic).replace(" ", "")
                b = name_skeleton(latin).replace(" ", "")
                same += a == b
                close += a == b or jellyfish.jaro_winkler_similarity(a, b) >= 0.85
            n = len(subset) or 1
            print(
                f"ar2en-{split}, {label}: {len(subset)} pairs, same skeleton {same / n:.3f}, "
                f"same or close {close / n:.3f}"
            )


if __name__ == "__main__":
    main()
