from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.accounts.models import User


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    condition: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )


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
