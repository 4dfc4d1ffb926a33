"""Every service's API against its own OpenAPI description, with generated (mostly bad) input:
no 5xx, and every response matches what the description promises (issue 9, fuzzing).

Runs signed in as a coordinator-and-finance user, so requests get past the role guards and
reach the validation and the use cases. Bounded: a few examples per operation.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from shared import auth
from shared.config import SERVICES
from shared.testing.harness import ServiceHarness, session_cookie


@pytest.fixture(scope="module", params=SERVICES)
def service_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    h = ServiceHarness(request.param, f"sqlite:///{tmp}/db.sqlite", f"sqlite-bus:///{tmp}/bus.sqlite")
    from gateway.accounts import parse_grants
    user = auth.StaffUser("fuzzer", "Fuzzer", "fuzz@example.ee", parse_grants(["coordinator", "finance"]))
    cookie = session_cookie(h.app, user)
    # Mounted at /<service>, as the OpenAPI servers entry says.
    return DispatcherMiddleware(lambda e, s: s("404 Not Found", []) or [b""], {f"/{request.param}": h.app}), \
        request.param, cookie


def operations(app, service):
    schema = schemathesis.openapi.from_wsgi(f"/{service}/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


def test_no_server_errors_and_documented_responses(service_app):
    app, service, cookie = service_app
    checked = 0
    for operation in operations(app, service):

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(
                cookies={auth.SESSION_COOKIE: cookie},
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance])

        fuzz()
        checked += 1
    assert checked > 0
