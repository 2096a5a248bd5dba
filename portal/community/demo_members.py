"""Whether a community's members are the demo's invention, which its pages say.

Apart from the loader (portal.community.demo), which pulls in the statistics stack
through the services it calls: every page that asks this only needs one query.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.community.models import Community, Membership

#: Every demo account's address ends so: a reserved top-level domain that no real
#: member's address can have.
DEMO_EMAIL_DOMAIN = "@demo.invalid"


def has_demo_members(db: Session, community: Community) -> bool:
    """Whether the community's members and questions are (partly) the demo's invention."""
    return (
        db.scalar(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.community_id == community.id,
                User.email.endswith(DEMO_EMAIL_DOMAIN),
            )
            .limit(1)
        )
        is not None
    )
