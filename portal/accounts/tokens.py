"""Personal API tokens: shown once, stored as a SHA-256 digest, scoped read or write.

A token is 32 random bytes, so a plain digest is enough to make a stolen table
useless; a slow password hash would only slow every API request.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Select, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from portal import audit
from portal.accounts.models import User
from portal.db import Base, UTCDateTime, utcnow

PREFIX = "orp_"
SCOPES = ("read", "write")
NAME_MAX = 80


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    scope: Mapped[str] = mapped_column(String(8), default="read")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.scope == "write" or scope == "read"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, user: User, *, name: str, scope: str) -> tuple[ApiToken, str]:
    """Make a token; the plain text is returned this once and never stored."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"Give the token a name of 1 to {NAME_MAX} characters.")
    if scope not in SCOPES:
        raise ValueError("The scope is 'read' or 'write'.")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, scope=scope, digest=token_digest(plain), hint=plain[:8]
    )
    db.add(token)
    db.flush()
    audit.record(
        db, "token.created", actor_id=user.id, subject=user.username, token=token.id, scope=scope
    )
    return token, plain


@functools.cache
def _by_digest() -> Select[ApiToken]:
    # The owner comes in the same query: this runs before every API call a web
    # process has not seen within the token cache's seconds. Built once, as
    # building it costs more Python than running it.
    return (
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.digest == bindparam("digest"))
    )


def find_token(db: Session, plain: str) -> ApiToken | None:
    if not plain.startswith(PREFIX):
        return None
    token = db.scalar(_by_digest(), {"digest": token_digest(plain)})
    if token is None or not token.active or not token.user.is_active:
        return None
    return token


def revoke_token(db: Session, token: ApiToken, *, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            db, "token.revoked", actor_id=actor.id, subject=token.user.username, token=token.id
        )


def tokens_of(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )
