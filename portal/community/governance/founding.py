"""Founding a community: a member proposes it, a site admin decides. Never commits.

A proposal is a community with status "proposed", seen by its founder and the site
admins only. An admin approves it (it is listed, and the founder becomes its first
moderator), merges it into an existing community (the founder joins that one) or
declines it with a reason. Each decision tells the founder (notices) and is written
to the audit log with the community's id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community import services
from portal.community.governance import codes, notices
from portal.community.models import Community, CommunityStatus
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, ServiceError

NAME_MAX = 120
CONDITION_MAX = 120
DESCRIPTION_MAX = 4000
AUDIENCE_MAX = 1000
RULES_MAX = 10000
REASON_MAX = 2000
#: Proposals one member may have waiting at once: enough for real use, not for flooding.
OPEN_PROPOSALS_MAX = 3
#: Addresses the community pages use for themselves.
RESERVED_SLUGS = frozenset({"propose", "proposals"})


@dataclass(frozen=True)
class Proposal:
    """What a member writes to propose a community."""

    name: str
    condition: str
    condition_code: str = ""
    description: str = ""
    audience: str = ""
    rules: str = ""

    def cleaned(self) -> Proposal:
        proposal = Proposal(
            name=" ".join(self.name.split()),
            condition=" ".join(self.condition.split()),
            condition_code=codes.normalise(self.condition_code),
            description=self.description.strip(),
            audience=self.audience.strip(),
            rules=self.rules.strip(),
        )
        proposal.check()
        return proposal

    def check(self) -> None:
        if not 3 <= len(self.name) <= NAME_MAX:
            raise ServiceError(f"Give the community a name of 3 to {NAME_MAX} characters.", "name")
        if not 2 <= len(self.condition) <= CONDITION_MAX:
            raise ServiceError(
                f"Name the condition it is about, in 2 to {CONDITION_MAX} characters.", "condition"
            )
        if self.condition_code and codes.system_of(self.condition_code) is None:
            raise ServiceError(
                f"{self.condition_code!r} is not an ICD-10 code (such as E11 or C18.7) nor an "
                "ICD-11 code (such as 5A11 or 2B90.Y). Leave it empty if you do not know it.",
                "condition_code",
            )
        if not self.description:
            raise ServiceError("Say in a few words what the community is for.", "description")
        for field, text, limit in (
            ("description", self.description, DESCRIPTION_MAX),
            ("audience", self.audience, AUDIENCE_MAX),
            ("rules", self.rules, RULES_MAX),
        ):
            if len(text) > limit:
                raise ServiceError(f"Use at most {limit} characters here.", field)


def slug_for(db: Session, name: str) -> str:
    """A free address made of the name's letters and digits (accents dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56].strip("-")
    base = base or "community"
    taken = (
        set(
            db.scalars(
                select(Community.slug).where(
                    (Community.slug == base) | Community.slug.like(f"{base}-%")
                )
            )
        )
        | RESERVED_SLUGS
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def propose(db: Session, founder: User, proposal: Proposal, *, now: datetime | None = None):
    """Record ``founder``'s proposal; it waits for a site admin."""
    now = now or utcnow()
    if not policy.can_propose_community(founder):
        raise Forbidden("Log in to propose a community.")
    proposal = proposal.cleaned()
    same_name = db.scalar(
        select(Community).where(
            func.lower(Community.name) == proposal.name.lower(),
            Community.status.in_(
                [CommunityStatus.ACTIVE, CommunityStatus.ARCHIVED, CommunityStatus.PROPOSED]
            ),
        )
    )
    if same_name is not None:
        raise ServiceError(
            f"A community called {same_name.name} already exists or is waiting for a "
            "decision; join it, or choose another name.",
            "name",
        )
    waiting = (
        db.scalar(
            select(func.count()).where(
                Community.founder_id == founder.id, Community.status == CommunityStatus.PROPOSED
            )
        )
        or 0
    )
    if waiting >= OPEN_PROPOSALS_MAX:
        raise Conflict(
            f"You have {waiting} proposals waiting for a decision; propose another once "
            "a site admin has decided on them."
        )
    community = Community(
        slug=slug_for(db, proposal.name),
        name=proposal.name,
        condition=proposal.condition,
        condition_code=proposal.condition_code,
        description=proposal.description,
        audience=proposal.audience,
        rules=proposal.rules,
        status=CommunityStatus.PROPOSED.value,
        founder_id=founder.id,
        created_at=now,
    )
    db.add(community)
    db.flush()
    audit.record(
        db,
        "community.proposed",
        actor_id=founder.id,
        subject=f"community:{community.slug}",
        community_id=community.id,
        actor_role="member",
    )
    return community


def proposals(db: Session, *, founder: User | None = None) -> list[Community]:
    """Proposals waiting for a decision, oldest first (all, or one founder's)."""
    statement = select(Community).where(Community.status == CommunityStatus.PROPOSED)
    if founder is not None:
        statement = statement.where(Community.founder_id == founder.id)
    return list(db.scalars(statement.order_by(Community.created_at, Community.id)))


def decided_of(db: Session, founder: User, limit: int = 20) -> list[Community]:
    """A founder's proposals that were decided, newest first."""
    return list(
        db.scalars(
            select(Community)
            .where(Community.founder_id == founder.id, Community.decided_at.is_not(None))
            .order_by(Community.decided_at.desc())
            .limit(limit)
        )
    )


def _deciding(db: Session, actor: User, community: Community) -> User | None:
    """Check that ``actor`` may decide and the proposal still waits; its founder."""
    if not policy.can_decide_proposals(actor):
        raise Forbidden("Only site admins decide on proposed communities.")
    # Two admins deciding at once: the second finds it decided.
    db.execute(select(Community.id).where(Community.id == community.id).with_for_update())
    db.refresh(community)
    if community.status != CommunityStatus.PROPOSED:
        raise Conflict(f"{community.name} was already decided on.")
    return db.get(User, community.founder_id) if community.founder_id else None


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError("Give the founder a reason: it is sent to them.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", "reason")
    return reason


def _decided(community: Community, actor: User, status: CommunityStatus, reason: str) -> None:
    community.status = status.value
    community.decided_by_id = actor.id
    community.decided_at = utcnow()
    community.decision_reason = reason


def approve(db: Session, actor: User, community: Community, *, note: str = "") -> Community:
    """List the community; its founder becomes its first moderator."""
    founder = _deciding(db, actor, community)
    note = _reason(note, required=False)
    _decided(community, actor, CommunityStatus.ACTIVE, note)
    if founder is not None and founder.active:
        # Its founder speaks for it from the start: shown as a member.
        services.join(db, community, founder, role="moderator", visible=True)
        notices.tell(
            db,
            founder,
            f"Your proposed community {community.name} was approved: you are its first moderator.",
        )
    audit.record(
        db,
        "community.approved",
        actor_id=actor.id,
        subject=f"community:{community.slug}",
        community_id=community.id,
        actor_role="site admin",
        reason=note,
    )
    return community


def merge(
    db: Session, actor: User, community: Community, into: Community, *, reason: str
) -> Community:
    """Fold the proposal into an existing community, which its founder joins."""
    if into.id == community.id or not into.is_active:
        raise ServiceError("Choose an active community to merge it into.", "merge_into")
    founder = _deciding(db, actor, community)
    reason = _reason(reason, required=True)
    _decided(community, actor, CommunityStatus.MERGED, reason)
    community.merged_into_id = into.id
    if founder is not None and founder.active:
        services.join(db, into, founder, visible=into.membership_visible_default)
        notices.tell(
            db,
            founder,
            f"Your proposed community {community.name} was merged into {into.name}, which "
            f"you have joined. Reason: {reason}",
        )
    audit.record(
        db,
        "community.merged",
        actor_id=actor.id,
        subject=f"community:{community.slug}",
        community_id=community.id,
        merged_into=into.id,
        actor_role="site admin",
        reason=reason,
    )
    return into


def decline(db: Session, actor: User, community: Community, *, reason: str) -> Community:
    founder = _deciding(db, actor, community)
    reason = _reason(reason, required=True)
    _decided(community, actor, CommunityStatus.DECLINED, reason)
    if founder is not None:
        notices.tell(
            db,
            founder,
            f"Your proposed community {community.name} was declined. Reason: {reason}",
        )
    audit.record(
        db,
        "community.declined",
        actor_id=actor.id,
        subject=f"community:{community.slug}",
        community_id=community.id,
        actor_role="site admin",
        reason=reason,
    )
    return community


def archive(
    db: Session, actor: User | None, community: Community, *, reason: str = ""
) -> Community:
    """Make it read-only and unlisted; its pages stay readable. ``actor`` None: an
    operator at the command line."""
    if actor is not None and not policy.can_decide_proposals(actor):
        raise Forbidden("Only site admins archive communities.")
    if community.status != CommunityStatus.ACTIVE:
        raise Conflict(f"Only an active community can be archived; {community.name} is not.")
    reason = _reason(reason, required=False)
    community.status = CommunityStatus.ARCHIVED.value
    community.archived_at = utcnow()
    audit.record(
        db,
        "community.archived",
        actor_id=actor.id if actor is not None else None,
        subject=f"community:{community.slug}",
        community_id=community.id,
        actor_role="site admin" if actor is not None else "operator",
        reason=reason,
    )
    return community
