"""What everyone may read of a community's moderation: how many decisions of each kind
its moderators took in each week that is over, and under which category.

Membership of a health community is private, and what a reader sees elsewhere is
dated to the minute: a post disappearing, "the account is currently suspended"
appearing in another community's queue, a restriction lifted after an appeal. A
dated entry, a moderator's own words, a warning or a sanction told apart from a
removal, or an appeal's outcome, set beside that, would tell who is a member here or
who was sanctioned here. So the public log counts decisions by week and by kind,
names only the fixed categories (what readers of removed content see anyway), and
shows a week only a day after it is over (from Tuesday 00:00 UTC): a count that
moved while someone watched would date the decision it counted, and a decision
recorded before Sunday midnight may be committed after it, or written by a host
whose clock is behind. The full log (governance/log.py) is for the
community's own moderators and the site's admins.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import AuditEvent
from portal.community.moderation.models import category_label
from portal.db import utcnow

PERIOD = timedelta(days=7)
#: How long after its end a week is first shown: longer than any write takes to commit.
SETTLED = timedelta(days=1)
#: How far back the page reaches.
WEEKS_SHOWN = 52
REMOVED = "Removed by a moderator"
#: audit action -> the line it is counted under. A warning, a suspension and a ban
#: count as the removal they also are (see the module's docstring).
LINES = {
    "moderation.hidden": REMOVED,
    "moderation.warned": REMOVED,
    "moderation.suspended": REMOVED,
    "moderation.banned": REMOVED,
    "moderation.auto_hidden": "Hidden after members flagged it, until a moderator looked",
    "moderation.kept": "Flags looked at, content kept",
    "moderation.edited": "Edited by a moderator",
    "moderation.restored": "Restored by a moderator",
    "moderation.appealed": "Appeals made",
    "moderation.appeal_upheld": "Appeals decided",
    "moderation.appeal_overturned": "Appeals decided",
    "community.created": "Community opened",
    "community.approved": "Community opened",
    "community.archived": "Community archived",
    "community.settings_changed": "Settings changed",
    "community.moderator_appointed": "Moderators appointed",
    "community.moderator_removed": "Moderators removed",
}
#: The lines in the order a week lists them.
ORDER = list(dict.fromkeys(LINES.values()))


@dataclass(frozen=True)
class Line:
    label: str
    count: int
    #: for removals: (category, how many), most first
    why: list[tuple[str, int]]


@dataclass(frozen=True)
class Week:
    starts: datetime
    lines: list[Line]


def week_start(when: datetime) -> datetime:
    """Monday 00:00 UTC of the week ``when`` falls in."""
    day = when - timedelta(days=when.weekday())
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def weekly(db: Session, community_id: int, *, now: datetime | None = None) -> list[Week]:
    """The weeks over for at least SETTLED, newest first, that saw any decision in
    the community."""
    current = week_start((now or utcnow()) - SETTLED)
    rows = db.execute(
        select(
            AuditEvent.action,
            AuditEvent.created_at,
            AuditEvent.details["category"].as_string(),
        ).where(
            AuditEvent.details["community_id"].as_integer() == community_id,
            AuditEvent.action.in_(list(LINES)),
            AuditEvent.created_at >= current - WEEKS_SHOWN * PERIOD,
            AuditEvent.created_at < current,
        )
    ).all()
    counts: dict[datetime, Counter[str]] = {}
    why: dict[datetime, Counter[str]] = {}
    for action, created_at, category in rows:
        starts = week_start(created_at)
        label = LINES[action]
        counts.setdefault(starts, Counter())[label] += 1
        if label == REMOVED:
            why.setdefault(starts, Counter())[category_label(category or "")] += 1
    return [
        Week(
            starts=starts,
            lines=[
                Line(
                    label=label,
                    count=counts[starts][label],
                    why=sorted(
                        why.get(starts, Counter()).items() if label == REMOVED else (),
                        key=lambda item: (-item[1], item[0]),
                    ),
                )
                for label in ORDER
                if counts[starts][label]
            ],
        )
        for starts in sorted(counts, reverse=True)
    ]
