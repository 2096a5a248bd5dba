"""An append-only log of security-relevant events (logins, role changes, ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import Base, JSONDocument, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    subject: Mapped[str] = mapped_column(String(200), default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


def record(
    db_session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    subject: str = "",
    ip_address: str = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's unit of work."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        subject=subject[:200],
        ip_address=ip_address[:64],
        details=details,
    )
    db_session.add(event)
    return event
