"""Demo support threads: a few invented stories, questions and tips, with replies,
"this helped" reactions and one post made as "a member" (called by portal.demo)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import policy
from portal.accounts.models import User
from portal.community.models import Community
from portal.community.support import services as support
from portal.community.support.models import SupportPost
from portal.db import utcnow


@dataclass(frozen=True)
class DemoThread:
    community: str
    author: str
    kind: str
    title: str
    body: str
    days_ago: int
    anonymous: bool = False
    #: (author, text, anonymous)
    replies: tuple[tuple[str, str, bool], ...] = ()
    helped_by: tuple[str, ...] = ()


THREADS = (
    DemoThread(
        "colon-cancer",
        "sam-member",
        "story",
        "A year of chemotherapy, week by week",
        "I was told about the year of treatment the week after surgery. The first two "
        "months were the hardest: tired all the time, and food tasted of metal.\n\n"
        "What made it bearable was knowing the calendar. I kept a list of the weeks "
        "and crossed them off.",
        days_ago=12,
        replies=(
            ("priya-member", "Thank you for writing this. The list of weeks is a good idea.", True),
            ("moira-moderator", "Welcome, Sam, and thank you for sharing.", False),
        ),
        helped_by=("priya-member", "moira-moderator"),
    ),
    DemoThread(
        "colon-cancer",
        "priya-member",
        "helped",
        "Ginger and short walks for the nausea",
        "Ginger tea in small sips, and a ten-minute walk after meals. It did not stop "
        "the nausea, but it made it shorter. Ask your care team before trying anything.",
        days_ago=6,
        anonymous=True,
        helped_by=("sam-member",),
    ),
    DemoThread(
        "colon-cancer",
        "sam-member",
        "question",
        "How did you go back to work?",
        "I go back part-time next month. Did anyone ask for changes at work, and how?",
        days_ago=2,
        replies=(
            ("priya-member", "I asked for afternoons off for three months. It helped.", False),
        ),
    ),
)


def load(
    db: Session, users: dict[str, User], echo: Callable[[str], None]
) -> tuple[list[str], list[str]]:
    """Add the demo threads that are missing; returns (created, kept)."""
    created: list[str] = []
    kept: list[str] = []
    communities = {c.slug: c for c in db.scalars(select(Community))}
    now = utcnow()
    for spec in THREADS:
        community = communities.get(spec.community)
        author = users.get(spec.author)
        if community is None or author is None:
            continue
        if not policy.is_member(db, community.id, author):
            continue
        exists = db.scalar(
            select(SupportPost.id).where(
                SupportPost.community_id == community.id, SupportPost.title == spec.title
            )
        )
        if exists is not None:
            kept.append(f"support thread {spec.title}")
            continue
        when = now - timedelta(days=spec.days_ago)
        thread = support.start_thread(
            db,
            community,
            author,
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            anonymous=spec.anonymous,
            now=when,
        )
        for hours, (name, text, anonymous) in enumerate(spec.replies, start=1):
            support.reply(
                db,
                thread,
                users[name],
                text,
                anonymous=anonymous,
                now=when + timedelta(hours=hours),
            )
        for name in spec.helped_by:
            support.toggle_helped(db, thread, users[name])
        created.append(f"support thread {spec.title}")
        echo(f"  + support thread {spec.title[:60]}")
    return created, kept
