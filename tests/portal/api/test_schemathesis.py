"""A bounded schemathesis run against /api/v1/openapi.json through the WSGI app.

Every documented operation gets generated requests, as a visitor and as a signed-in
researcher with a write token who belongs to a community with a question in it:
no answer may be a server error or break the document (status codes, content
types, response schemas).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from portal.accounts.models import Role
from portal.community.questions import services as questions
from tests.portal.community.conftest import pico

#: Generated requests per operation and caller: a bounded run that fits in CI.
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(params=["visitor", "researcher"])
def headers(request, app, community, person, token_for, session) -> dict:
    """Objects for generated requests to find; a write token unless a visitor calls."""
    rita = person("rita", role=Role.RESEARCHER, member_of=(community,))
    questions.propose(session, community, rita, pico())
    session.commit()
    token = token_for(rita)
    return {"Authorization": f"Bearer {token}"} if request.param == "researcher" else {}


def _check_operation(operation, headers: dict) -> None:
    # Hypothesis runs inside the test (not as the test) so that the database
    # fixtures above are set up once per caller, and the seed is fixed.
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_api_conforms_to_its_document(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _check_operation(operation, headers)
