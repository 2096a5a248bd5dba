"""A token's "last used" is kept to the minute without making every call a write,
and each web process remembers a resolved token for TOKEN_CACHE_SECONDS only."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.tokens import ApiToken
from portal.api.auth import TOKEN_CACHE
from portal.db import utcnow
from tests.portal.api.conftest import bearer
from tests.portal.conftest import Clock, csrf_token


@pytest.fixture
def clock(app) -> Clock:
    clock = Clock()
    app.extensions[TOKEN_CACHE].clock = clock
    return clock


def _last_used(session):
    session.expire_all()
    return session.scalar(select(ApiToken.last_used_at))


def test_last_used_is_recorded_then_refreshed_only_after_a_minute(
    client, person, token_for, session, clock
):
    token = token_for(person("sam"))
    assert _last_used(session) is None

    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    first = _last_used(session)
    assert first is not None

    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    assert _last_used(session) == first  # within the minute: no write

    session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=5)))
    session.commit()
    clock.now += 1.5  # the process's copy of the token is older than TOKEN_CACHE_SECONDS
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    assert _last_used(session) > first - timedelta(minutes=1)


def test_a_token_revoked_by_another_process_is_refused_within_the_cache_seconds(
    app, client, person, token_for, session, clock
):
    assert app.config["TOKEN_CACHE_SECONDS"] == 1.0
    token = token_for(person("sam"))
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    # Revoked behind this process's back, as another web process would.
    session.execute(update(ApiToken).values(revoked_at=_last_used(session)))
    session.commit()
    clock.now += 0.5
    assert (
        client.post("/api/v1/communities/none/join", headers=bearer(token), json={}).status_code
        == 404
    )  # still remembered: the bound is 1 s
    clock.now += 0.6
    response = client.post("/api/v1/communities/none/join", headers=bearer(token), json={})
    assert response.status_code == 401


def test_a_token_revoked_in_this_process_is_refused_at_once(
    client, auth, person, token_for, session, clock
):
    token = token_for(person("sam"))
    auth.login("sam")  # before the token is remembered: only the revoke can forget it
    used = client.post("/api/v1/communities/none/join", headers=bearer(token), json={})
    assert used.status_code == 404  # the token works (there is no such community)
    client.post(
        f"/account/tokens/{session.scalar(select(ApiToken.id))}/revoke",
        data={"csrf_token": csrf_token(client, "/account")},
    )
    auth.logout()
    assert session.scalar(select(ApiToken.revoked_at)) is not None
    response = client.post("/api/v1/communities/none/join", headers=bearer(token), json={})
    assert response.status_code == 401


def test_writing_last_used_never_extends_a_remembered_token(
    client, person, token_for, session, clock
):
    token = token_for(person("sam"))
    # Used 59.7 s ago: remembered as such, and due a "last used" write 0.3 s from now.
    session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(seconds=59.7)))
    session.commit()
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    session.execute(update(ApiToken).values(revoked_at=utcnow()))  # by another process
    session.commit()
    time.sleep(0.4)
    clock.now += 0.9
    client.get("/api/v1/questions", headers=bearer(token))  # remembered; writes "last used"
    written = _last_used(session)
    clock.now += 0.05
    client.get("/api/v1/questions", headers=bearer(token))
    assert _last_used(session) == written  # the copy learnt of the write: no second one
    clock.now += 0.15  # 1.1 s after the token was read from the database
    response = client.post("/api/v1/communities/none/join", headers=bearer(token), json={})
    assert response.status_code == 401


def test_a_remembered_token_acts_as_its_owner(client, community, person, token_for, clock):
    """The remembered copy becomes the request's own objects, able to write."""
    token = token_for(person("sam"))
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    joined = client.post("/api/v1/communities/colon-cancer/join", headers=bearer(token))
    assert joined.get_json() == {"community": "colon-cancer", "member": True, "members": 1}
    left = client.post("/api/v1/communities/colon-cancer/leave", headers=bearer(token))
    assert left.status_code == 200 and left.get_json()["member"] is False


def test_a_remembered_token_sent_with_its_owners_signed_in_cookie(
    client, auth, community, person, token_for, clock
):
    """The token's owner, already read for the request from the session cookie, is
    the same row as the remembered copy: the request must still act as one user."""
    sam = person("sam")
    token = token_for(sam)
    assert client.get("/api/v1/questions", headers=bearer(token)).status_code == 200
    assert auth.login(sam.username).status_code == 302
    joined = client.post("/api/v1/communities/colon-cancer/join", headers=bearer(token))
    assert joined.status_code == 200, joined.get_json()
    assert joined.get_json()["member"] is True


def test_a_remembered_row_the_session_already_holds_is_the_same_instance(app, person):
    """The copy is attached as loaded; if the request's session read the row
    already, that instance is the request's, never a second one for one row."""
    from portal import db
    from portal.accounts.models import User
    from portal.api.auth import _columns
    from portal.db import attach_loaded

    columns = _columns(person("sam"))
    with app.app_context():
        fresh = db.session()
        attached = attach_loaded(fresh, User, columns)
        assert attached in fresh and not fresh.dirty and attached.username == "sam"
        fresh.close()
        holding = db.session()
        loaded = holding.get(User, columns["id"])
        assert attach_loaded(holding, User, columns) is loaded
        assert not holding.dirty


def test_a_name_that_is_not_a_column_is_refused_when_attaching(app, person):
    # The values go straight into the instance: a stray name would sit beside the
    # attributes, and the column it was meant for would load from the database.
    from portal import db
    from portal.accounts.models import User
    from portal.api.auth import _columns
    from portal.db import attach_loaded

    columns = {**_columns(person("sam")), "user_name": "sam"}
    with app.app_context(), pytest.raises(TypeError, match=r"User has no column .*user_name"):
        attach_loaded(db.session(), User, columns)
