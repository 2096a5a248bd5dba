"""What communities do. Functions take a session and never commit."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from portal import policy
from portal.accounts.models import User
from portal.community.models import Community, Membership
from portal.errors import ServiceError
from portal.policy import Viewer
from portal.upsert import insert

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def create_community(
    db: Session, *, slug: str, name: str, condition: str, description: str = ""
) -> Community:
    if not SLUG_PATTERN.match(slug) or len(slug) > 64:
        raise ServiceError("Use lower-case letters, digits and single hyphens.", "slug")
    if not name.strip() or len(name) > 120:
        raise ServiceError("A name of 1 to 120 characters is required.", "name")
    if db.scalar(select(func.count()).where(Community.slug == slug)):
        raise ServiceError("A community with that address already exists.", "slug")
    community = Community(
        slug=slug, name=name.strip(), condition=condition.strip(), description=description
    )
    db.add(community)
    db.flush()
    return community


def join(
    db: Session, community: Community, user: User, role: str = "member", *, visible: bool = False
) -> None:
    """Make ``user`` a member; joining twice is harmless, even when it races.

    Membership tells of a health condition, so others see it only when ``visible``.
    Only an active community takes new members."""
    policy.require_open(community)
    statement = (
        insert(db, Membership)
        .values(user_id=user.id, community_id=community.id, role=role, visible=visible)
        .on_conflict_do_nothing(index_elements=["user_id", "community_id"])
    )
    db.execute(statement)


def leave(db: Session, community: Community, user: User) -> None:
    db.execute(
        delete(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    )


def membership(db: Session, community: Community, user: User) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    )


def member_count(db: Session, community: Community) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.community_id == community.id)
        )
        or 0
    )


def memberships_of(db: Session, user: User) -> list[Membership]:
    """All of ``user``'s memberships, with their communities, by community name."""
    return list(
        db.scalars(
            select(Membership)
            .join(Membership.community)
            .options(contains_eager(Membership.community))
            .where(Membership.user_id == user.id)
            .order_by(Community.name)
        )
    )


def communities_of(db: Session, user: User, viewer: Viewer) -> list[Membership]:
    """The memberships of ``user`` that ``viewer`` may see (policy.can_see_membership)."""
    return [
        membership
        for membership in memberships_of(db, user)
        if policy.can_see_membership(db, viewer, membership)
    ]


def set_visible(db: Session, user: User, community_ids: set[int]) -> None:
    """Show exactly the memberships of ``community_ids``; hide the others."""
    for membership in memberships_of(db, user):
        membership.visible = membership.community_id in community_ids


def members(
    db: Session, community: Community, viewer: Viewer, limit: int = 100
) -> list[tuple[User, str]]:
    """The members ``viewer`` may see and their community role, moderators first, then
    by name: those who show their membership, or all of them for the community's
    moderators."""
    statement = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.active.is_(True))
    )
    if not policy.can_moderate(db, community.id, viewer):
        me = policy.signed_in(viewer)
        shown = Membership.visible.is_(True)
        statement = statement.where(shown if me is None else or_(shown, User.id == me.id))
    rows = db.execute(
        statement.order_by((Membership.role == "moderator").desc(), User.username).limit(limit)
    ).all()
    return [(user, role) for user, role in rows]
