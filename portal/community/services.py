"""What communities do. Functions take a session and never commit."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.community.models import Community, Membership
from portal.errors import ServiceError
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


def join(db: Session, community: Community, user: User, role: str = "member") -> None:
    """Make ``user`` a member; joining twice is harmless, even when it races."""
    statement = (
        insert(db, Membership)
        .values(user_id=user.id, community_id=community.id, role=role)
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


def communities_of(db: Session, user: User) -> list[Community]:
    return list(
        db.scalars(
            select(Community)
            .join(Membership)
            .where(Membership.user_id == user.id)
            .order_by(Community.name)
        )
    )


def members(db: Session, community: Community, limit: int = 100) -> list[tuple[User, str]]:
    """Members and their community role, moderators first, then by name."""
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.active.is_(True))
        .order_by((Membership.role == "moderator").desc(), User.username)
        .limit(limit)
    ).all()
    return [(user, role) for user, role in rows]
