"""Failed-login counts: kept per account, forgotten after a quiet day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts import backoff, forget_login_failures
from portal.accounts.models import LoginFailures
from portal.db import utcnow
from portal.jobs import periodic
from tests.portal.conftest import AuthActions


def test_counts_idle_for_a_day_are_forgotten_by_the_periodic_task(app, session, make_user):
    make_user("alice")
    auth = AuthActions(app.test_client())
    auth.login("alice", "not the password")
    auth.login("someone-typed-once", "not the password")
    keys = set(session.scalars(select(LoginFailures.key)))
    assert len(keys) == 2 and "login:someone-typed-once" in keys
    now = utcnow()
    session.add(LoginFailures(key="login:old", failures=3, last_failed_at=now - timedelta(days=2)))
    session.commit()
    assert "accounts.forget_login_failures" in {entry.name for entry in periodic.entries(app)}
    assert forget_login_failures(app) == 1
    session.expire_all()
    assert len(session.scalars(select(LoginFailures.key)).all()) == 2
    assert backoff.failures(session, "login:someone-typed-once") == 1


def test_a_success_clears_the_count(app, session, make_user):
    make_user("alice")
    auth = AuthActions(app.test_client())
    auth.login("ALICE", "not the password")
    auth.login("alice@example.org", "not the password")
    key = session.scalar(select(LoginFailures.key))
    assert key.startswith("user:") and backoff.failures(session, key) == 2
    assert auth.login("alice").status_code == 302
    session.expire_all()
    assert backoff.failures(session, key) == 0
