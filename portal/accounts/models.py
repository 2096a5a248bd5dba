from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """Site-wide roles, each including the powers of the ones before it."""

    MEMBER = "member"
    RESEARCHER = "researcher"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


USERNAME_MAX = 32
EMAIL_MAX = 254  # RFC 5321 path limit
DISPLAY_NAME_MAX = 80


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('member', 'researcher', 'moderator', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so uniqueness is case-insensitive on every database.
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # None until the owner follows the link mailed to ``email``.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Part of every session and remember-me cookie: raising it ends them all.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Sanctions (portal.accounts.sanctions): a suspended or banned member still signs
    # in, reads and appeals, but writes nothing.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_version}"

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, role: Role) -> bool:
        return self.role_enum.rank >= role.rank

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class LoginFailures(Base):
    """Failed logins in a row, per account (or, for a name no account has, per spelling),
    so back-off applies whatever spelling of the account an attacker types."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
