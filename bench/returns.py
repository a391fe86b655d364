"""The return pipeline's pages and manifests, timed (SQLite, as `make demo` runs them).

Loads the demo programme (BENCH_RETURNS_HOUSEHOLDS households, its return programme
written through the services), then times, as the return coordinator of organisation A:
the pipeline board, household return pages, the largest movement's page, and the Arabic
manifest (PDF and XLSX) of a convoy of BENCH_MANIFEST_FAMILIES families — the size of an
Iraqi convoy to Jeddah-1 (150-250 families, 584-812 people). Prints p50/p95 and sizes.
Run with `make bench`.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

from demo_instance import demo_instance

HOUSEHOLDS = int(os.environ.get("BENCH_RETURNS_HOUSEHOLDS", "2000"))
FAMILIES = int(os.environ.get("BENCH_MANIFEST_FAMILIES", "250"))


def _timed(label: str, fetch, rounds: int) -> None:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms ({rounds} requests)")


def main() -> None:
    demo_instance("awda-returns-bench-", households=HOUSEHOLDS, static=True)
    from django.test import Client

    from awda.accounts.models import User
    from awda.registry.models import Household
    from awda.returns.manifest import manifest_pdf, manifest_xlsx
    from awda.returns.models import Movement, Passenger, Pathway

    user = User.objects.get(username="returns.a")
    client = Client()
    client.force_login(user)
    _timed("pipeline board /returns/", lambda: client.get("/returns/"), 20)
    sample = list(
        Household.objects.filter(organisation=user.organisation)
        .exclude(status="registered")
        .values_list("pk", flat=True)[:40]
    )
    pages = iter(sample * 2)
    _timed("household return page", lambda: client.get(f"/returns/households/{next(pages)}/"), 40)
    biggest = max(Movement.objects.all(), key=lambda m: m.passengers.count())
    _timed(
        f"movement page ({biggest.passengers.count()} people)",
        lambda: client.get(f"/returns/movements/{biggest.pk}/"),
        10,
    )

    # A convoy the size of an Iraqi batch, built directly: only the rendering is timed.
    booked = Passenger.objects.values("household_id")
    families = list(
        Household.objects.filter(organisation=user.organisation, nationality="IQ")
        .exclude(pk__in=booked)
        .order_by("pk")[:FAMILIES]
    )
    convoy = Movement.objects.create(
        organisation=user.organisation,
        reference="BENCH-1",
        kind="convoy",
        pathway=Pathway.IRAQI_REPATRIATION,
        departs_on=biggest.departs_on,
        origin=families[0].camp,
        centre_id=Movement.objects.filter(centre__isnull=False).values_list("centre", flat=True)[0],
        capacity=5000,
        vehicles=max(1, len(families) // 12),
        created_by=user,
    )
    rows = []
    for index, household in enumerate(families):
        for person in household.members.all():
            rows.append(
                Passenger(
                    movement=convoy,
                    person=person,
                    household=household,
                    vehicle=1 + index * convoy.vehicles // len(families),
                    status="removed" if person.pk % 97 == 0 else "scheduled",
                    added_by=user,
                )
            )
    Passenger.objects.bulk_create(rows)
    people = sum(1 for r in rows if r.status != "removed")
    _timed(
        f"planned movement page ({people} people, warnings checked)",
        lambda: client.get(f"/returns/movements/{convoy.pk}/"),
        3,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    pdf = manifest_pdf(convoy)
    pdf_seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    xlsx = manifest_xlsx(convoy)
    xlsx_seconds = time.perf_counter() - started
    print(
        f"manifest of {len(families)} families, {people} people, {convoy.vehicles} vehicles: "
        f"PDF {pdf_seconds:.1f} s, {len(pdf) / 1024:.0f} KB; XLSX {xlsx_seconds:.1f} s, "
        f"{len(xlsx) / 1024:.0f} KB; peak RSS {after / 1024:.0f} MB "
        f"(+{(after - before) / 1024:.0f} MB while drawing the PDF)"
    )


if __name__ == "__main__":
    main()
