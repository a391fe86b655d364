"""The permission matrix, generated from the URL configuration: every page and endpoint
× every role × the organisation that owns the records (A) and another one (B), plus
nobody logged in.

Every URL pattern the resolver knows must have a row in `ROWS`, which says who in the
owning organisation may use it and which record of the world (awda/common/tests/world.py)
fills each of its arguments. The test fails on a URL without a row, on a row without a
URL and on an argument the row does not fill: a new page or endpoint cannot escape.

A cell is one client on one URL: a GET, or for a view that only takes POST (the GET
answers 405) a POST with empty data. An outsider (organisation B) also tries to write
to each of A's records: a POST with empty data on a page, a PATCH on the API. Every
request runs in a savepoint rolled back afterwards, so that each cell sees the same
world. What must come back:

- nobody logged in: the login page (pages) or 401/403 (API), except the public rows;
- organisation B, any role: never a server error, never one of A's names or references
  in a body; on a URL about one of A's records, 404, or 403 (the role lacks the
  capability), or 405; a list page may answer 200 (with B's own records: none);
- organisation A: where the row lets the role in, 200/201/204/302 (400/409 for an empty
  POST), where it does not, 403/404; never a server error; and a donor viewer never
  gets a body with a name or reference in it.

Run with `-s` to see the matrix's size.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from awda.accounts.roles import CAPABILITIES, Can, Role
from awda.common.tests.world import World, world_fixture  # noqa: F401 (the fixture)
from awda.conftest import api_client, logged_in

# --- Who may use a URL ------------------------------------------------------------------

Who = Callable[[str], bool]  # role -> may use it, in the organisation that owns the record


def can(capability: Can) -> Who:
    return lambda role: capability in CAPABILITIES[role]


def roles(*names: str) -> Who:
    return lambda role: role in names


def anyone(role: str) -> bool:
    return True


def nobody(role: str) -> bool:
    """Only another organisation acts here (the receiver of a referral, the holder of a
    traced relative's record): every user of the owner gets 403 or 404."""
    return False


@dataclass(frozen=True)
class Lit:
    """A URL argument given as it is, not a world record."""

    value: str


@dataclass(frozen=True)
class Row:
    who: Who
    # URL argument -> world record ("case" for its pk, "form.slug" for its slug) or Lit;
    # a list for several URLs of one name.
    kw: Mapping[str, str | Lit] | Sequence[Mapping[str, str | Lit]] = field(default_factory=dict)
    public: bool = False  # nobody logged in may use it too
    # Other answers right for the roles let in (the row says why).
    also: frozenset[int] = frozenset()

    def variants(self) -> list[Mapping[str, str | Lit]]:
        return [self.kw] if isinstance(self.kw, Mapping) else list(self.kw)


# World records that are nobody's in particular: configuration shared by all.
SHARED = {"form", "checklist_item", "instrument", "place"}

VPD = can(Can.VIEW_PERSONAL_DATA)
H = {"pk": "household"}
P = {"pk": "person"}
CASE = {"pk": "case"}
MOVE = {"pk": "movement"}

ROWS: dict[str, Row] = {
    # Public, and the login steps.
    "home": Row(anyone),
    "healthz": Row(anyone, public=True),
    "set_language": Row(anyone, public=True),
    "accounts:login": Row(anyone, public=True),
    "accounts:logout": Row(anyone, public=True),
    "accounts:logout_everywhere": Row(anyone),
    "accounts:two_factor": Row(anyone),
    "accounts:two_factor_verify": Row(anyone),
    "accounts:two_factor_setup": Row(anyone),
    # The QR code exists only while an authenticator app is being set up: 404 otherwise.
    "accounts:two_factor_qr": Row(anyone, also=frozenset({404})),
    "accounts:recovery_codes_new": Row(anyone),
    "accounts:user_list": Row(can(Can.MANAGE_USERS)),
    "accounts:two_factor_reset": Row(can(Can.MANAGE_USERS), {"pk": "user"}),
    "api:token": Row(anyone, public=True),
    "api:schema": Row(anyone),
    "api:docs": Row(anyone),
    # Aggregates and the audit trail.
    "dashboard": Row(can(Can.VIEW_AGGREGATES)),
    "audit_log": Row(can(Can.SEARCH_AUDIT)),
    "breaches:list": Row(can(Can.SEARCH_AUDIT)),
    "breaches:new": Row(can(Can.SEARCH_AUDIT)),
    "breaches:detail": Row(can(Can.SEARCH_AUDIT), {"pk": "breach"}),
    "breaches:edit": Row(can(Can.SEARCH_AUDIT), {"pk": "breach"}),
    # The registry.
    "registry:household_list": Row(VPD),
    "registry:household_create": Row(can(Can.REGISTER)),
    "registry:member_row": Row(can(Can.REGISTER)),
    "registry:household_detail": Row(VPD, H),
    "registry:household_edit": Row(can(Can.EDIT_REGISTRY), H),
    "registry:member_add": Row(can(Can.EDIT_REGISTRY), H),
    "registry:similar_persons": Row(can(Can.REGISTER)),
    "registry:person_detail": Row(VPD, P),
    "registry:person_edit": Row(can(Can.EDIT_REGISTRY), P),
    "registry:person_leave": Row(can(Can.EDIT_REGISTRY), P),
    "registry:person_move": Row(can(Can.EDIT_REGISTRY), P),
    "registry:record_history": Row(
        can(Can.VIEW_HISTORY),
        [{"kind": Lit("household"), "pk": "household"}, {"kind": Lit("person"), "pk": "person"}],
    ),
    "registry:subdistrict_options": Row(VPD),
    "api:household-list": Row(VPD),
    "api:household-detail": Row(VPD, H),
    "api:person-list": Row(VPD),
    "api:person-detail": Row(VPD, P),
    # Identity resolution.
    "identity:candidate_list": Row(can(Can.REVIEW_DUPLICATES)),
    "identity:candidate_detail": Row(can(Can.REVIEW_DUPLICATES), {"pk": "match"}),
    "identity:merge_undo": Row(can(Can.REVIEW_DUPLICATES), {"pk": "merge"}),
    "identity:task": Row(VPD, {"pk": "task"}),
    "identity:incoming_list": Row(can(Can.REGISTER)),
    # Imports (the file's check, its commit and its undoing).
    "imports:batch_list": Row(can(Can.IMPORT_DATA)),
    "imports:batch_detail": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_progress": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_report": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_mapping": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_decide": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_commit": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_rollback": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:batch_discard": Row(can(Can.IMPORT_DATA), {"pk": "import_batch"}),
    "imports:template_delete": Row(can(Can.IMPORT_DATA), {"pk": "import_template"}),
    # Case management.
    "cases:caseload": Row(VPD),
    "cases:today": Row(VPD),
    "cases:case_detail": Row(VPD, CASE),
    "cases:case_act": Row(can(Can.MANAGE_CASES), CASE),
    "cases:case_record": Row(can(Can.MANAGE_CASES), CASE),
    "cases:case_open": Row(can(Can.MANAGE_CASES), {"household_pk": "household"}),
    "cases:assessment_new": Row(can(Can.MANAGE_CASES), {"pk": "case", "slug": "form.slug"}),
    "cases:assessment_detail": Row(VPD, {"pk": "assessment"}),
    "cases:form_list": Row(can(Can.MANAGE_FORMS)),
    "cases:form_xlsform": Row(VPD, {"slug": "form.slug"}),
    "cases:attachment_add": Row(can(Can.MANAGE_CASES), CASE),
    "cases:attachment_download": Row(VPD, {"pk": "attachment"}),
    "cases:follow_up_add": Row(can(Can.MANAGE_CASES), CASE),
    "cases:follow_up_done": Row(can(Can.MANAGE_CASES), {"pk": "case_follow_up"}),
    "cases:referral_list": Row(VPD),
    "cases:referral_create": Row(can(Can.REFER), {"household_pk": "household"}),
    "cases:referral_respond": Row(nobody, {"pk": "referral", "answer": Lit("accept")}),
    "api:case-list": Row(VPD),
    "api:case-detail": Row(VPD, CASE),
    "api:case-move": Row(can(Can.MANAGE_CASES), CASE),
    "api:case-submit": Row(can(Can.MANAGE_CASES), CASE),
    "api:case-approve": Row(can(Can.APPROVE_CASES), CASE),
    "api:case-return-": Row(can(Can.APPROVE_CASES), CASE),
    "api:case-reopen": Row(can(Can.MANAGE_CASES), CASE),
    "api:referral-list": Row(VPD),
    "api:referral-detail": Row(VPD, {"pk": "referral"}),
    "api:referral-accept": Row(nobody, {"pk": "referral"}),
    "api:referral-decline": Row(nobody, {"pk": "referral"}),
    # The receiver completes a referral.
    "api:referral-complete": Row(nobody, {"pk": "referral"}),
    "api:referral-revoke": Row(can(Can.REFER), {"pk": "referral"}),
    "api:form-list": Row(VPD),
    "api:form-detail": Row(VPD, {"slug": "form.slug"}),
    "api:assessment-list": Row(VPD),
    "api:assessment-detail": Row(VPD, {"pk": "assessment"}),
    # Psychosocial support: screenings and alerts.
    "mhpss:person": Row(can(Can.VIEW_MHPSS), P),
    "mhpss:alerts": Row(VPD),
    # The alert is addressed to MHPSS workers and supervisors.
    "mhpss:alert_resolve": Row(roles(Role.MHPSS, Role.SUPERVISOR), {"pk": "alert"}),
    "api:screening-list": Row(can(Can.VIEW_MHPSS)),
    "api:screening-detail": Row(can(Can.VIEW_MHPSS), {"pk": "screening"}),
    # Consent.
    "consent:person": Row(VPD, P),
    "consent:withdraw": Row(can(Can.EDIT_REGISTRY), {"pk": "consent"}),
    "api:consent-list": Row(VPD),
    "api:consent-detail": Row(VPD, {"pk": "consent"}),
    "api:consent-withdraw": Row(can(Can.EDIT_REGISTRY), {"pk": "consent"}),
    # Family tracing.
    "tracing:request_list": Row(can(Can.TRACE)),
    "tracing:request_create": Row(can(Can.TRACE), {"person": "person"}),
    "tracing:request_detail": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    "tracing:request_search": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    "tracing:request_outcome": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    # The world's request has no photo: a 404 for everyone, the other organisation included.
    "tracing:photo": Row(nobody, {"pk": "tracing_request"}),
    "tracing:photo_upload": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    "tracing:candidate_action": Row(can(Can.TRACE), {"pk": "candidate", "action": Lit("dismiss")}),
    "tracing:contact_list": Row(can(Can.TRACE)),
    # The organisation asked (C) reads and answers a contact request.
    "tracing:contact_detail": Row(nobody, {"pk": "contact_request"}),
    "tracing:person_family": Row(VPD, P),
    "api:tracing-request-list": Row(can(Can.TRACE)),
    "api:tracing-request-detail": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    "api:tracing-request-candidates": Row(can(Can.TRACE), {"pk": "tracing_request"}),
    "api:contact-request-list": Row(can(Can.TRACE)),
    "api:contact-request-answer": Row(nobody, {"pk": "contact_request"}),
    # The way home.
    "returns:board": Row(VPD),
    "returns:household": Row(VPD, H),
    "returns:intention": Row(can(Can.PLAN_RETURNS), H),
    "returns:tick": Row(can(Can.PLAN_RETURNS), {"pk": "household", "item": "checklist_item"}),
    "returns:clearance": Row(can(Can.MANAGE_MOVEMENTS), H),
    "returns:override": Row(can(Can.OVERRIDE_READINESS), H),
    "returns:override_revoke": Row(
        can(Can.OVERRIDE_READINESS), {"pk": "household", "override_pk": "override"}
    ),
    "returns:stay_programmes": Row(can(Can.MANAGE_MOVEMENTS), {"pk": "centre_household"}),
    "returns:stay_exit": Row(can(Can.MANAGE_MOVEMENTS), {"pk": "centre_household"}),
    "returns:close": Row(can(Can.OVERRIDE_READINESS), H),
    "returns:handover": Row(can(Can.MANAGE_MOVEMENTS), {"pk": "home_household"}),
    "returns:movement_list": Row(VPD),
    "returns:movement_create": Row(can(Can.MANAGE_MOVEMENTS)),
    "returns:movement_detail": Row(VPD, MOVE),
    "returns:movement_edit": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "returns:movement_add": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "returns:movement_remove": Row(
        can(Can.MANAGE_MOVEMENTS), {"pk": "movement", "household": "household"}
    ),
    "returns:passenger_escort": Row(
        can(Can.MANAGE_MOVEMENTS), {"pk": "movement", "passenger": "passenger"}
    ),
    "returns:movement_departure": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "returns:movement_arrival": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "returns:manifest_pdf": Row(VPD, MOVE),
    "returns:manifest_xlsx": Row(VPD, MOVE),
    "returns:checklists": Row(can(Can.MANAGE_FORMS)),
    "api:movement-list": Row(VPD),
    "api:movement-detail": Row(VPD, MOVE),
    "api:movement-households": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "api:movement-departure": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "api:movement-arrival": Row(can(Can.MANAGE_MOVEMENTS), MOVE),
    "api:movement-manifest": Row(VPD, MOVE),
    "api:handover": Row(can(Can.MANAGE_MOVEMENTS)),
    "api:intention-list": Row(VPD),
    "api:readiness-detail": Row(VPD, H),
    "api:readiness-checklist": Row(can(Can.PLAN_RETURNS), H),
    "api:readiness-clearance": Row(can(Can.MANAGE_MOVEMENTS), H),
    # The people's rights, for the data protection officer.
    "rights:index": Row(can(Can.SEARCH_AUDIT)),
    "rights:person": Row(can(Can.SEARCH_AUDIT), P),
    "rights:export_json": Row(can(Can.SEARCH_AUDIT), P),
    "rights:export_pdf": Row(can(Can.SEARCH_AUDIT), P),
    "rights:correction_new": Row(can(Can.SEARCH_AUDIT), P),
    "rights:correction_decide": Row(can(Can.SEARCH_AUDIT), {"pk": "correction"}),
    "rights:anonymise": Row(can(Can.SEARCH_AUDIT), P),
    "rights:retention": Row(can(Can.SEARCH_AUDIT)),
    "rights:retention_report": Row(can(Can.SEARCH_AUDIT)),
    "rights:retention_rule": Row(can(Can.SEARCH_AUDIT), {"pk": "retention_rule"}),
    # Receiving communities.
    "community:actor_list": Row(VPD),
    "community:actor_create": Row(can(Can.MANAGE_COMMUNITY)),
    "community:actor_detail": Row(VPD, {"pk": "actor"}),
    "community:actor_edit": Row(can(Can.MANAGE_COMMUNITY), {"pk": "actor"}),
    "community:household_sponsorship": Row(VPD, H),
    "community:place_list": Row(VPD),
    "community:subdistrict_options": Row(VPD),
    "community:place_detail": Row(VPD, {"pk": "place"}),
    "community:activity_list": Row(VPD),
    "api:community-actor-list": Row(VPD),
    "api:community-actor-detail": Row(VPD, {"pk": "actor"}),
    "api:sponsorship-list": Row(VPD),
    "api:sponsorship-detail": Row(VPD, {"pk": "sponsorship"}),
    # Reintegration.
    "reintegration:follow_ups": Row(can(Can.VIEW_REINTEGRATION)),
    "reintegration:follow_up_missed": Row(
        can(Can.RECORD_FOLLOW_UP), {"pk": "reintegration_follow_up"}
    ),
    "reintegration:household": Row(can(Can.VIEW_REINTEGRATION), {"pk": "home_household"}),
    "reintegration:places": Row(can(Can.VIEW_REINTEGRATION)),
    "reintegration:instruments": Row(
        lambda role: can(Can.VIEW_REINTEGRATION)(role) or can(Can.MANAGE_FORMS)(role)
    ),
    "reintegration:instrument_active": Row(can(Can.MANAGE_FORMS), {"pk": "instrument"}),
    "api:reintegration-follow-up-list": Row(can(Can.VIEW_REINTEGRATION)),
    "api:reintegration-follow-up-detail": Row(
        can(Can.VIEW_REINTEGRATION), {"pk": "reintegration_follow_up"}
    ),
    "api:reintegration-follow-up-missed": Row(
        can(Can.RECORD_FOLLOW_UP), {"pk": "reintegration_follow_up"}
    ),
    "api:reintegration-survey-list": Row(can(Can.VIEW_REINTEGRATION)),
    "api:reintegration-survey-detail": Row(can(Can.VIEW_REINTEGRATION), {"pk": "survey"}),
    # Exports: person-level and pseudonymised lists are POSTs (an empty one: the page
    # again, saying what is missing); aggregates hold nothing about anyone.
    "exports:index": Row(can(Can.VIEW_AGGREGATES)),
    "exports:persons": Row(can(Can.EXPORT_PERSONS)),
    "exports:pseudonymised": Row(can(Can.EXPORT_PSEUDONYMISED)),
    "exports:aggregate": Row(can(Can.VIEW_AGGREGATES), {"by": Lit("origin"), "fmt": Lit("csv")}),
    "api:exports-aggregate": Row(can(Can.VIEW_AGGREGATES)),
    # Offline collection: forms are configuration shared by all (no personal data); each
    # is for the roles that may record what it collects.
    "collect:index": Row(
        lambda role: any(
            can(c)(role)
            for c in (Can.REGISTER, Can.RECORD_FOLLOW_UP, Can.RECORD_MHPSS, Can.MANAGE_CASES)
        )
    ),
    "collect:registration": Row(can(Can.REGISTER)),
    "collect:survey": Row(can(Can.RECORD_FOLLOW_UP), {"code": "instrument.code"}),
    "collect:screening": Row(can(Can.RECORD_MHPSS), {"code": Lit("k10")}),
    "collect:assessment": Row(can(Can.MANAGE_CASES), {"slug": "form.slug"}),
}


# --- The URLs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Url:
    name: str
    route: str
    arguments: frozenset[str]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Url]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            nested = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _walk(entry.url_patterns, route, nested)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield Url(name, route, frozenset(entry.pattern.regex.groupindex))


def every_url() -> list[Url]:
    return list(_walk(get_resolver().url_patterns))


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    row: Row
    about_a_record: bool  # an argument names one of organisation A's records

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def targets(world: World) -> list[Target]:
    """A concrete URL for every pattern, its arguments filled from the world."""
    found = []
    for url in every_url():
        row = ROWS[url.name]
        for kw in row.variants():
            missing = url.arguments - set(kw)
            assert not missing, f"{url.name} ({url.route}): no value for {sorted(missing)}"
            values = {
                argument: source.value if isinstance(source, Lit) else world.value(source)
                for argument, source in kw.items()
                if argument in url.arguments
            }
            owned = any(
                isinstance(source, str) and source.split(".")[0] not in SHARED
                for argument, source in kw.items()
                if argument in url.arguments
            )
            found.append(Target(url.name, reverse(url.name, kwargs=values), row, owned))
    return found


# --- Requests ---------------------------------------------------------------------------


@dataclass
class Cell:
    who: str  # "anonymous", or "<role>.<organisation letter>"
    target: Target
    method: str
    status: int
    body: str
    location: str = ""
    error: str = ""

    def __str__(self) -> str:
        error = f" {self.error}" if self.error else ""
        return (
            f"{self.who} {self.method.upper()} {self.target.path} ({self.target.name}) "
            f"-> {self.status}{error}"
        )


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        # JsonResponse escapes letters outside ASCII: read them as letters again.
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(content), ensure_ascii=False)
    return text


def _send(client: Client, method: str, target: Target) -> Cell:
    """One request in a savepoint that is rolled back, and the client's cookies put back
    afterwards: a logout or a POST changes nothing the next cell sees."""
    cookies = SimpleCookie()
    cookies.update(client.cookies)
    with transaction.atomic():
        if method == "get":
            response = client.get(target.path)
        elif target.api:
            response = getattr(client, method)(target.path, {}, format="json")
        else:
            response = getattr(client, method)(target.path, {})
        transaction.set_rollback(True)
    client.cookies = cookies
    exc_info = getattr(response, "exc_info", None)
    return Cell(
        who="",
        target=target,
        method=method,
        status=response.status_code,
        body=_body(response),
        location=response.get("Location", ""),
        error=repr(exc_info[1]) if exc_info else "",
    )


def run(who: str, client: Client, target: Target, *, writes: bool = False) -> list[Cell]:
    """The cell's requests: GET, or POST if the view takes nothing else; with `writes`,
    on a URL about a record, an attempt to change it as well."""
    client.raise_request_exception = False  # a server error is an answer to report
    cells = [_send(client, "get", target)]
    if cells[0].status == 405:
        cells = [_send(client, "post", target)]
    elif writes and target.about_a_record:
        cells.append(_send(client, "patch" if target.api else "post", target))
    for cell in cells:
        cell.who = who
    return cells


def clients(world: World, letter: str) -> Iterator[tuple[str, Client, Client]]:
    for role in Role.values:
        user = world.user(role, letter)
        yield f"{role}.{letter}", logged_in(user), api_client(user)


def _report(kind: str, cells: int, requests: list[Cell], started: tuple[float, float]) -> None:
    wall, cpu = time.monotonic() - started[0], time.process_time() - started[1]
    print(
        f"\npermission matrix, {kind}: {cells} cells, {len(requests)} requests "
        f"in {wall:.1f} s ({cpu:.1f} s CPU)"
    )


def _now() -> tuple[float, float]:
    return time.monotonic(), time.process_time()


# --- Keeping 3,000 requests fast --------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """- A manifest is drawn as its HTML: the PDF takes a quarter of a second, and whether
      it may be drawn is what is tested here (its HTML holds the names a leak would show;
      returns/tests/test_manifest.py tests the PDF).
    - The OpenAPI schema, the same for everyone, is generated and written out once.
    - Refusals (403, 404) are not logged with their tracebacks; server errors are."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    from awda.returns import manifest

    monkeypatch.setattr(
        manifest, "manifest_pdf", lambda movement, **kw: manifest.manifest_html(movement).encode()
    )
    generate, render = SchemaGenerator.get_schema, OpenApiYamlRenderer.render
    schemas: dict[bool, Any] = {}
    rendered: dict[int, bytes] = {}

    def get_schema(self: SchemaGenerator, request: Any = None, public: bool = False) -> Any:
        if public not in schemas:
            schemas[public] = generate(self, request=request, public=public)
        return schemas[public]

    def render_once(self: OpenApiYamlRenderer, data: Any, *args: Any, **kwargs: Any) -> bytes:
        if id(data) not in rendered:
            rendered[id(data)] = render(self, data, *args, **kwargs)
        return rendered[id(data)]

    monkeypatch.setattr(SchemaGenerator, "get_schema", get_schema)
    monkeypatch.setattr(OpenApiYamlRenderer, "render", render_once)
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


# --- The tests --------------------------------------------------------------------------


def test_every_url_has_a_row_and_every_row_a_url() -> None:
    names = {url.name for url in every_url()}
    missing = sorted(names - set(ROWS))
    assert not missing, (
        "URLs without a row in ROWS (say who may use each and which record fills its "
        f"arguments): {missing}"
    )
    stale = sorted(set(ROWS) - names)
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@pytest.mark.django_db
def test_nobody_logged_in_gets_the_login_page_or_401(world: World) -> None:
    started, every = _now(), targets(world)
    requests = [
        cell for t in every for cell in run("anonymous", APIClient() if t.api else Client(), t)
    ]
    _report("nobody logged in", len(every), requests, started)
    wrong = []
    for cell in requests:
        if any(needle in cell.body for needle in world.needles):
            wrong.append(f"{cell} shows A's data")
        if cell.target.row.public:
            right = cell.status in (200, 302, 400)
        elif cell.target.api:
            right = cell.status in (401, 403)
        else:
            right = cell.status == 302 and cell.location.startswith("/accounts/login/")
        if not right:
            wrong.append(str(cell))
    assert not wrong, f"{len(wrong)} of {len(requests)} requests:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_another_organisation_sees_and_changes_nothing_of_organisation_a(world: World) -> None:
    started, every = _now(), targets(world)
    requests = [
        cell
        for who, page, api in clients(world, "b")
        for t in every
        for cell in run(who, api if t.api else page, t, writes=True)
    ]
    _report("organisation B (outsiders)", len(every) * len(Role.values), requests, started)
    wrong = []
    for cell in requests:
        leaked = [needle for needle in world.needles if needle in cell.body]
        if leaked:
            wrong.append(f"{cell} shows {leaked}")
        if cell.status >= 500:
            wrong.append(str(cell))
        elif cell.target.about_a_record and cell.status not in (403, 404, 405):
            wrong.append(f"{cell}: one of A's records must be 404 (or 403, 405)")
    assert not wrong, f"{len(wrong)} of {len(requests)} requests:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_organisation_a_gets_what_each_role_may_use(world: World) -> None:
    started, every = _now(), targets(world)
    requests = [
        cell
        for who, page, api in clients(world, "a")
        for t in every
        for cell in run(who, api if t.api else page, t)
    ]
    _report("organisation A (owners)", len(every) * len(Role.values), requests, started)
    # What B's pages are searched for is there in A's: the search looks for real text.
    unseen = [n for n in world.needles if not any(n in cell.body for cell in requests)]
    assert not unseen, f"never shown, even to organisation A: {unseen}"
    wrong = []
    for cell in requests:
        role = cell.who.split(".")[0]
        let_in = cell.target.row.who(role)
        if let_in:
            right = {200, 201, 204, 302} | cell.target.row.also
            if cell.method == "post":
                right |= {400, 409}
        else:
            right = {403, 404}
        if cell.status not in right:
            wrong.append(f"{cell} ({'let in' if let_in else 'kept out'})")
        if Can.VIEW_PERSONAL_DATA not in CAPABILITIES[role]:
            leaked = [needle for needle in world.needles if needle in cell.body]
            if leaked:
                wrong.append(f"{cell} shows {leaked} to a role that sees no personal data")
    assert not wrong, f"{len(wrong)} of {len(requests)} requests:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_the_api_has_no_format_suffix_urls(world: World) -> None:
    """`/api/v1/readiness/7.json` and the like answered 500: DRF's routers added a
    `.json` twin to every URL, whose `format` argument the actions did not take."""
    assert not [url.route for url in every_url() if "format" in url.arguments]
    caseworker = api_client(world.user("caseworker", "a"))
    household = world["household"].pk
    for path in (f"/api/v1/readiness/{household}.json", f"/api/v1/households/{household}.json"):
        assert caseworker.get(path).status_code == 404
