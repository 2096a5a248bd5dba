"""A token's "last used" is kept to the minute without making every call a write."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.tokens import ApiToken
from tests.portal.api.conftest import bearer


def _last_used(session):
    session.expire_all()
    return session.scalar(select(ApiToken.last_used_at))


def test_last_used_is_recorded_then_refreshed_only_after_a_minute(client, person, token_for,
                                                                   session):
    token = token_for(person("sam"))
    assert _last_used(session) is None

    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    first = _last_used(session)
    assert first is not None

    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    assert _last_used(session) == first  # within the minute: no write

    session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=5)))
    session.commit()
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    assert _last_used(session) > first - timedelta(minutes=1)


def test_a_revoked_token_is_refused_even_when_recently_used(client, person, token_for, session):
    token = token_for(person("sam"))
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    session.execute(update(ApiToken).values(revoked_at=_last_used(session)))
    session.commit()
    response = client.post("/api/v1/communities/none/join", headers=bearer(token), json={})
    assert response.status_code == 401
