"""Fixtures for founding and governing communities: an admin, a founder, a proposal."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.community.governance import founding
from portal.community.models import Community
from tests.portal.conftest import csrf_token

PROPOSAL = {
    "name": "Living with type 1 diabetes",
    "condition": "Type 1 diabetes",
    "condition_code": "e10",
    "description": "People with type 1 diabetes, and those who care for them, asking "
    "which research would change their days.",
    "audience": "People with type 1 diabetes, their carers and their clinicians.",
    "rules": "Be kind.\n\n* No dosing advice.\n* Share only your own story.",
}


@pytest.fixture
def admin(person) -> User:
    return person("ada", role=Role.ADMIN)


@pytest.fixture
def founder(person) -> User:
    return person("fred")


@pytest.fixture
def proposal(session: Session, founder: User) -> Community:
    fields = {**PROPOSAL, "condition_code": "E10"}
    created = founding.propose(session, founder, founding.Proposal(**fields))
    session.commit()
    return created


def post(client: FlaskClient, url: str, data: dict, token_from: str):
    """POST as a browser does: with the CSRF token of the page the form is on."""
    return client.post(url, data={"csrf_token": csrf_token(client, token_from), **data})
