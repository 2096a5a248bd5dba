"""Appointing and removing a community's moderators. Never commits.

Site admins and the community's own moderators appoint moderators from its members,
and remove them. A community's moderators cannot remove its last moderator (a site
admin can): someone has to answer for it. Every change goes to the audit log.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.models import Community, Membership
from portal.errors import Conflict, NotFound


def actor_role(db: Session, community: Community, actor: User) -> str:
    """How the log names whoever acted: by the power they acted with."""
    if policy.membership_role(db, community.id, actor) == "moderator":
        return "community moderator"
    return "site admin" if policy.is_admin(actor) else "member"


def moderators_of(db: Session, community: Community) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community.id, Membership.role == "moderator")
            .order_by(User.username)
        )
    )


def candidates(db: Session, community: Community) -> list[User]:
    """Active members who are not moderators yet, by name."""
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.community_id == community.id,
                Membership.role == "member",
                User.active.is_(True),
            )
            .order_by(User.username)
        )
    )


def _membership(db: Session, community: Community, user_id: int) -> Membership:
    membership = db.scalar(
        select(Membership)
        .where(Membership.community_id == community.id, Membership.user_id == user_id)
        .with_for_update()
    )
    if membership is None:
        raise NotFound(f"That person is not a member of {community.name}.", "user")
    return membership


def appoint(db: Session, actor: User, community: Community, user_id: int) -> User:
    policy.require_moderator(db, community.id, actor)
    membership = _membership(db, community, user_id)
    user = membership.user
    if not user.active:
        raise Conflict(f"{user.name}'s account is suspended.", "user")
    if membership.role == "moderator":
        raise Conflict(f"{user.name} is already a moderator of {community.name}.", "user")
    membership.role = "moderator"
    audit.record(
        db,
        "community.moderator_appointed",
        actor_id=actor.id,
        subject=f"user:{user.id}",
        community_id=community.id,
        actor_role=actor_role(db, community, actor),
    )
    return user


def remove(db: Session, actor: User, community: Community, user_id: int) -> User:
    policy.require_moderator(db, community.id, actor)
    # Lock the community's moderators so two removing each other at once still leave one.
    db.execute(
        select(Membership.id)
        .where(Membership.community_id == community.id, Membership.role == "moderator")
        .with_for_update()
    )
    membership = _membership(db, community, user_id)
    if membership.role != "moderator":
        raise Conflict(f"{membership.user.name} is not a moderator of {community.name}.", "user")
    remaining = (
        db.scalar(
            select(func.count()).where(
                Membership.community_id == community.id, Membership.role == "moderator"
            )
        )
        or 0
    )
    role = actor_role(db, community, actor)
    if remaining <= 1 and not policy.is_admin(actor):
        raise Conflict(
            f"{membership.user.name} is the last moderator of {community.name}: appoint "
            "another first."
        )
    membership.role = "member"
    audit.record(
        db,
        "community.moderator_removed",
        actor_id=actor.id,
        subject=f"user:{user_id}",
        community_id=community.id,
        actor_role=role,
    )
    return membership.user
