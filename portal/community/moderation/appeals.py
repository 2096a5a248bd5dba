"""Appealing a decision, once, and deciding the appeal. Never commits.

The author of content (or the holder of an account) a decision went against may
appeal it once, with a text. Another moderator or an admin decides the appeal: the
one who made the decision only when nobody else could. Upholding changes nothing;
overturning undoes the decision (shows hidden content again, puts an edited text
back, lifts a suspension or ban). The author is told either way, and it is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts import sanctions
from portal.accounts.models import Role, User
from portal.community.models import Membership
from portal.community.moderation import targets
from portal.community.moderation.decisions import APPEALS_PATH, appealable, clean_reason
from portal.community.moderation.models import (
    APPEAL_MAX,
    Appeal,
    AppealStatus,
    Decision,
    ModerationDecision,
)
from portal.community.notifications import services as notifications
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, NotFound, ServiceError
from portal.upsert import insert

ALREADY_APPEALED = "You have already appealed this decision: each decision can be appealed once."


def appeal(
    db: Session, user: User, decision: ModerationDecision, *, text: str, now: datetime | None = None
) -> Appeal:
    """``user``'s one appeal against ``decision``."""
    now = now or utcnow()
    if decision.user_id != user.id:
        raise NotFound("There is no such decision about you.")
    if not appealable(decision):
        raise Conflict("This decision went your way: there is nothing to appeal.")
    text = (text or "").strip()
    if not text:
        raise ServiceError("Say why the decision should change.", "text")
    if len(text) > APPEAL_MAX:
        raise ServiceError(f"Use at most {APPEAL_MAX} characters.", "text")
    # The unique decision_id settles two appeals sent at once: one row, one winner.
    added = db.execute(
        insert(db, Appeal)
        .values(
            decision_id=decision.id,
            user_id=user.id,
            text=text,
            status=AppealStatus.OPEN.value,
            created_at=now,
            response="",
        )
        .on_conflict_do_nothing()
        .returning(Appeal.id)
    ).first()
    if added is None:
        raise Conflict(ALREADY_APPEALED, "text")
    audit.record(
        db,
        "moderation.appealed",
        actor_id=user.id,
        actor_role="member",  # the author appeals; the full log must not say a moderator did
        subject=f"decision:{decision.id}",
        community_id=decision.community_id,
        decision_id=decision.id,
        appeal_id=added[0],
    )
    found = db.get(Appeal, added[0])
    assert found is not None
    return found


def appeal_of(db: Session, decision: ModerationDecision) -> Appeal | None:
    return db.scalar(select(Appeal).where(Appeal.decision_id == decision.id))


def _someone_else_can_decide(db: Session, decision: ModerationDecision) -> bool:
    """Whether anyone other than the decision's maker may decide its appeal."""
    others_admins = select(User.id).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != decision.actor_id
    )
    if db.scalar(others_admins.limit(1)) is not None:
        return True
    if decision.community_id is None:
        return False
    moderators = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == decision.community_id,
            Membership.role == "moderator",
            User.active.is_(True),
            User.id != decision.actor_id,
            User.id != decision.user_id,
        )
    )
    sanction = decision.decision.sanctions
    return any(not sanction or policy.can_sanction_accounts(u) for u in db.scalars(moderators))


def can_decide(db: Session, viewer: User, appeal_row: Appeal) -> bool:
    decision = appeal_row.decision
    if viewer.id == appeal_row.user_id:
        return False
    if not policy.can_decide_appeal(
        db, viewer, decision.community_id, sanction=decision.decision.sanctions
    ):
        return False
    return viewer.id != decision.actor_id or not _someone_else_can_decide(db, decision)


def open_appeals(db: Session, viewer: User) -> list[Appeal]:
    """The open appeals ``viewer`` may decide, oldest first."""
    rows = db.scalars(
        select(Appeal)
        .where(Appeal.status == AppealStatus.OPEN.value)
        .order_by(Appeal.created_at, Appeal.id)
    )
    return [row for row in rows if can_decide(db, viewer, row)]


def decide_appeal(
    db: Session,
    actor: User,
    appeal_row: Appeal,
    *,
    overturn: bool,
    response: str,
    now: datetime | None = None,
) -> Appeal:
    now = now or utcnow()
    if not can_decide(db, actor, appeal_row):
        raise Forbidden("Another moderator or an admin decides this appeal.")
    if appeal_row.status != AppealStatus.OPEN.value:
        raise Conflict("This appeal is already decided.")
    response = clean_reason(response)
    decision = appeal_row.decision
    if overturn:
        _undo(db, actor, decision, response)
    appeal_row.status = (AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD).value
    appeal_row.decided_at = now
    appeal_row.decided_by_id = actor.id
    appeal_row.response = response
    audit.record(
        db,
        "moderation.appeal_overturned" if overturn else "moderation.appeal_upheld",
        actor_id=actor.id,
        subject=f"decision:{decision.id}",
        community_id=decision.community_id,
        decision_id=decision.id,
        appeal_id=appeal_row.id,
        reason=response,
    )
    outcome = "accepted: the decision is undone" if overturn else "not accepted"
    notifications.notify(
        db,
        appeal_row.user_id,
        f"Your appeal was {outcome}. {response}",
        link=f"{APPEALS_PATH}#decision-{decision.id}",
    )
    return appeal_row


def _undo(db: Session, actor: User, decision: ModerationDecision, response: str) -> None:
    target: Any = None
    if decision.target_kind and decision.target_id is not None:
        try:
            target = targets.load(db, decision.target_kind, decision.target_id)
        except NotFound:
            target = None  # deleted since: nothing left to show again
    if target is not None:
        if decision.decision is Decision.EDIT and decision.original_text:
            setattr(target, targets.kind_of(target).text_field, decision.original_text)
        if decision.decision.hides:
            target.hidden = False
            target.hidden_reason = ""
    if decision.decision.sanctions and decision.user is not None:
        sanctions.lift(
            db,
            decision.user,
            reason=f"Appeal accepted: {response}",
            actor=actor,
            community_id=decision.community_id,
        )
