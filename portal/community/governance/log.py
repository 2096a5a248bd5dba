"""The full moderation log of a community, read from the audit log, for its own
moderators and the site's admins.

The convention: an audit event about a community carries its id as
``details["community_id"]`` (an integer), and may say with which power its actor
acted as ``details["actor_role"]`` ("community moderator", "site admin", "operator",
"member"). Moderation events already carry the id; :func:`community_log` reads every
``moderation.*`` and ``community.*`` event that carries it.

Each entry says the kind of content (never which one, nor its author), the action
(a suspension or ban with what it did to the account), the moderator's reason, when,
and by which role; never who flagged, who wrote, or whom an appointment named. Everyone
else reads weekly counts instead (public_log.py): a dated entry, set beside what a
reader sees elsewhere, could tell who is a member here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.community.models import Membership

#: action -> what the log says was done
ACTIONS = {
    "moderation.hidden": "Hidden",
    "moderation.suspended": "Hidden, and the author's account suspended",
    "moderation.banned": "Hidden, and the author's account banned",
    "moderation.restored": "Restored",
    "moderation.auto_hidden": "Hidden until a moderator looks at it",
    "community.created": "Community opened",
    "community.approved": "Community opened",
    "community.archived": "Community archived",
    "community.settings_changed": "Settings changed",
    "community.moderator_appointed": "Moderator appointed",
    "community.moderator_removed": "Moderator removed",
}
#: Events about the founding, seen by the founder and admins only, not in the public log.
PRIVATE = frozenset({"community.proposed", "community.declined", "community.merged"})
#: subject prefix -> the kind of content it names
KINDS = {"question": "question", "comment": "comment", "community": "community", "user": "member"}
SETTING_NAMES = {
    "question_proposers": "who may propose questions",
    "stakeholders": "stakeholder groups",
    "min_reporters": "privacy floor of treatment figures",
    "membership_visible_default": "whether membership shows by default",
    "description": "description",
    "audience": "who it is for",
    "rules": "rules",
}


@dataclass(frozen=True)
class LogEntry:
    when: datetime
    action: str
    kind: str
    reason: str
    by: str


def community_log(db: Session, community_id: int, limit: int = 200) -> list[LogEntry]:
    """The moderation decisions of one community, newest first."""
    events = db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.details["community_id"].as_integer() == community_id,
            or_(AuditEvent.action.like("moderation.%"), AuditEvent.action.like("community.%")),
            AuditEvent.action.not_in(PRIVATE),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    roles = _roles(db, community_id, {e.actor_id for e in events if e.actor_id is not None})
    return [_entry(event, roles) for event in events]


def _roles(db: Session, community_id: int, actor_ids: set[int]) -> dict[int, str]:
    """For events that do not say it: the actor's power as it is now."""
    if not actor_ids:
        return {}
    moderating = set(
        db.scalars(
            select(Membership.user_id).where(
                Membership.community_id == community_id,
                Membership.role == "moderator",
                Membership.user_id.in_(actor_ids),
            )
        )
    )
    admins = set(
        db.scalars(select(User.id).where(User.id.in_(actor_ids), User.role == Role.ADMIN.value))
    )
    return {
        actor: "community moderator"
        if actor in moderating
        else "site admin"
        if actor in admins
        else "moderator"
        for actor in actor_ids
    }


def _entry(event: AuditEvent, roles: dict[int, str]) -> LogEntry:
    details = event.details or {}
    prefix = event.subject.split(":", 1)[0]
    by = details.get("actor_role") or (
        roles.get(event.actor_id, "moderator") if event.actor_id is not None else "automatic"
    )
    reason = str(details.get("reason") or "")
    if event.action == "moderation.auto_hidden":
        reason = f"{details.get('flags', 'Several')} members flagged it."
    elif event.action == "community.settings_changed":
        names = [SETTING_NAMES.get(name, name) for name in details.get("changed", [])]
        reason = "Changed: " + ", ".join(names) + "." if names else ""
    action = (
        ACTIONS.get(event.action) or event.action.split(".", 1)[-1].replace("_", " ").capitalize()
    )
    return LogEntry(
        when=event.created_at,
        action=action,
        kind=KINDS.get(prefix, "content"),
        reason=reason,
        by=by,
    )
