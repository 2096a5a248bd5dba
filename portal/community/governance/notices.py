"""What a founder is told of the decision on their proposal: a notification on the
site at once, and an e-mail once the decision is saved."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.orm import Session

from portal.accounts import mail
from portal.accounts.models import User
from portal.accounts.notices import absolute_url
from portal.community.models import Community, CommunityStatus
from portal.community.notifications.models import MESSAGE_MAX, Notification
from portal.db import utcnow


def tell(db: Session, user: User, message: str) -> None:
    """A notification on the site (the message cut to what it holds)."""
    if len(message) > MESSAGE_MAX:
        message = message[: MESSAGE_MAX - 1] + "…"
    db.add(Notification(user_id=user.id, message=message, created_at=utcnow()))


def decision(community: Community, founder: User, into: Community | None) -> EmailMessage:
    """The e-mail telling ``founder`` what was decided on ``community``."""
    status = community.status
    if status == CommunityStatus.ACTIVE:
        subject = f"{community.name} is open"
        said = (
            f"Your proposed community {community.name} was approved, and you are its first "
            "moderator: you can now write its rules, choose its settings and appoint other "
            "moderators from its members."
        )
        link = absolute_url("community.show", slug=community.slug)
    elif status == CommunityStatus.MERGED and into is not None:
        subject = f"{community.name} was merged into {into.name}"
        said = (
            f"Your proposed community {community.name} was merged into {into.name}, which "
            f"covers the same ground; you are now a member there.\n\n"
            f"Reason: {community.decision_reason}"
        )
        link = absolute_url("community.show", slug=into.slug)
    else:
        subject = f"{community.name} was declined"
        said = (
            f"Your proposed community {community.name} was declined.\n\n"
            f"Reason: {community.decision_reason}"
        )
        link = absolute_url("community.show", slug=community.slug)
    return mail.message(founder.email, subject, f"Hello {founder.name},\n\n{said}\n\n{link}\n")
