"""The settings a community's moderators choose. Never commits.

Who may propose questions, which stakeholder groups its prioritisation rounds know,
the privacy floor of its treatment figures (raised above the site's, never lowered),
whether a new member's membership shows by default, its description and rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.governance import founding, moderators
from portal.community.models import ALL_STAKEHOLDERS, Community, QuestionProposers
from portal.db import utcnow
from portal.errors import ServiceError
from portal.treatments import aggregates, releases

#: The highest floor a community may set: higher would hide every figure of most.
MIN_REPORTERS_MAX = 100


@dataclass(frozen=True)
class Choices:
    question_proposers: str
    stakeholders: tuple[str, ...]
    #: None: the site's floor
    min_reporters: int | None
    membership_visible_default: bool
    description: str
    audience: str
    rules: str


def current(community: Community) -> Choices:
    return Choices(
        question_proposers=community.question_proposers,
        stakeholders=tuple(community.stakeholder_groups),
        min_reporters=community.min_reporters,
        membership_visible_default=community.membership_visible_default,
        description=community.description,
        audience=community.audience,
        rules=community.rules,
    )


def check(choices: Choices, site_floor: aggregates.Floor) -> Choices:
    """The choices cleaned, or a ServiceError naming the field that is wrong."""
    if choices.question_proposers not in {p.value for p in QuestionProposers}:
        raise ServiceError("Choose who may propose questions.", "question_proposers")
    unknown = set(choices.stakeholders) - set(ALL_STAKEHOLDERS)
    if unknown or not choices.stakeholders:
        raise ServiceError(
            "Choose at least one of patients, carers and clinicians.", "stakeholders"
        )
    floor = choices.min_reporters
    if floor is not None and not site_floor.k <= floor <= MIN_REPORTERS_MAX:
        raise ServiceError(
            f"The figures of this site never rest on fewer than {site_floor.k} members; "
            f"a community may ask for more (up to {MIN_REPORTERS_MAX}), not fewer.",
            "min_reporters",
        )
    description = choices.description.strip()
    for field, text, limit in (
        ("description", description, founding.DESCRIPTION_MAX),
        ("audience", choices.audience.strip(), founding.AUDIENCE_MAX),
        ("rules", choices.rules.strip(), founding.RULES_MAX),
    ):
        if len(text) > limit:
            raise ServiceError(f"Use at most {limit} characters here.", field)
    return Choices(
        question_proposers=choices.question_proposers,
        stakeholders=tuple(g for g in ALL_STAKEHOLDERS if g in choices.stakeholders),
        # The site's own floor is stored as "none": it follows the site if raised.
        min_reporters=None if floor == site_floor.k else floor,
        membership_visible_default=bool(choices.membership_visible_default),
        description=description,
        audience=choices.audience.strip(),
        rules=choices.rules.strip(),
    )


def update(
    db: Session,
    actor: User,
    community: Community,
    choices: Choices,
    *,
    floor: aggregates.Floor,
    now: datetime | None = None,
) -> list[str]:
    """Apply ``choices``; the names of the settings that changed.

    Raising the floor takes down at once the figures it no longer allows.
    """
    policy.require_moderator(db, community.id, actor)
    policy.require_open(community)
    cleaned = check(choices, floor)
    before = current(community)
    changed: dict[str, Any] = {}
    for name, value in vars(cleaned).items():
        if getattr(before, name) != value:
            changed[name] = list(value) if isinstance(value, tuple) else value
    if not changed:
        return []
    community.question_proposers = cleaned.question_proposers
    community.stakeholders = ",".join(cleaned.stakeholders)
    community.min_reporters = cleaned.min_reporters
    community.membership_visible_default = cleaned.membership_visible_default
    community.description = cleaned.description
    community.audience = cleaned.audience
    community.rules = cleaned.rules
    db.flush()
    if "min_reporters" in changed:
        releases.refresh_community(db, community, floor, now or utcnow())
    # Texts can be long: the log says which changed, and the values of the others.
    logged = {
        name: value
        for name, value in changed.items()
        if name not in ("description", "audience", "rules")
    }
    audit.record(
        db,
        "community.settings_changed",
        actor_id=actor.id,
        subject=f"community:{community.slug}",
        community_id=community.id,
        actor_role=moderators.actor_role(db, community, actor),
        changed=sorted(changed),
        values=logged,
    )
    return sorted(changed)
