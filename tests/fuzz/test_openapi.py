"""Every service's API against its own OpenAPI description, with generated input: no 5xx, and
every response matches what the description promises (issue 9, fuzzing).

Runs signed in as a coordinator-and-finance user, so requests get past the role guards and
reach the validation and the use cases. The services hold a small 2019 programme
(``programme.py``, seeded through their own APIs and events) and the shared clock stands
where its windows are open, so what the fuzzer sends names real rows most of the time and
reaches the use cases, their queries and their answers:

- path parameters are drawn from the seeded ids (an application with one of its own
  members), one draw in ``UNKNOWN_ONE_IN`` keeps what schemathesis generated (mostly unknown);
- body fields the seed knows (a city, a participant, a claim) likewise, and the bodies no
  generator gets right (a team's application, an edition) are mostly sent whole.

Enrolment is fuzzed twice: in the application window and, on a second enrolment seeded with
counselling applications, in the counselling programme's window. Each operation gets a few
derandomized schema-valid examples, then a few that break the description somewhere (a
wrong type, a missing field), so that every refusal is checked against it too.

A pass also fails when fewer than half of its operations taking a path parameter or a body
ever got a 2xx: an emptied seed would otherwise leave only the 404s tested.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway.accounts import parse_grants
from shared import auth, clock
from shared.testing.harness import session_cookie
from tests.fuzz.programme import (
    APPLICATION_WINDOW,
    COUNSELLING_WINDOW,
    MID_PROGRAMME,
    Programme,
    counselling_enrolment,
    seed_programme,
)

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}  # per operation
UNKNOWN_ONE_IN = 5
MIN_REACHED = 0.5  # of the operations taking a path parameter or a body, the share with a 2xx
# Irreversible: fuzzed after the rest, which would otherwise find nothing left to work on (the
# fuzzer may well set a last payment long past, and then the edition's personal data goes).
LAST = {"POST /api/editions/{edition_id}/anonymise"}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# pass → (service, which seeded programme, the moment it is fuzzed at)
PASSES = {
    "enrolment-application-window": ("enrolment", "programme", APPLICATION_WINDOW),
    "enrolment-counselling-window": ("enrolment", "counselling", COUNSELLING_WINDOW),
    "attendance": ("attendance", "programme", MID_PROGRAMME),
    "billing": ("billing", "programme", MID_PROGRAMME),
    "notify": ("notify", "programme", MID_PROGRAMME),
    "reporting": ("reporting", "programme", MID_PROGRAMME),
}


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    p = seed_programme(tmp_path_factory.mktemp("fuzz-programme"))
    yield p
    p.close()


@pytest.fixture(scope="module")
def counselling(tmp_path_factory):
    p = counselling_enrolment(tmp_path_factory.mktemp("fuzz-counselling"))
    yield p
    p.close()


@dataclass
class Target:
    service: str
    app: object
    cookie: str
    moment: datetime
    records: list[dict]
    values: dict[str, list]
    bodies: dict[str, list]


@pytest.fixture(params=list(PASSES))
def target(request) -> Target:
    service, which, moment = PASSES[request.param]
    p: Programme = request.getfixturevalue(which)
    h = p.harness[service]
    user = auth.StaffUser("fuzzer", "Fuzzer", "fuzz@example.ee", parse_grants(["coordinator", "finance"]))
    # Mounted at /<service>, as the OpenAPI servers entry says.
    app = DispatcherMiddleware(lambda e, s: s("404 Not Found", []) or [b""], {f"/{service}": h.app})
    clock.set_now(moment)
    return Target(service, app, session_cookie(h.app, user), moment, p.ids[service], p.values[service],
                  p.bodies[service])


# -- what the fuzzer draws from ---------------------------------------------------------------------

def mostly(seeded: st.SearchStrategy, generated) -> st.SearchStrategy:
    """``seeded``, but one draw in ``UNKNOWN_ONE_IN`` keeps what schemathesis generated."""
    return st.integers(0, UNKNOWN_ONE_IN - 1).flatmap(
        lambda i: seeded if i < UNKNOWN_ONE_IN - 1 else st.just(generated))


def seeded_path_parameters(records: list[dict]):
    """schemathesis's ``flatmap_path_parameters`` hook: the operation's path parameters from
    one seeded record that holds them all (an application and one of its members), or name by
    name where no record holds them all."""
    def flatmap_path_parameters(context, path_parameters):
        names = set(path_parameters or {})
        if not names:
            return st.just(path_parameters)
        whole = [dict(pairs) for pairs in dict.fromkeys(
            tuple(sorted((name, r[name]) for name in names)) for r in records if names <= r.keys())]
        if whole:
            return mostly(st.sampled_from(whole), path_parameters)
        values = {name: list(dict.fromkeys(r[name] for r in records if name in r)) for name in names}
        if not any(values.values()):
            return st.just(path_parameters)
        return mostly(st.fixed_dictionaries({
            name: st.sampled_from(values[name]) if values[name] else st.just(path_parameters[name])
            for name in names}), path_parameters)
    return flatmap_path_parameters


def seeded_body(values: dict[str, list], bodies: dict[str, list]):
    """schemathesis's ``flatmap_body`` hook: an operation with seeded bodies mostly sends one
    of them whole; otherwise every field named in ``values``, at any depth, mostly takes a
    seeded value (a mark names a participant on the roster, an invoice a claim)."""
    def with_values(value) -> st.SearchStrategy:
        if isinstance(value, dict):
            return st.fixed_dictionaries({
                key: mostly(st.sampled_from(values[key]), item)
                if key in values and not isinstance(item, dict | list) else with_values(item)
                for key, item in value.items()})
        if isinstance(value, list):
            return st.tuples(*(with_values(item) for item in value)).map(list)
        return st.just(value)

    def flatmap_body(context, body):
        generated = with_values(body)
        whole = bodies.get(context.operation.label)
        if not whole:
            return generated
        return st.integers(0, UNKNOWN_ONE_IN - 1).flatmap(
            lambda i: st.sampled_from(whole).map(copy.deepcopy) if i < UNKNOWN_ONE_IN - 1 else generated)
    return flatmap_body


def operations(target: Target) -> list:
    schema = schemathesis.openapi.from_wsgi(f"/{target.service}/openapi.json", target.app)
    schema.hook("flatmap_path_parameters")(seeded_path_parameters(target.records))
    schema.hook("flatmap_body")(seeded_body(target.values, target.bodies))
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda operation: operation.label in LAST)  # stable: else the description's order


# -- the run ----------------------------------------------------------------------------------------

@dataclass
class Reached:
    """Per operation, the status codes it answered during the run."""
    statuses: dict[str, list[int]] = field(default_factory=dict)
    with_input: set[str] = field(default_factory=set)

    def succeeded(self) -> set[str]:
        return {label for label, codes in self.statuses.items() if any(200 <= c < 300 for c in codes)}


def fuzz(target: Target, operation, mode: GenerationMode, examples: int, codes: list[int]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call_and_validate(cookies={auth.SESSION_COOKIE: target.cookie}, checks=CHECKS)
        codes.append(response.status_code)

    try:
        run()
    except Unsatisfiable:
        # Nothing in the operation can be made invalid (no parameters, or only free text).
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid input to generate"


def test_no_server_errors_and_documented_responses(target):
    reached = Reached()
    for operation in operations(target):
        codes = reached.statuses.setdefault(operation.label, [])
        if "{" in operation.path or operation.body:
            reached.with_input.add(operation.label)
        for mode, examples in EXAMPLES.items():
            fuzz(target, operation, mode, examples, codes)
    assert reached.statuses, "no operations in the description"
    succeeded = reached.succeeded() & reached.with_input
    assert len(succeeded) >= MIN_REACHED * len(reached.with_input), (
        f"{target.service}: only {len(succeeded)} of the {len(reached.with_input)} operations taking a path "
        f"parameter or a body got a 2xx; never: {sorted(reached.with_input - succeeded)}")
