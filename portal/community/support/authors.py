"""Who a reader is shown as a post's author.

A member may post as "a member": everyone but the community's moderators and the
site's admins then sees that phrase instead of a name. Every page, the API, the
digest and the notifications ask this module, and none of them gets the author's
name, username or id for such a post otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal import policy
from portal.community.support.models import SupportPost

ANONYMOUS = "a member"


@dataclass(frozen=True)
class Byline:
    #: what the reader sees as the author
    name: str
    #: whose profile to link to; None when the reader must not learn who wrote it
    username: str | None = None
    #: a moderator's reminder that others see "a member"
    anonymous: bool = False


def sees_authors(db: Session, community_id: int, viewer: policy.Viewer) -> bool:
    """Moderators of the community and site admins see who wrote anonymous posts."""
    return policy.can_moderate(db, community_id, viewer)


def byline(post: SupportPost, *, sees: bool, viewer_id: int | None = None) -> Byline:
    """``sees``: the reader may see anonymous authors (``sees_authors``)."""
    author = post.author
    if author is None:
        return Byline("a former member")
    if post.anonymous and not sees:
        # The author knows it is them; the phrase carries no name either way.
        return Byline(f"{ANONYMOUS} (you)" if viewer_id == author.id else ANONYMOUS)
    return Byline(author.name, author.username, anonymous=post.anonymous)


def public_byline(post: SupportPost) -> Byline:
    """For what anyone may end up reading (a mailed digest): never an anonymous name."""
    return byline(post, sees=False)
