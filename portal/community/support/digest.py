"""What is new in a member's communities: the digest page and the periodic e-mail.

The page shows the support threads started and the replies written since the
member's last visit (or a date they choose). The e-mail is off until a member turns
it on; a periodic job sends it at most every ``COMMUNITY_DIGEST_DAYS`` days,
through the portal's mail path, with a link that turns it off again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload

from portal.accounts import mail
from portal.accounts.models import User
from portal.accounts.notices import absolute_url
from portal.community.models import Community, Membership
from portal.community.support.authors import public_byline
from portal.community.support.models import DigestPreference, SupportPost
from portal.db import rows_changed, utcnow
from portal.upsert import insert

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "portal.community.support.digest-unsubscribe"
#: Without a last visit, the page looks back this far.
FIRST_LOOK_BACK = timedelta(days=7)
#: Members sent a digest per run of the job: a bounded amount of work each time.
BATCH = 200


@dataclass
class ThreadNews:
    thread: SupportPost
    is_new: bool = False
    new_replies: int = 0


@dataclass
class CommunityNews:
    community: Community
    threads: list[ThreadNews] = field(default_factory=list)


def whats_new(db: Session, user: User, since: datetime) -> list[CommunityNews]:
    """Threads started and replies written after ``since`` in ``user``'s communities,
    hidden and deleted posts left out, each community's most recent thread first."""
    thread = aliased(SupportPost)
    posts = db.execute(
        select(SupportPost, thread)
        .join(Membership, Membership.community_id == SupportPost.community_id)
        .join(
            thread,
            thread.id == func.coalesce(SupportPost.thread_id, SupportPost.id),
        )
        .where(
            Membership.user_id == user.id,
            SupportPost.created_at > since,
            SupportPost.deleted_at.is_(None),
            SupportPost.hidden.is_(False),
            thread.deleted_at.is_(None),
            thread.hidden.is_(False),
        )
        .options(joinedload(thread.author), joinedload(thread.community))
        .order_by(SupportPost.created_at.desc(), SupportPost.id.desc())
    ).all()
    by_community: dict[int, CommunityNews] = {}
    by_thread: dict[int, ThreadNews] = {}
    for post, opening in posts:
        news = by_thread.get(opening.id)
        if news is None:
            news = by_thread[opening.id] = ThreadNews(opening)
            community = by_community.setdefault(
                opening.community_id, CommunityNews(opening.community)
            )
            community.threads.append(news)
        if post.is_opening:
            news.is_new = True
        else:
            news.new_replies += 1
    return sorted(by_community.values(), key=lambda news: news.community.name)


def preference(db: Session, user: User) -> DigestPreference:
    """The member's preference row, made (with the e-mail off) on first use."""
    db.execute(
        insert(db, DigestPreference)
        .values(user_id=user.id, email=False)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    found = db.get(DigestPreference, user.id)
    assert found is not None  # inserted just above, or already there
    return found


def set_email(db: Session, user: User, on: bool, now: datetime | None = None) -> None:
    """Turn the e-mail digest on or off. Turning it on starts the count from now, so the
    first message tells of what came after, not of everything ever posted."""
    found = preference(db, user)
    if on and not found.email:
        found.email_sent_at = now or utcnow()
    found.email = on


def mark_visited(db: Session, user: User, now: datetime | None = None) -> None:
    preference(db, user).visited_at = now or utcnow()


def since_last_visit(db: Session, user: User, now: datetime) -> datetime:
    found = db.get(DigestPreference, user.id)
    if found is not None and found.visited_at is not None:
        return found.visited_at
    return now - FIRST_LOOK_BACK


# -- the e-mail -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """A link that turns the digest off without logging in: it can do nothing else."""
    return _serializer().dumps(user.id)


def unsubscribing_user(db: Session, token: str) -> User | None:
    try:
        user_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int):
        return None
    return db.get(User, user_id)


def message(user: User, news: list[CommunityNews], since: datetime) -> EmailMessage:
    """The digest e-mail; anonymous posts are "a member" in it, whoever receives it."""
    lines = [f"Hello {user.name},", "", f"What's new in your communities since {since:%d %b %Y}:"]
    for community in news:
        lines += ["", community.community.name, "-" * len(community.community.name)]
        for item in community.threads:
            thread = item.thread
            parts = []
            if item.is_new:
                parts.append(f"new, by {public_byline(thread).name}")
            if item.new_replies:
                parts.append(
                    f"{item.new_replies} new repl{'y' if item.new_replies == 1 else 'ies'}"
                )
            kind = thread.kind_enum.label if thread.kind_enum else ""
            lines.append(f"* {kind}: {thread.title} ({'; '.join(parts)})")
            lines.append(
                "  "
                + absolute_url(
                    "community.support.show", slug=community.community.slug, thread_id=thread.id
                )
            )
    stop = absolute_url("support_digest.unsubscribe", token=unsubscribe_token(user))
    lines += [
        "",
        "You receive this because you asked for a digest of your communities' support "
        "threads. To stop it, open this link:",
        "",
        stop,
        "",
    ]
    sent = mail.message(user.email, "What's new in your communities", "\n".join(lines))
    sent["List-Unsubscribe"] = f"<{stop}>"
    sent["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return sent


def due(db: Session, now: datetime, every: timedelta) -> list[tuple[User, datetime | None]]:
    """Members whose digest is due, with when they had the last one (None: never)."""
    return [
        (user, sent_at)
        for user, sent_at in db.execute(
            select(User, DigestPreference.email_sent_at)
            .join(DigestPreference, DigestPreference.user_id == User.id)
            .where(
                DigestPreference.email.is_(True),
                User.active.is_(True),
                # Only to addresses the member proved are theirs.
                User.email_confirmed_at.is_not(None),
                or_(
                    DigestPreference.email_sent_at.is_(None),
                    DigestPreference.email_sent_at <= now - every,
                ),
            )
            .order_by(User.id)
            .limit(BATCH)
        ).all()
    ]


def claim(db: Session, user: User, sent_at: datetime | None, now: datetime) -> bool:
    """Take this member's turn, unless another process took it since ``due`` looked."""
    statement = update(DigestPreference).where(DigestPreference.user_id == user.id)
    statement = statement.where(
        DigestPreference.email_sent_at.is_(None)
        if sent_at is None
        else DigestPreference.email_sent_at == sent_at
    )
    return rows_changed(db, statement.values(email_sent_at=now)) == 1


def send_digests(app: Flask) -> int:
    """The periodic task: send every digest that is due; returns how many were sent.

    Each member's turn is claimed and committed before the message goes, so two
    processes running the task never mail a member twice. A member with nothing new
    gets no message, and their turn still counts.
    """
    from portal.jobs.runner import job_session

    every = timedelta(days=int(app.config["COMMUNITY_DIGEST_DAYS"]))
    now = utcnow()
    sent = 0
    # Links in the message are built as a page would build them: on BASE_URL when set.
    base = app.config["BASE_URL"] or None
    with job_session(app) as session, app.test_request_context(base_url=base):
        for user, sent_at in due(session, now, every):
            if not claim(session, user, sent_at, now):
                session.rollback()
                continue
            session.commit()
            since = sent_at or now - every
            news = whats_new(session, user, since)
            if news and mail.send(message(user, news, since)):
                sent += 1
    return sent
