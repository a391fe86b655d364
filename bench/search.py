"""Name search latency over 100,000 people (SQLite, as `make demo` runs it).

Builds a throwaway registry with the demo generator (BENCH_SEARCH_HOUSEHOLDS households,
about four people each), then times person_search_for_user for a caseworker on queries
of two or three names, half in Arabic with spelling variants and half in Latin script,
and prints p50, p95 and the worst time. Run with `make bench`.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import sys
import tempfile
import time

HOUSEHOLDS = int(os.environ.get("BENCH_SEARCH_HOUSEHOLDS", "25000"))
QUERIES = int(os.environ.get("BENCH_SEARCH_QUERIES", "300"))


def main() -> None:
    var = tempfile.mkdtemp(prefix="awda-search-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "awda.settings",
            "AWDA_DEMO": "1",
            "AWDA_VAR_DIR": var,
            "SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from awda.accounts.models import User
    from awda.demo.generate import load_demo
    from awda.demo.names import FAMILY_NAMES_IQ, FAMILY_NAMES_SY, FEMALE_FIRST, MALE_FIRST
    from awda.identity.selectors import person_search_for_user
    from awda.places.services import load_built_in
    from awda.registry.models import Person

    call_command("migrate", verbosity=0)
    load_built_in()
    started = time.perf_counter()
    load_demo(households=HOUSEHOLDS, password=secrets.token_urlsafe(16), returns=False)
    people = Person.objects.count()
    print(
        f"registry: {people:,} people, built in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    user = User.objects.get(username="caseworker.a")
    rng = random.Random(7)
    firsts = [*MALE_FIRST, *FEMALE_FIRST]
    families = [*FAMILY_NAMES_SY, *FAMILY_NAMES_IQ]
    queries = []
    for index in range(QUERIES):
        first, family, father = rng.choice(firsts), rng.choice(families), rng.choice(MALE_FIRST)
        if index % 2:
            queries.append(f"{first[1]} {family[1]}")
        else:
            arabic = first[0].replace("أ", "ا").replace("ة", "ه")
            queries.append(f"{arabic} {father[0]} {family[0]}")
    for query in queries[:20]:  # warm the caches as a running server would be
        person_search_for_user(user, query)
    times = []
    results = []
    for query in queries:
        started = time.perf_counter()
        found = person_search_for_user(user, query)
        times.append((time.perf_counter() - started) * 1000)
        results.append(len(found))
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"name search over {people:,} people, {len(times)} queries: "
        f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms; "
        f"median {statistics.median(results):.0f} results"
    )


if __name__ == "__main__":
    main()
