"""What the admin area reads and changes. Functions take a session and never commit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from portal.accounts import sanctions
from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.community.moderation.decisions import APPEALS_PATH, clean_reason
from portal.community.moderation.models import (
    OTHER_CATEGORY,
    Appeal,
    AppealStatus,
    ContentFlag,
    Decision,
    ModerationDecision,
)
from portal.community.notifications import services as notifications
from portal.errors import Conflict, ServiceError

PER_PAGE = 25
#: The most rows one CSV export holds: narrow the filters for more.
EXPORT_MAX_ROWS = 50_000

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    has_more: bool


def _page(db: Session, statement: Select[Any], page: int, per_page: int = PER_PAGE) -> Page[Any]:
    page = max(1, page)
    rows = list(db.scalars(statement.offset((page - 1) * per_page).limit(per_page + 1)))
    return Page(rows[:per_page], page, len(rows) > per_page)


# -- dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    users: int
    suspended: int
    banned: int
    open_flags: int
    open_appeals: int
    recent: list[AuditEvent]


def dashboard(db: Session, now: datetime | None = None) -> Dashboard:
    now = now or sanctions.clock()

    def count(statement: Select[Any]) -> int:
        return db.scalar(statement) or 0

    return Dashboard(
        users=count(select(func.count()).select_from(User)),
        suspended=count(select(func.count()).where(User.suspended_until > now)),
        banned=count(select(func.count()).where(User.banned_at.is_not(None))),
        open_flags=count(select(func.count()).where(ContentFlag.resolved_at.is_(None))),
        open_appeals=count(select(func.count()).where(Appeal.status == AppealStatus.OPEN.value)),
        recent=list(db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10))),
    )


# -- users ---------------------------------------------------------------------------


def find_users(db: Session, text: str = "", page: int = 1) -> Page[User]:
    """Accounts whose username, e-mail address or display name contains ``text``."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    text = text.strip()
    if text:
        statement = statement.where(
            or_(
                User.username.contains(text.lower(), autoescape=True),
                User.email.contains(text.lower(), autoescape=True),
                func.lower(User.display_name).contains(text.lower(), autoescape=True),
            )
        )
    return _page(db, statement, page)


def change_role(db: Session, actor: User, user: User, role: str) -> None:
    try:
        new = Role(role)
    except ValueError:
        raise ServiceError("Choose one of the listed roles.", "role") from None
    if user.id == actor.id and new is not Role.ADMIN:
        raise Conflict("You cannot remove your own admin role; ask another admin.", "role")
    accounts.set_role(db, user, new, actor=actor)


def _account_decision(
    db: Session, actor: User, user: User, decision: Decision, reason: str, now: datetime
) -> ModerationDecision:
    """An account decision made here: kept like a moderator's, so it can be appealed once."""
    reason = clean_reason(reason)
    if user.id == actor.id:
        raise Conflict(f"You cannot {decision.value} yourself.")
    record = ModerationDecision(
        community_id=None,
        action=decision.value,
        user_id=user.id,
        actor_id=actor.id,
        category=OTHER_CATEGORY,
        reason=reason,
        created_at=now,
    )
    db.add(record)
    db.flush()
    return record


def suspend(
    db: Session, actor: User, user: User, *, days: int, reason: str, now: datetime | None = None
) -> ModerationDecision:
    now = now or sanctions.clock()
    record = _account_decision(db, actor, user, Decision.SUSPEND, reason, now)
    record.suspended_until = sanctions.suspend(
        db, user, days=days, reason=reason, actor=actor, now=now, decision_id=record.id
    )
    until = record.suspended_until.strftime("%d %B %Y")
    notifications.notify(
        db,
        user.id,
        f"An admin suspended your account until {until}. Reason: {record.reason} "
        "You can appeal once.",
        link=f"{APPEALS_PATH}#decision-{record.id}",
    )
    return record


def ban(
    db: Session, actor: User, user: User, *, reason: str, now: datetime | None = None
) -> ModerationDecision:
    now = now or sanctions.clock()
    record = _account_decision(db, actor, user, Decision.BAN, reason, now)
    sanctions.ban(db, user, reason=reason, actor=actor, now=now, decision_id=record.id)
    notifications.notify(
        db,
        user.id,
        f"An admin banned your account. Reason: {record.reason} You can appeal once.",
        link=f"{APPEALS_PATH}#decision-{record.id}",
    )
    return record


def restore(db: Session, actor: User, user: User, *, reason: str) -> None:
    if not sanctions.lift(db, user, reason=reason, actor=actor):
        raise Conflict("This account is neither suspended nor banned.")
    notifications.notify(db, user.id, f"An admin lifted the restriction on your account. {reason}")


# -- the audit log -------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    subject: str = ""
    since: str = ""
    until: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def _day(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"Write the date as YYYY-MM-DD, not {value[:20]!r}.", field) from None


def audit_query(db: Session, where: AuditFilter) -> Select[Any]:
    """The audit events matching ``where``, newest first; a bad date raises ServiceError."""
    statement = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if where.actor.strip():
        actor_id = db.scalar(select(User.id).where(User.username == where.actor.strip().lower()))
        if actor_id is None:
            raise ServiceError(f"No account is called {where.actor.strip()[:40]!r}.", "actor")
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if where.action.strip():
        statement = statement.where(
            AuditEvent.action.startswith(where.action.strip(), autoescape=True)
        )
    if where.subject.strip():
        statement = statement.where(
            AuditEvent.subject.contains(where.subject.strip(), autoescape=True)
        )
    since, until = _day(where.since, "since"), _day(where.until, "until")
    if since and until and since > until:
        raise ServiceError("The start date is after the end date.", "since")
    if since:
        statement = statement.where(AuditEvent.created_at >= datetime.combine(since, time(), UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
        statement = statement.where(AuditEvent.created_at < end)
    return statement


def audit_page(db: Session, where: AuditFilter, page: int = 1) -> Page[AuditEvent]:
    return _page(db, audit_query(db, where), page, per_page=50)


def actor_names(db: Session, events: list[AuditEvent]) -> dict[int, str]:
    """Usernames of the events' actors and of the members they concern (``user_id``)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= {e.details["user_id"] for e in events if isinstance(e.details.get("user_id"), int)}
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


AUDIT_COLUMNS = ["time", "action", "actor", "subject", "ip_address", "details"]


def audit_rows(db: Session, where: AuditFilter) -> Iterator[list[Any]]:
    """The filtered log as CSV rows (at most EXPORT_MAX_ROWS), oldest last like the page."""
    events = list(db.scalars(audit_query(db, where).limit(EXPORT_MAX_ROWS)))
    names = actor_names(db, events)
    for event in events:
        yield [
            event.created_at.isoformat(),
            event.action,
            names.get(event.actor_id, "") if event.actor_id is not None else "",
            event.subject,
            event.ip_address,
            json.dumps(event.details, sort_keys=True, default=str),
        ]


def decisions_about(db: Session, user: User) -> list[ModerationDecision]:
    return list(
        db.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.user_id == user.id)
            .order_by(ModerationDecision.id.desc())
        )
    )
