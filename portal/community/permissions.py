"""Who may do what in a community.

Community powers come from the membership: a member with role "moderator" in a
community moderates that community and no other. Site admins moderate
everywhere. A site role of researcher (or above) may record evidence reviews and
move questions through analysis in any community, as researchers serve them all.
The site role "moderator" on its own gives no power inside a community.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.community.errors import MembershipRequired, NotAllowed
from portal.community.models import Community, Membership


def membership_role(db: Session, community_id: int, user: User | None) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.scalar(
        select(Membership.role).where(
            Membership.community_id == community_id, Membership.user_id == user.id
        )
    )


def is_member(db: Session, community_id: int, user: User | None) -> bool:
    return membership_role(db, community_id, user) is not None


def can_moderate(db: Session, community_id: int, user: User | None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.ADMIN) or membership_role(db, community_id, user) == "moderator"


def can_review(db: Session, community_id: int, user: User | None) -> bool:
    """Record evidence reviews and move questions towards an answer."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.RESEARCHER) or can_moderate(db, community_id, user)


def require_member(db: Session, community: Community, user: User, doing: str) -> None:
    if not is_member(db, community.id, user):
        raise MembershipRequired(f"Join {community.name} to {doing}.")


def require_moderator(db: Session, community_id: int, user: User) -> None:
    if not can_moderate(db, community_id, user):
        raise NotAllowed("Only this community's moderators can do that.")


def require_reviewer(db: Session, community_id: int, user: User) -> None:
    if not can_review(db, community_id, user):
        raise NotAllowed("Only researchers and this community's moderators can do that.")
