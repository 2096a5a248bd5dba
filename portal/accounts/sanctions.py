"""Suspending and banning accounts, and the one check that keeps them from writing.

A suspended (until a time) or banned member can still sign in: they read their
notices, see why they were sanctioned and appeal once. Everything else that writes
(posting, commenting, voting, flagging, uploading, any write through an API token)
is refused by :func:`enforce`, which runs before every request, so no feature can
forget the rule. A suspension ends by itself when its time comes; nothing has to run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request
from flask_login import current_user
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts import sessions
from portal.accounts.models import User
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, ServiceError

#: Longest suspension a moderator may give; beyond it, a ban says what is meant.
MAX_SUSPENSION_DAYS = 365

#: Writes a sanctioned member may still make: leave, keep their account safe, mark their
#: notices read, and appeal. Everything else that is not a GET is refused.
ALLOWED_WHILE_SANCTIONED = frozenset(
    {
        "accounts.login",
        "accounts.logout",
        "accounts.logout_everywhere",
        "accounts.change_password",
        "accounts.revoke_token",
        "accounts.send_confirmation_again",
        "notifications.mark_read",
        "appeals.submit",
    }
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Where "now" comes from: tests move it to see a suspension end on time.
clock: Callable[[], datetime] = utcnow


class AccountSanctioned(Forbidden):
    code = "account_sanctioned"


def is_banned(user: User) -> bool:
    return user.banned_at is not None


def is_suspended(user: User, now: datetime | None = None) -> bool:
    now = now or clock()
    return user.suspended_until is not None and user.suspended_until > now


def restriction(user: User, now: datetime | None = None) -> str | None:
    """Why ``user`` may not write now, in plain words; None when they may."""
    if is_banned(user):
        return "Your account is banned: you can read, and appeal from your notices, but not post."
    if is_suspended(user, now):
        assert user.suspended_until is not None
        until = user.suspended_until.strftime("%d %B %Y, %H:%M UTC")
        return (
            f"Your account is suspended until {until}: you can read, and appeal from your "
            "notices, but not post, comment, vote, flag or upload until then."
        )
    return None


def require_can_write(user: User, now: datetime | None = None) -> None:
    why = restriction(user, now)
    if why:
        raise AccountSanctioned(why)


def suspend(
    db: Session,
    user: User,
    *,
    days: int,
    reason: str,
    actor: User,
    now: datetime | None = None,
    **details: Any,
) -> datetime:
    """Suspend ``user`` for ``days`` from now; returns when it ends."""
    now = now or clock()
    if user.id == actor.id:
        raise Conflict("You cannot suspend yourself.")
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ServiceError(
            f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days; for longer, ban the account.", "days"
        )
    reason = _reason(reason)
    until = now + timedelta(days=days)
    user.suspended_until = until
    audit.record(
        db,
        "account.suspended",
        actor_id=actor.id,
        subject=f"user:{user.username}",
        user_id=user.id,
        until=until.isoformat(),
        reason=reason,
        **details,
    )
    return until


def ban(
    db: Session,
    user: User,
    *,
    reason: str,
    actor: User,
    now: datetime | None = None,
    **details: Any,
) -> None:
    now = now or clock()
    if user.id == actor.id:
        raise Conflict("You cannot ban yourself.")
    reason = _reason(reason)
    user.banned_at = now
    # A ban takes effect everywhere the member is signed in, not at their next login.
    sessions.end_all_sessions(db, user, reason="banned")
    audit.record(
        db,
        "account.banned",
        actor_id=actor.id,
        subject=f"user:{user.username}",
        user_id=user.id,
        reason=reason,
        **details,
    )


def lift(db: Session, user: User, *, reason: str, actor: User, **details: Any) -> bool:
    """End a suspension or ban; False when there was none."""
    if user.banned_at is None and not is_suspended(user):
        user.suspended_until = None
        return False
    reason = _reason(reason)
    user.banned_at = None
    user.suspended_until = None
    audit.record(
        db,
        "account.restored",
        actor_id=actor.id,
        subject=f"user:{user.username}",
        user_id=user.id,
        reason=reason,
        **details,
    )
    return True


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: the member is told it, and it is audited.", "reason")
    if len(reason) > 2000:
        raise ServiceError("Use at most 2000 characters.", "reason")
    return reason


def enforce(app: Flask) -> None:
    """Refuse every write of a sanctioned account; registered after the API's token
    check so that a write made with a token is refused the same as one from a page."""

    @app.before_request
    def refuse_sanctioned_writes() -> None:
        if request.method in SAFE_METHODS or request.routing_exception is not None:
            return
        if request.endpoint in ALLOWED_WHILE_SANCTIONED:
            return
        user = current_user._get_current_object() if current_user.is_authenticated else None
        if isinstance(user, User):
            require_can_write(user)
