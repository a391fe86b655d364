"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

The schema is read from `/api/v1/schema/` through the WSGI application, as a client
reads it; every operation is then called with generated requests, valid and invalid, as
a caseworker of organisation A holding a token from `POST /api/v1/auth/token/` (password
and authenticator code). Path ids are drawn from the world's records (world.py) as well
as made up, so that the operations reach real households, cases and movements and not
only 404.

Two checks on every answer: no server error (5xx), and the answer conforms to the schema
(the body of a documented status code). Each example runs in a savepoint rolled back
afterwards, so that every example sees the world as built. The number of examples is
bounded (`EXAMPLES` per operation and kind of data) and the run derandomised: CI sends
the same requests every time. `AWDA_FUZZ_EXAMPLES=25` runs a deeper search. Run with
`-s` to see how many examples ran.

Nothing is left out: every operation of the schema is fuzzed. The movement manifest is
drawn as HTML rather than PDF (see `_manifest_as_html`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from awda.common.tests.test_permission_matrix import ROWS
from awda.common.tests.world import World, world_fixture  # noqa: F401 (the fixture)
from awda.conftest import PASSWORD, authenticator, current_code

# Examples per operation and kind of data (valid, invalid), and again with the world's
# ids in the path for an operation on one record: 10 to 20 per operation.
EXAMPLES = int(os.environ.get("AWDA_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance]


@contextlib.contextmanager
def wsgi_application() -> Iterator[Any]:
    """The application as a WSGI server runs it, but (as Django's test client does while
    it sends a request) not closing the database connection around each request: the
    test's transaction lives on it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _manifest_as_html(monkeypatch: pytest.MonkeyPatch) -> None:
    """The movement manifest is drawn as its HTML, not as a PDF: drawing takes a quarter
    of a second a time (returns/tests/test_manifest.py tests the PDF); what is fuzzed
    here is the request, its access check and its answer."""
    from awda.returns import manifest

    monkeypatch.setattr(
        manifest, "manifest_pdf", lambda movement, **kw: manifest.manifest_html(movement).encode()
    )


def _token(world: World) -> str:
    user = world.user("caseworker", "a")
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "otp": current_code(authenticator(user))},
        format="json",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def _path_parameters(world: World, path: str) -> dict[str, Any]:
    """The world's record for each parameter in the operation's path, as the
    permission matrix's table names it for that URL."""
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if not names:
        return {}
    probe = path
    for name in names:
        probe = probe.replace("{" + name + "}", "1")
    row = ROWS[resolve(probe).view_name]
    kw = row.variants()[0]
    values = {}
    for name in names:
        source = kw["pk" if name == "id" else name]
        assert isinstance(source, str), f"{path}: {name} is not a world record"
        values[name] = world.value(source)
    return values


def _fuzz(label: str, strategies: list[Any], headers: dict[str, str], counts: dict[str, int]):
    @settings(
        max_examples=EXAMPLES * len(strategies),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def call(case: Any) -> None:
        counts[label] += 1
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS, headers=headers)

    call()


def _fuzz_all(
    world: World, schema: Any, headers: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """The examples run per operation, and each failing operation's report."""
    counts: dict[str, int] = {}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the whole API, not a part of it
    for operation in operations:
        label = operation.label
        counts[label] = 0
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        ids = _path_parameters(world, operation.path)
        if ids:
            strategies += [
                operation.as_strategy(generation_mode=mode, path_parameters=ids)
                for mode in GenerationMode
            ]
        try:
            _fuzz(label, strategies, headers, counts)
        except (Exception, BaseExceptionGroup) as error:  # one failure must not hide another
            failures[label] = str(error)[:3000]
    return counts, failures


@pytest.mark.django_db
def test_every_api_operation_survives_fuzzing_and_answers_as_its_schema_says(world: World):
    started, cpu = time.monotonic(), time.process_time()
    # identity: the WSGI test client would hand the checks a gzipped body as it is.
    headers = {"Authorization": f"Bearer {_token(world)}", "Accept-Encoding": "identity"}
    with wsgi_application() as application:
        # The schema as JSON, which loads faster than the default YAML.
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", application, headers=headers
        )
        counts, failures = _fuzz_all(world, schema, headers)
    print(
        f"\nschemathesis: {len(counts)} operations, {sum(counts.values())} examples "
        f"in {time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU)"
    )
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


# Regressions the fuzzing found in the schema -----------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_a_sponsorship_not_withdrawn_may_have_no_withdrawal_reason(openapi):
    """The API answers `"withdrawal_reason": ""` until a sponsorship is withdrawn; the
    schema's enum did not have the blank."""
    field = openapi["components"]["schemas"]["Sponsorship"]["properties"]["withdrawal_reason"]
    allowed = [
        openapi["components"]["schemas"][choice["$ref"].rsplit("/", 1)[1]]["enum"]
        for choice in field["oneOf"]
    ]
    assert [""] in allowed


def test_the_candidates_of_a_tracing_request_are_one_list(openapi):
    """They are answered as a list, not a page of results as the schema said."""
    answer = openapi["paths"]["/api/v1/tracing-requests/{id}/candidates/"]["get"]["responses"]
    assert answer["200"]["content"]["application/json"]["schema"]["type"] == "array"
