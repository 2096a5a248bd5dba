from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User


class CommunityStatus(enum.StrEnum):
    """Where a community stands: a member proposes it, a site admin decides.

    Only active communities are listed; archived ones stay readable but read-only;
    proposed, declined and merged ones are seen by their founder and site admins only.
    """

    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    MERGED = "merged"
    ARCHIVED = "archived"


class QuestionProposers(enum.StrEnum):
    """Who may propose research questions in a community (its moderators' choice)."""

    MEMBERS = "members"
    TRUSTED = "trusted"
    MODERATORS = "moderators"

    @property
    def label(self) -> str:
        return {
            "members": "Any member",
            "trusted": "Trusted members (past the new-account limits) and moderators",
            "moderators": "Moderators only",
        }[self.value]


#: The stakeholder groups a prioritisation round can weigh (rounds.models.Perspective).
ALL_STAKEHOLDERS = ("patient", "carer", "clinician")


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'active', 'declined', 'merged', 'archived')",
            name="status_known",
        ),
        CheckConstraint(
            "question_proposers IN ('members', 'trusted', 'moderators')",
            name="question_proposers_known",
        ),
        # A community may raise the site's privacy floor, never lower it below 2;
        # the site minimum itself is applied when the floor is read (governance.floor).
        CheckConstraint("min_reporters IS NULL OR min_reporters >= 2", name="min_reporters_floor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    condition: Mapped[str] = mapped_column(String(120))
    # An ICD-10 or ICD-11 code for the condition, checked by shape only: no list of
    # codes ships with the portal.
    condition_code: Mapped[str] = mapped_column(String(16), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(Text, default="", server_default="")
    rules: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    status: Mapped[str] = mapped_column(
        String(16), default=CommunityStatus.ACTIVE.value, server_default="active", index=True
    )
    founder_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), default=None
    )
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    # Settings the community's moderators choose.
    question_proposers: Mapped[str] = mapped_column(
        String(16), default=QuestionProposers.MEMBERS.value, server_default="members"
    )
    #: comma-separated, a subset of ALL_STAKEHOLDERS
    stakeholders: Mapped[str] = mapped_column(
        String(64), default=",".join(ALL_STAKEHOLDERS), server_default=",".join(ALL_STAKEHOLDERS)
    )
    #: None: the site's floor (TREATMENT_MIN_REPORTERS); else raised to this
    min_reporters: Mapped[int | None] = mapped_column(default=None)
    membership_visible_default: Mapped[bool] = mapped_column(default=False, server_default=false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == CommunityStatus.ACTIVE

    @property
    def is_listed(self) -> bool:
        return self.status == CommunityStatus.ACTIVE

    @property
    def is_public(self) -> bool:
        """Its pages are readable by anyone (archived ones too, read-only)."""
        return self.status in (CommunityStatus.ACTIVE, CommunityStatus.ARCHIVED)

    @property
    def stakeholder_groups(self) -> list[str]:
        chosen = set(filter(None, self.stakeholders.split(",")))
        return [group for group in ALL_STAKEHOLDERS if group in chosen]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        # One membership per member per community, enforced by the database.
        UniqueConstraint("user_id", "community_id"),
        CheckConstraint("role IN ('member', 'moderator')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Membership tells others of a health condition: shown on profiles and member
    # lists only when the member chose to show it.
    visible: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship()
    community: Mapped[Community] = relationship(back_populates="memberships")
