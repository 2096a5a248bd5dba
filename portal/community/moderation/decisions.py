"""A moderator's decision on flagged content: hide, keep, edit, warn, suspend or ban.
Never commits.

Every decision is kept as a ModerationDecision (what the author may appeal), resolves
the content's open flags, goes to the audit log with ``details["community_id"]`` (the
community's public moderation log reads those), and tells the author why, on the site
(here) and by e-mail (notices.py, sent by the view once the decision is committed).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts import sanctions
from portal.accounts.models import User
from portal.community.moderation import targets
from portal.community.moderation.models import (
    CATEGORIES,
    OTHER_CATEGORY,
    ContentFlag,
    Decision,
    ModerationDecision,
    category_label,
)
from portal.community.notifications import services as notifications
from portal.db import rows_changed, utcnow
from portal.errors import Conflict, Forbidden, ServiceError

REASON_MAX = 2000

#: Where a member reads the decisions about them and appeals (the appeals blueprint).
APPEALS_PATH = "/appeals/"

#: The audit action of each decision ("moderation.hidden" ...).
AUDIT_ACTIONS = {
    Decision.HIDE: "moderation.hidden",
    Decision.KEEP: "moderation.kept",
    Decision.EDIT: "moderation.edited",
    Decision.WARN: "moderation.warned",
    Decision.SUSPEND: "moderation.suspended",
    Decision.BAN: "moderation.banned",
    Decision.RESTORE: "moderation.restored",
}

#: What the author is told was done, completing "A moderator ... <your comment on …>".
_DONE = {
    Decision.HIDE: "removed",
    Decision.KEEP: "reviewed the flags on, and kept,",
    Decision.EDIT: "edited",
    Decision.WARN: "removed, with a warning,",
    Decision.SUSPEND: "removed, and suspended your account over,",
    Decision.BAN: "removed, and banned your account over,",
    Decision.RESTORE: "restored",
}


def appealable(decision: ModerationDecision) -> bool:
    """Decisions against the author can be appealed; keeping or restoring cannot."""
    return decision.decision not in (Decision.KEEP, Decision.RESTORE)


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: the author is told it, and it is audited.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", "reason")
    return reason


def _resolve(db: Session, target: Any, actor: User, now: datetime) -> int:
    column = getattr(ContentFlag, targets.kind_of(target).flag_column)
    return rows_changed(
        db,
        update(ContentFlag)
        .where(column == target.id, ContentFlag.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=actor.id),
    )


def decide(
    db: Session,
    actor: User,
    target: Any,
    decision: Decision | str,
    *,
    reason: str,
    category: str = OTHER_CATEGORY,
    new_text: str = "",
    days: int | None = None,
    now: datetime | None = None,
) -> ModerationDecision:
    """Carry out ``decision`` on ``target``; returns the record the author may appeal."""
    now = now or utcnow()
    try:
        decision = Decision(decision)
    except ValueError:
        raise ServiceError("Choose one of the listed decisions.", "decision") from None
    kind = targets.kind_of(target)
    community_id = kind.community_id(db, target)
    policy.require_moderator(db, community_id, actor)
    if decision.sanctions and not policy.can_sanction_accounts(actor):
        raise Forbidden("Only site moderators and admins can suspend or ban an account.")
    reason = clean_reason(reason)
    if category not in {value for value, _ in CATEGORIES}:
        raise ServiceError("Choose a category from the list.", "category")
    author: User | None = target.author
    if decision in (Decision.WARN, Decision.SUSPEND, Decision.BAN) and author is None:
        raise Conflict("Its author's account no longer exists: hide it instead.")
    record = ModerationDecision(
        community_id=community_id,
        action=decision.value,
        target_kind=kind.name,
        target_id=target.id,
        user_id=author.id if author else None,
        actor_id=actor.id,
        category=category,
        reason=reason,
        created_at=now,
    )
    if decision is Decision.EDIT:
        text = (new_text or "").strip()
        if not text:
            raise ServiceError("Write the text as it should read.", "new_text")
        if len(text) > kind.text_max:
            raise ServiceError(f"Use at most {kind.text_max} characters.", "new_text")
        record.original_text = getattr(target, kind.text_field)
        setattr(target, kind.text_field, text)
    target.hidden = decision.hides
    target.hidden_reason = reason if decision.hides else ""
    if decision is Decision.SUSPEND:
        assert author is not None
        if days is None:
            raise ServiceError("Say for how many days.", "days")
        record.suspended_until = sanctions.suspend(
            db, author, days=days, reason=reason, actor=actor, now=now, community_id=community_id
        )
    elif decision is Decision.BAN:
        assert author is not None
        sanctions.ban(db, author, reason=reason, actor=actor, now=now, community_id=community_id)
    resolved = _resolve(db, target, actor, now)
    db.add(record)
    db.flush()
    audit.record(
        db,
        AUDIT_ACTIONS[decision],
        actor_id=actor.id,
        subject=targets.subject(target),
        community_id=community_id,
        decision_id=record.id,
        user_id=record.user_id,
        category=category,
        reason=reason,
        flags_resolved=resolved,
    )
    if author is not None and author.id != actor.id:
        notifications.notify(
            db,
            author.id,
            notice_line(db, record, target),
            link=f"{APPEALS_PATH}#decision-{record.id}",
        )
    return record


def notice_line(db: Session, record: ModerationDecision, target: Any) -> str:
    """The one line the author reads in their notices (the e-mail says more)."""
    what = targets.kind_of(target).describe(db, target)
    line = f"A moderator {_DONE[record.decision]} {what}: {record.category_label}. "
    line += f"Reason: {record.reason}"
    if appealable(record):
        line += " You can appeal once."
    return line


# -- what readers see --------------------------------------------------------------


def outcomes(db: Session, kind: str, ids: Collection[int]) -> dict[int, str]:
    """For hidden content of ``kind`` that a moderator decided on, the category its
    latest decision gave, which readers see instead of "waiting for a moderator"."""
    if not ids:
        return {}
    latest = (
        select(ModerationDecision.target_id, func.max(ModerationDecision.id).label("id"))
        .where(ModerationDecision.target_kind == kind, ModerationDecision.target_id.in_(list(ids)))
        .group_by(ModerationDecision.target_id)
        .subquery()
    )
    rows = db.execute(
        select(ModerationDecision.target_id, ModerationDecision.category).join(
            latest, latest.c.id == ModerationDecision.id
        )
    ).all()
    return {target_id: category_label(category) for target_id, category in rows if target_id}


def decisions_about(db: Session, user: User) -> list[ModerationDecision]:
    """Every decision about ``user``'s content or account, newest first."""
    return list(
        db.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.user_id == user.id)
            .order_by(ModerationDecision.created_at.desc(), ModerationDecision.id.desc())
        )
    )
