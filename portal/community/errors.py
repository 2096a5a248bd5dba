"""What community services raise when a request cannot be honoured."""

from __future__ import annotations


class CommunityError(ValueError):
    """Bad input or a state that forbids the action; the message is for the member.

    ``field`` names the form field to attach the message to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(CommunityError):
    """The member's role does not permit the action (views answer 403)."""


class MembershipRequired(CommunityError):
    """Only members of the community can do this; the message invites the user to join."""
