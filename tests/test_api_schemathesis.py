"""Schemathesis against /engine-rest/openapi.json, through the WSGI app on the real database:
for every documented operation, generated requests (signed in as an admin, with a deployment and a
running case present) never get a server error, and every answer matches the document (status,
content type, headers, body schema).

Driven by Hypothesis directly rather than `schemathesis.pytest` (whose plugin does not work with
pytest 9 yet: it sets `node._nodeid`)."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from test_api import app, basic, deploy_ns, start_case  # noqa: F401  (app is a fixture)

CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance,
          openapi_checks.response_headers_conformance]
EXAMPLES = 12


def test_generated_requests_get_documented_answers_and_no_server_error(db, app):
    deploy_ns(app)
    start_case(app)
    schema = schemathesis.openapi.from_wsgi("/engine-rest/openapi.json", app)
    failures, operations = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=basic("admin.lee"), checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001 - gather every operation's failure, then report them all
            failures[operation.label] = str(error)[:2000]
    assert operations >= 30
    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())
