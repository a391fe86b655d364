"""Load test: many caseworkers at once against a running Awda. Run with `make bench-load`.

bench/load.sh starts the server (PostgreSQL, the demo programme, gunicorn on loopback) and
then this script, which

1. reads from the database what a caseworker's screen would show (organisation A's
   households and people, the households already home, camp blocks and sub-districts for
   the registration form) — read only, before the clock starts;
2. runs BENCH_LOAD_USERS virtual users for BENCH_LOAD_SECONDS against BENCH_LOAD_URL. Each
   logs in as one of organisation A's demo users (password AWDA_DEMO_PASSWORD) and keeps
   its session cookie and CSRF token, then loops over a mix of tasks, waiting a think
   time (BENCH_LOAD_THINK seconds on average, 0.5 to 1.5 times that) before each request:
   name search on the household list (Arabic and Latin names, spelling variants), opening
   a household and a person, registering a household through the form (with the
   similar-name look-ups the form makes while typing), recording a reintegration survey
   for a household that is home, and the return pipeline board;
3. prints requests, throughput, errors and p50/p95/p99 latency, overall and per kind.

An error is a status other than 2xx/3xx, a timeout or a failed connection, a redirect to
the login page, or a form that was sent back instead of saved. Logins are counted apart
from the figures (they happen once per user, at the start). Search terms travel in
query strings, as the browser sends them: the server must not log them (load.sh runs
gunicorn without an access log).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx

BASE_URL = os.environ.get("BENCH_LOAD_URL", "http://127.0.0.1:8000")
USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "300"))
THINK = float(os.environ.get("BENCH_LOAD_THINK", "2"))
SERVER = os.environ.get("BENCH_LOAD_SERVER", "")
TIMEOUT = 30.0
# The users' start is spread over this many seconds, as people arrive at work (each
# login hashes a password with Argon2, a deliberately costly step).
RAMP_UP = min(30.0, SECONDS / 6)
# The server's processes (gunicorn's and PostgreSQL's main process ids), whose CPU time
# is counted: it does not depend on what else runs on the machine.
SERVER_PIDS = [int(pid) for pid in os.environ.get("BENCH_LOAD_SERVER_PIDS", "").split()]
TARGET_P95_MS = 300.0

# Who logs in (organisation A; one demo account per role, several sessions each), and
# how often each role's users take on each task.
ROLES = {
    "caseworker.a": 4,
    "registrar.a": 2,
    "returns.a": 2,
    "supervisor.a": 1,
    "mhpss.a": 1,
}
CAN_REGISTER = {"caseworker.a", "registrar.a", "supervisor.a"}
CAN_FOLLOW_UP = {"caseworker.a", "returns.a", "supervisor.a"}
TASKS = {"search": 40, "household": 20, "person": 15, "register": 8, "follow_up": 7, "board": 10}

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INSTRUMENT = re.compile(r'name="instrument_id" value="(\d+)"')
RADIO = re.compile(r'<input[^>]*type="radio"[^>]*name="(q_[^"]+)"[^>]*value="([^"]*)"')
CONDUCTED_ON = re.compile(r'name="conducted_on" value="([^"]*)"')


@dataclass
class Plan:
    """What the virtual users work on: ids as a caseworker's screens would show them."""

    households: list[int]
    persons: list[int]
    home: list[int]
    camp_blocks: list[tuple[int, int, int]]  # camp, section, block
    origins: dict[str, list[tuple[int, int]]]  # nationality -> (governorate, sub-district)
    queries: list[str]
    names: dict[str, list[tuple[str, str]]]  # "male", "female", "family" -> (arabic, latin)


def prepare() -> Plan:
    """Reads the plan from the database the server uses (DATABASE_URL)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "awda.settings")
    django.setup()

    from awda.accounts.models import User
    from awda.demo.names import FAMILY_NAMES_IQ, FAMILY_NAMES_SY, FEMALE_FIRST, MALE_FIRST
    from awda.places.models import Place
    from awda.registry.models import Household, Person
    from awda.returns.models import Homecoming

    organisation = User.objects.get(username="caseworker.a").organisation_id or 0
    households = list(
        Household.objects.filter(organisation_id=organisation).values_list("pk", flat=True)
    )
    persons = list(
        Person.objects.filter(organisation_id=organisation, merged_into__isnull=True)
        .exclude(household=None)
        .values_list("pk", flat=True)
    )
    home = list(
        Homecoming.objects.filter(household__organisation_id=organisation).values_list(
            "household_id", flat=True
        )
    )
    camp_blocks = [
        (camp, section, block)
        for camp, section, block in Place.objects.filter(
            kind=Place.Kind.CAMP_BLOCK,
            parent__kind=Place.Kind.CAMP_SECTION,
            parent__parent__kind=Place.Kind.CAMP,
        ).values_list("parent__parent_id", "parent_id", "pk")
        if camp and section
    ]
    origins: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for country, governorate, subdistrict in Place.objects.filter(
        kind=Place.Kind.SUBDISTRICT, governorate__isnull=False
    ).values_list("country", "governorate_id", "pk"):
        if governorate:
            origins[country].append((governorate, subdistrict))
    if not (households and persons and home and camp_blocks and origins):
        sys.exit("bench/load.py: the demo programme is not loaded (no households, or none home)")

    # Queries as in bench/search.py: half Arabic (with the usual spelling variants), half
    # Latin; a given name and a family name, sometimes the father's name between them.
    rng = random.Random(11)
    firsts = [*MALE_FIRST, *FEMALE_FIRST]
    families = [*FAMILY_NAMES_SY, *FAMILY_NAMES_IQ]
    queries = []
    for index in range(500):
        first, family, father = rng.choice(firsts), rng.choice(families), rng.choice(MALE_FIRST)
        if index % 2:
            queries.append(f"{first[1]} {family[1]}")
        else:
            arabic = first[0].replace("أ", "ا").replace("ة", "ه")
            middle = f" {father[0]}" if index % 4 == 0 else ""
            queries.append(f"{arabic}{middle} {family[0]}")
    names = {
        "male": [(ar, lat) for ar, lat, _ in MALE_FIRST],
        "female": [(ar, lat) for ar, lat, _ in FEMALE_FIRST],
        "family": [(ar, lat) for ar, lat, _ in families],
    }
    return Plan(households, persons, home, camp_blocks, dict(origins), queries, names)


@dataclass
class Stats:
    sent: Counter[str] = field(default_factory=Counter)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    logins: list[float] = field(default_factory=list)
    login_errors: Counter[str] = field(default_factory=Counter)


class LoginFailed(Exception):
    pass


class VirtualUser:
    def __init__(
        self,
        number: int,
        username: str,
        password: str,
        plan: Plan,
        stats: Stats,
        think: float = THINK,
    ):
        self.username = username
        self.think_time = think
        self.password = password
        self.plan = plan
        self.stats = stats
        self.rng = random.Random(number)
        self.csrf = ""
        self.client = httpx.AsyncClient(
            base_url=BASE_URL,
            timeout=TIMEOUT,
            follow_redirects=False,
            headers={"User-Agent": "awda-bench-load"},
        )
        tasks = {
            name: weight
            for name, weight in TASKS.items()
            if (name != "register" or username in CAN_REGISTER)
            and (name != "follow_up" or username in CAN_FOLLOW_UP)
        }
        self.tasks, self.weights = list(tasks), list(tasks.values())

    async def request(
        self, kind: str, method: str, url: str, *, data: dict[str, object] | None = None
    ) -> httpx.Response | None:
        """One request, timed and judged; None when it failed."""
        self.stats.sent[kind] += 1
        started = time.perf_counter()
        try:
            if method == "POST":
                response = await self.client.post(
                    url, data={**(data or {}), "csrfmiddlewaretoken": self.csrf}
                )
            else:
                response = await self.client.get(url)
        except httpx.TimeoutException:
            self.stats.errors[kind, "timeout"] += 1
            return None
        except httpx.HTTPError as error:
            self.stats.errors[kind, type(error).__name__] += 1
            return None
        self.stats.times[kind].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self.stats.errors[kind, f"HTTP {response.status_code}"] += 1
            return None
        if response.is_redirect and "/accounts/login/" in response.headers.get("location", ""):
            self.stats.errors[kind, "sent to the login page"] += 1
            return None
        token = CSRF.search(response.text) if method == "GET" else None
        if token:
            self.csrf = token.group(1)
        return response

    async def think(self, deadline: float) -> bool:
        """Waits a think time; False once the test is over."""
        pause = self.rng.uniform(0.5 * self.think_time, 1.5 * self.think_time)
        await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        return time.monotonic() < deadline

    async def login(self) -> None:
        started = time.perf_counter()
        try:
            page = await self.client.get("/accounts/login/")
            token = CSRF.search(page.text)
            if not token:
                raise LoginFailed(f"login page: HTTP {page.status_code}, no form")
            response = await self.client.post(
                "/accounts/login/",
                data={
                    "username": self.username,
                    "password": self.password,
                    "csrfmiddlewaretoken": token.group(1),
                },
            )
            if not response.is_redirect or "/accounts/" in response.headers.get("location", ""):
                raise LoginFailed(f"login: HTTP {response.status_code}, not logged in")
        except httpx.HTTPError as error:
            raise LoginFailed(type(error).__name__) from error
        self.stats.logins.append((time.perf_counter() - started) * 1000)

    async def run(self, start_at: float, deadline: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        try:
            await self.login()
        except LoginFailed as failure:
            self.stats.login_errors[str(failure)] += 1
            return
        # Where a login lands: the home page sends staff on to the household list.
        home = await self.request("home", "GET", "/")
        if home is not None and home.is_redirect:
            await self.request("list", "GET", home.headers["location"])
        while await self.think(deadline):
            task = self.rng.choices(self.tasks, self.weights)[0]
            await getattr(self, task)(deadline)

    async def close(self) -> None:
        await self.client.aclose()

    # The tasks -----------------------------------------------------------------------

    async def search(self, deadline: float) -> None:
        query = self.rng.choice(self.plan.queries)
        await self.request("search", "GET", f"/households/?{httpx.QueryParams({'q': query})}")

    async def household(self, deadline: float) -> None:
        pk = self.rng.choice(self.plan.households)
        await self.request("household", "GET", f"/households/{pk}/")

    async def person(self, deadline: float) -> None:
        pk = self.rng.choice(self.plan.persons)
        await self.request("person", "GET", f"/persons/{pk}/")

    async def board(self, deadline: float) -> None:
        await self.request("board", "GET", "/returns/")

    async def register(self, deadline: float) -> None:
        """The registration form as a registrar fills it: open it, pick the origin (the
        form fetches its sub-districts), type the members (the form looks up similar
        names for each), send it, and land on the new household."""
        if await self.request("register: form", "GET", "/households/new/") is None:
            return
        rng, plan = self.rng, self.plan
        nationality = rng.choice(sorted(plan.origins))
        governorate, subdistrict = rng.choice(plan.origins[nationality])
        camp, section, block = rng.choice(plan.camp_blocks)
        if not await self.think(deadline):
            return
        await self.request(
            "register: sub-districts",
            "GET",
            f"/places/subdistricts/?field=origin&origin_governorate={governorate}",
        )
        family_ar, family_lat = rng.choice(plan.names["family"])
        father_ar = rng.choice(plan.names["male"])[0]
        members = []
        for index in range(rng.randint(1, 6)):
            female = rng.random() < (0.6 if index == 0 else 0.5)
            first_ar, first_lat = rng.choice(plan.names["female" if female else "male"])
            member = {
                "first_name_ar": first_ar,
                "father_name_ar": father_ar if index == 0 else rng.choice(plan.names["male"])[0],
                "family_name_ar": family_ar,
                "first_name_lat": first_lat,
                "family_name_lat": family_lat,
                "sex": "F" if female else "M",
                "relationship": "head" if index == 0 else "child",
            }
            member["age"] = str(rng.randint(28, 60) if index == 0 else rng.randint(0, 16))
            members.append(member)
            if not await self.think(deadline):
                return
            prefix = f"members-{index}"
            params = httpx.QueryParams(
                {"prefix": prefix, **{f"{prefix}-{k}": v for k, v in member.items()}}
            )
            await self.request("register: similar names", "GET", f"/persons/similar/?{params}")
        form: dict[str, object] = {
            "reference": "",
            "nationality": nationality,
            "camp": camp,
            "camp_section": section,
            "camp_block": block,
            "tent": str(rng.randint(1, 400)),
            "origin_governorate": governorate,
            "origin": subdistrict,
            "members-TOTAL_FORMS": str(len(members)),
            "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "1",
            "members-MAX_NUM_FORMS": "40",
        }
        for index, member in enumerate(members):
            form.update({f"members-{index}-{k}": v for k, v in member.items()})
        if not await self.think(deadline):
            return
        response = await self.request("register: save", "POST", "/households/new/", data=form)
        if response is None:
            return
        if not response.is_redirect:
            self.stats.errors["register: save", "form sent back"] += 1
            return
        await self.request("household", "GET", response.headers["location"])

    async def follow_up(self, deadline: float) -> None:
        """A follow-up visit: open a returned household's reintegration page, answer the
        survey (every question), save it."""
        pk = self.rng.choice(self.plan.home)
        url = f"/reintegration/households/{pk}/"
        page = await self.request("follow-up: page", "GET", url)
        if page is None:
            return
        instrument = INSTRUMENT.search(page.text)
        conducted_on = CONDUCTED_ON.search(page.text)
        if not (instrument and conducted_on):
            self.stats.errors["follow-up: page", "no survey form"] += 1
            return
        choices: dict[str, list[str]] = defaultdict(list)
        for name, value in RADIO.findall(page.text):
            choices[name].append(value)
        answers = {name: self.rng.choice(values) for name, values in choices.items()}
        if not await self.think(deadline):
            return
        response = await self.request(
            "follow-up: save",
            "POST",
            url,
            data={
                "instrument_id": instrument.group(1),
                "follow_up": "",
                "conducted_on": conducted_on.group(1),
                **answers,
            },
        )
        if response is None:
            return
        if not response.is_redirect:
            self.stats.errors["follow-up: save", "form sent back"] += 1
            return
        await self.request("follow-up: page", "GET", response.headers["location"])


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(stats: Stats, elapsed: float, machine: str) -> bool:
    """Prints the figures; True if the target (no errors, p95 within 300 ms) is met."""
    every = sorted(t for times in stats.times.values() for t in times)
    errors = sum(stats.errors.values())
    requests = sum(stats.sent.values())
    print(
        f"\n{USERS} users for {SECONDS:.0f} s against {BASE_URL}"
        f"{f' ({SERVER})' if SERVER else ''}, think time {0.5 * THINK:g}-{1.5 * THINK:g} s"
    )
    print(machine)
    print(
        f"logins: {len(stats.logins)} (p50 {percentile(sorted(stats.logins), 0.5):.0f} ms)"
        if stats.logins
        else "logins: none succeeded"
    )
    for reason, n in stats.login_errors.items():
        print(f"  login failed ×{n}: {reason}")
    if not every:
        print("no request was answered")
        return False
    print(
        f"requests: {requests:,} in {elapsed:.0f} s ({requests / elapsed:.1f}/s), errors: {errors}"
    )
    header = f"{'':26}{'requests':>9}{'errors':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  ms"
    print(header)

    def row(label: str, sent: int, times: list[float], failed: int) -> None:
        ordered = sorted(times)
        figures = (
            "".join(f"{percentile(ordered, s):8.0f}" for s in (0.5, 0.95, 0.99))
            + f"{ordered[-1]:8.0f}"
            if ordered
            else ""
        )
        print(f"{label:26}{sent:9,}{failed:8}{figures}")

    row("all", requests, every, errors)
    failed_by_kind: Counter[str] = Counter()
    for (kind, _), n in stats.errors.items():
        failed_by_kind[kind] += n
    for kind in sorted(stats.sent):
        row(kind, stats.sent[kind], stats.times.get(kind, []), failed_by_kind[kind])
    for (kind, reason), n in sorted(stats.errors.items()):
        print(f"  error ×{n}: {kind}: {reason}")
    p95 = percentile(every, 0.95)
    met = errors == 0 and not stats.login_errors and p95 <= TARGET_P95_MS
    print(
        f"target (0 errors, p95 ≤ {TARGET_P95_MS:.0f} ms): "
        + ("met" if met else f"NOT met (errors {errors}, p95 {p95:.0f} ms)")
    )
    return met


async def warm_up(plan: Plan, password: str) -> None:
    """Every task a few times, not counted: the figures are those of a server that has
    been running (imports, templates and translations loaded in every worker)."""
    user = VirtualUser(-1, "caseworker.a", password, plan, Stats(), think=0)
    try:
        await user.login()
        deadline = time.monotonic() + 120
        for _ in range(8):
            for task in TASKS:
                await getattr(user, task)(deadline)
    finally:
        await user.close()


async def load(plan: Plan, password: str) -> tuple[Stats, float]:
    stats = Stats()
    pool = [name for name, weight in ROLES.items() for _ in range(weight)]
    users = [VirtualUser(n, pool[n % len(pool)], password, plan, stats) for n in range(USERS)]
    began = time.monotonic()
    deadline = began + SECONDS
    runs = [
        asyncio.create_task(user.run(began + RAMP_UP * n / USERS, deadline))
        for n, user in enumerate(users)
    ]
    # Every user stops at the deadline after the request in hand (at most TIMEOUT later).
    _done, late = await asyncio.wait(runs, timeout=SECONDS + TIMEOUT + 10)
    for run in late:
        run.cancel()
    if late:
        print(f"bench/load.py: {len(late)} users did not stop in time", file=sys.stderr)
    elapsed = time.monotonic() - began
    await asyncio.gather(*(user.close() for user in users), return_exceptions=True)
    return stats, elapsed


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (Linux /proc/stat), all cores together."""
    with open("/proc/stat") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle and waiting for I/O
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def _server_cpu_seconds() -> float:
    """CPU time of the server's processes and their children (Linux /proc): the living
    ones, and through their parents' counts those that ended (PostgreSQL's backends)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, ..., utime (14th field), stime, cutime, cstime.
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick
    total = 0.0
    for pid in times:
        ancestor = pid
        while ancestor and ancestor not in SERVER_PIDS:
            ancestor = parents.get(ancestor, 0)
        if ancestor:
            total += times[pid]
    return total


def main() -> None:
    password = os.environ.get("AWDA_DEMO_PASSWORD", "")
    if not password:
        sys.exit("bench/load.py: set AWDA_DEMO_PASSWORD to the demo users' password")
    plan = prepare()
    # Django's logging set-up would log each request of the client.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(
        f"plan: {len(plan.households):,} households and {len(plan.persons):,} people of "
        f"organisation A, {len(plan.home)} of the households home; "
        f"users log in as {', '.join(ROLES)}",
        file=sys.stderr,
    )
    try:
        asyncio.run(warm_up(plan, password))
    except LoginFailed as failure:
        sys.exit(f"bench/load.py: cannot log in: {failure}")
    # The load generator shares the machine with the server (and whatever else runs on
    # it): say how busy the machine was.
    busy_before, cpu_before, server_before = (
        _machine_cpu_seconds(),
        _cpu_seconds(),
        _server_cpu_seconds(),
    )
    stats, elapsed = asyncio.run(load(plan, password))
    busy = _machine_cpu_seconds() - busy_before
    generator = _cpu_seconds() - cpu_before
    server = _server_cpu_seconds() - server_before if SERVER_PIDS else 0.0
    requests = sum(stats.sent.values()) + len(stats.logins) * 2
    machine = (
        f"CPU: {os.cpu_count()} cores; the load generator kept {generator / elapsed:.2f} "
        f"busy on average"
    )
    if SERVER_PIDS:
        machine += (
            f", the server (gunicorn and PostgreSQL) {server / elapsed:.2f} "
            f"({1000 * server / max(1, requests):.0f} ms per request, logins included)"
            f", other processes {max(0.0, busy - generator - server) / elapsed:.2f}"
            " (the figures hold for a machine doing nothing else only when this is near 0)"
        )
    report(stats, elapsed, machine)
    if not stats.logins:
        sys.exit(1)


if __name__ == "__main__":
    main()
