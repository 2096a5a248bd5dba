"""The rule of a suspension: writes are refused exactly while its end lies ahead, and a
ban refuses them whatever the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.accounts import sanctions
from portal.accounts.models import User

START = datetime(2026, 1, 1, tzinfo=UTC)


def member(**fields) -> User:
    return User(username="sam", email="sam@example.org", password_hash="x", **fields)


# The first User built configures every mapper: slow once, so no deadline.
@settings(deadline=None)
@given(
    days=st.integers(min_value=1, max_value=sanctions.MAX_SUSPENSION_DAYS),
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_a_suspension_refuses_writes_exactly_until_it_ends(days, elapsed):
    user = member(suspended_until=START + timedelta(days=days))
    now = START + elapsed
    refused = sanctions.restriction(user, now) is not None
    assert refused == (elapsed < timedelta(days=days))


@settings(deadline=None)
@given(elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4000)))
def test_a_ban_refuses_writes_at_any_time(elapsed):
    user = member(banned_at=START, suspended_until=START + timedelta(days=1))
    with pytest.raises(sanctions.AccountSanctioned, match="banned"):
        sanctions.require_can_write(user, START + elapsed)


def test_a_member_without_sanction_may_write():
    sanctions.require_can_write(member(), START)
