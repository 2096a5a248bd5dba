"""API fixtures: tokens made through the service, communities from the community tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.tokens import create_token
from tests.portal.community.conftest import community, other_community, person  # noqa: F401


@pytest.fixture
def token_for(session: Session):
    """A plain personal token for ``user`` (made as the account page makes it)."""

    def make(user: User, scope: str = "write") -> str:
        _token, plain = create_token(session, user, name="tests", scope=scope)
        session.commit()
        return plain

    return make


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
