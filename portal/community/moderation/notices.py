"""The e-mail an author gets about a moderator's decision and about their appeal.

Built after the decision is committed and sent through portal.accounts.mail, so a
mail server that is down delays the message, never the decision.
"""

from __future__ import annotations

from email.message import EmailMessage

from portal.accounts import mail
from portal.accounts.notices import absolute_url
from portal.community.moderation.decisions import appealable
from portal.community.moderation.models import Appeal, AppealStatus, ModerationDecision


def decision_mail(decision: ModerationDecision, line: str) -> EmailMessage | None:
    """To the author, saying what was decided and why; None when there is nobody to tell."""
    user = decision.user
    if user is None or decision.actor_id == user.id:
        return None
    link = absolute_url("appeals.mine", _anchor=f"decision-{decision.id}")
    body = (
        f"Hello {user.name},\n\n{line}\n\n"
        f"What this was about: {decision.category_label}.\n"
        f"The moderator's reason: {decision.reason}\n"
    )
    if decision.suspended_until is not None:
        until = decision.suspended_until.strftime("%d %B %Y, %H:%M UTC")
        body += (
            f"\nUntil {until} you can sign in and read, but not post, comment, vote, "
            "flag or upload.\n"
        )
    if appealable(decision):
        body += (
            "\nIf you think this is wrong, you can appeal once, in your own words; "
            f"another moderator will look at it:\n\n{link}\n"
        )
    return mail.message(user.email, "A moderator's decision about your contribution", body)


def appeal_mail(appeal: Appeal) -> EmailMessage:
    user = appeal.user
    overturned = appeal.status == AppealStatus.OVERTURNED.value
    outcome = (
        "was accepted, and the decision is undone"
        if overturned
        else "was not accepted: the decision stands"
    )
    link = absolute_url("appeals.mine", _anchor=f"decision-{appeal.decision_id}")
    return mail.message(
        user.email,
        "Your appeal was decided",
        f"Hello {user.name},\n\nYour appeal {outcome}.\n\n"
        f"The reply: {appeal.response}\n\nThe decision and your appeal:\n\n{link}\n",
    )
