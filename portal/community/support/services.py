"""Support threads: start one, reply, edit, delete, say "this helped", follow, list.

Never commits. Posts go through the same Markdown check and the same new-account
limits as comments on questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, joinedload

from portal import policy
from portal.accounts.models import User
from portal.community import markdown, trust
from portal.community.models import Community
from portal.community.notifications.models import MESSAGE_MAX, Notification
from portal.community.support.models import (
    BODY_MAX,
    TITLE_MAX,
    HelpedReaction,
    SupportPost,
    ThreadFollow,
    ThreadKind,
)
from portal.db import rows_changed, utcnow
from portal.errors import Conflict, Forbidden, ServiceError
from portal.upsert import insert

ORDERS = {
    "newest": "Newest first",
    "helped": "Most helped first",
}
PER_PAGE = 20


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write something first.", "body")
    if len(body) > BODY_MAX:
        raise ServiceError(f"Use at most {BODY_MAX:,} characters.", "body")
    if found := markdown.problems(body):
        raise ServiceError(
            "Posts are Markdown, and nothing in them may run. Remove "
            + " and ".join(found)
            + ", then post again.",
            "body",
        )
    return body


def _clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError("Give your post a title.", "title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"Use at most {TITLE_MAX} characters for the title.", "title")
    return title


def _kind(kind: str | None) -> str:
    if kind not in {k.value for k in ThreadKind}:
        raise ServiceError(
            "Choose what kind of post this is: "
            + ", ".join(f'"{k.label}"' for k in ThreadKind)
            + ".",
            "kind",
        )
    return kind


def start_thread(
    db: Session,
    community: Community,
    author: User,
    *,
    kind: str | None,
    title: str | None,
    body: str | None,
    anonymous: bool = False,
    limits: trust.TrustPolicy | None = None,
    now: datetime | None = None,
) -> SupportPost:
    """A new thread; its author follows it from the start."""
    now = now or utcnow()
    policy.require_member(db, community, author, "post in its support threads")
    post = SupportPost(
        community_id=community.id,
        author_id=author.id,
        kind=_kind(kind),
        title=_clean_title(title),
        body=_clean_body(body),
        anonymous=bool(anonymous),
        created_at=now,
    )
    trust.ensure_allowed(db, author, "post", now, limits or trust.TrustPolicy())
    db.add(post)
    db.flush()
    follow(db, post, author)
    return post


def reply(
    db: Session,
    thread: SupportPost,
    author: User,
    body: str | None,
    *,
    anonymous: bool = False,
    limits: trust.TrustPolicy | None = None,
    now: datetime | None = None,
) -> SupportPost:
    """A reply at the end of ``thread``; its followers (but the replier) are told."""
    now = now or utcnow()
    if not thread.is_opening:
        raise Conflict("Replies go under the thread's first post.")
    if thread.hidden:
        raise Conflict("This thread is hidden while a moderator reviews it.")
    if thread.is_deleted:
        raise Conflict("This thread was deleted by its author; it takes no new replies.")
    policy.require_member(db, thread.community, author, "reply in its support threads")
    post = SupportPost(
        community_id=thread.community_id,
        thread_id=thread.id,
        author_id=author.id,
        body=_clean_body(body),
        anonymous=bool(anonymous),
        created_at=now,
    )
    trust.ensure_allowed(db, author, "post", now, limits or trust.TrustPolicy())
    db.add(post)
    db.flush()
    _notify_followers(db, thread, post, now)
    return post


def _notify_followers(db: Session, thread: SupportPost, post: SupportPost, now: datetime) -> None:
    # The message names the thread, never who replied: the reply may be anonymous.
    message = f"New reply in “{thread.title}”"[:MESSAGE_MAX]
    followers = db.scalars(
        select(ThreadFollow.user_id).where(
            ThreadFollow.thread_id == thread.id, ThreadFollow.user_id != post.author_id
        )
    ).all()
    for user_id in followers:
        db.add(Notification(user_id=user_id, post_id=post.id, message=message, created_at=now))


def _require_author(post: SupportPost, user: User, doing: str) -> None:
    if post.author_id != user.id:
        raise Forbidden(f"You can only {doing} your own posts.")
    if post.is_deleted:
        raise Conflict("This post was deleted.")


def edit(
    db: Session,
    post: SupportPost,
    user: User,
    *,
    body: str | None,
    title: str | None = None,
    kind: str | None = None,
    anonymous: bool | None = None,
    now: datetime | None = None,
) -> None:
    """The author rewrites a post (an opening post's title and kind too)."""
    _require_author(post, user, "edit")
    if post.hidden:
        raise Conflict("A moderator hid this post; it cannot be edited while hidden.")
    if post.is_opening:
        post.kind = _kind(kind) if kind is not None else post.kind
        post.title = _clean_title(title) if title is not None else post.title
    post.body = _clean_body(body)
    if anonymous is not None:
        post.anonymous = anonymous
    post.edited_at = now or utcnow()


def delete_post(db: Session, post: SupportPost, user: User, now: datetime | None = None) -> None:
    """Soft delete: the words go, the place stays so a thread keeps its replies."""
    _require_author(post, user, "delete")
    post.body = ""
    post.deleted_at = now or utcnow()


def toggle_helped(db: Session, post: SupportPost, user: User) -> bool:
    """Say the post helped, or take it back; True when it now counts as helping ``user``."""
    if post.author_id == user.id:
        raise Conflict("You cannot mark your own post as helpful.")
    if post.is_deleted or post.hidden:
        raise Conflict("This post cannot take reactions now.")
    policy.require_member(db, post.community, user, "say what helped you")
    added = db.execute(
        insert(db, HelpedReaction)
        .values(post_id=post.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["post_id", "user_id"])
        .returning(HelpedReaction.id)
    ).first()
    if added is not None:
        return True
    rows_changed(
        db,
        delete(HelpedReaction).where(
            HelpedReaction.post_id == post.id, HelpedReaction.user_id == user.id
        ),
    )
    return False


def helped_counts(db: Session, post_ids: list[int]) -> dict[int, int]:
    if not post_ids:
        return {}
    return dict(
        db.execute(
            select(HelpedReaction.post_id, func.count())
            .where(HelpedReaction.post_id.in_(post_ids))
            .group_by(HelpedReaction.post_id)
        ).all()
    )


def helped_by(db: Session, post_ids: list[int], user: User | None) -> set[int]:
    """Which of these posts ``user`` said helped them."""
    if not post_ids or user is None:
        return set()
    return set(
        db.scalars(
            select(HelpedReaction.post_id).where(
                HelpedReaction.post_id.in_(post_ids), HelpedReaction.user_id == user.id
            )
        )
    )


def follow(db: Session, thread: SupportPost, user: User) -> None:
    """Follow ``thread``; following twice is harmless, even when it races."""
    db.execute(
        insert(db, ThreadFollow)
        .values(thread_id=thread.root_id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["thread_id", "user_id"])
    )


def follow_as_member(db: Session, thread: SupportPost, user: User) -> None:
    policy.require_member(db, thread.community, user, "follow its support threads")
    follow(db, thread, user)


def unfollow(db: Session, thread: SupportPost, user: User) -> None:
    db.execute(
        delete(ThreadFollow).where(
            ThreadFollow.thread_id == thread.root_id, ThreadFollow.user_id == user.id
        )
    )


def is_following(db: Session, thread: SupportPost, user: User | None) -> bool:
    if user is None:
        return False
    return bool(
        db.scalar(
            select(func.count())
            .select_from(ThreadFollow)
            .where(ThreadFollow.thread_id == thread.root_id, ThreadFollow.user_id == user.id)
        )
    )


def get_post(db: Session, community: Community, post_id: int) -> SupportPost | None:
    post = db.get(SupportPost, post_id)
    if post is None or post.community_id != community.id:
        return None
    return post


def get_thread(db: Session, community: Community, thread_id: int) -> SupportPost | None:
    post = get_post(db, community, thread_id)
    return post if post is not None and post.is_opening else None


def replies(db: Session, thread: SupportPost) -> list[SupportPost]:
    """A thread's replies, oldest first (deleted and hidden ones keep their place)."""
    return list(
        db.scalars(
            select(SupportPost)
            .where(SupportPost.thread_id == thread.id)
            .options(joinedload(SupportPost.author))
            .order_by(SupportPost.created_at, SupportPost.id)
        )
    )


@dataclass(frozen=True)
class Listed:
    thread: SupportPost
    replies: int
    helped: int


@dataclass(frozen=True)
class ListPage:
    items: list[Listed]
    page: int
    pages: int
    total: int


def _visible_threads(community: Community, kind: str | None) -> Select:
    where = [
        SupportPost.community_id == community.id,
        SupportPost.thread_id.is_(None),
        SupportPost.deleted_at.is_(None),
        SupportPost.hidden.is_(False),
    ]
    if kind:
        where.append(SupportPost.kind == kind)
    return select(SupportPost.id).where(*where)


def listed(
    db: Session,
    community: Community,
    *,
    kind: str | None = None,
    order: str = "newest",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage:
    """One page of a community's visible threads, newest or most helped first.

    "Most helped" counts the members who said the opening post helped them.
    """
    if kind is not None and kind not in {k.value for k in ThreadKind}:
        raise ServiceError(f"There is no kind of post called {kind!r}.", "kind")
    if order not in ORDERS:
        raise ServiceError(f"Order by one of: {', '.join(ORDERS)}.", "order")
    ids = _visible_threads(community, kind).subquery()
    total = db.scalar(select(func.count()).select_from(ids)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    helped = (
        select(HelpedReaction.post_id, func.count().label("n"))
        .group_by(HelpedReaction.post_id)
        .subquery()
    )
    reply_counts = (
        select(SupportPost.thread_id.label("thread_id"), func.count().label("n"))
        .where(
            SupportPost.thread_id.is_not(None),
            SupportPost.deleted_at.is_(None),
            SupportPost.hidden.is_(False),
        )
        .group_by(SupportPost.thread_id)
        .subquery()
    )
    helped_n = func.coalesce(helped.c.n, 0)
    ordering = (
        (SupportPost.created_at.desc(), SupportPost.id.desc())
        if order == "newest"
        else (helped_n.desc(), SupportPost.created_at.desc(), SupportPost.id.desc())
    )
    rows = db.execute(
        select(SupportPost, func.coalesce(reply_counts.c.n, 0), helped_n)
        .join(ids, ids.c.id == SupportPost.id)
        .outerjoin(helped, helped.c.post_id == SupportPost.id)
        .outerjoin(reply_counts, reply_counts.c.thread_id == SupportPost.id)
        .options(joinedload(SupportPost.author))
        .order_by(*ordering)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ListPage(
        items=[
            Listed(thread, int(n_replies), int(n_helped)) for thread, n_replies, n_helped in rows
        ],
        page=page,
        pages=pages,
        total=total,
    )
