"""/api/v1/communities/<slug>/threads: a community's support threads, to list, read and start.

The same services and the same author rule as the pages: a post written as "a member"
carries no author for anyone but the community's moderators and the site's admins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import current_app, url_for
from flask_login import current_user
from pydantic import Field, StringConstraints

from portal import db, policy
from portal.api.blueprint import bp
from portal.api.communities import find_community
from portal.api.schemas import NO_CONTROL, LongText, Page, PageQuery, Request, Response
from portal.api.spec import operation
from portal.community import trust
from portal.community.models import Community
from portal.community.support import authors
from portal.community.support import services as support
from portal.community.support.models import TITLE_MAX, SupportPost
from portal.errors import NotFound
from portal.extensions import limiter, post_limit, user_or_address

Kind = Literal["story", "question", "helped"]


class SupportThreadQuery(PageQuery):
    kind: Kind | None = Field(None, description="Only threads of this kind.")
    order: Literal["newest", "helped"] = Field(
        "newest", description="Newest first, or most members helped first."
    )


class SupportThreadCreate(Request):
    kind: Kind
    title: Annotated[str, StringConstraints(max_length=TITLE_MAX, pattern=NO_CONTROL)]
    body: LongText
    anonymous: bool = Field(False, description='Shown to other members as "a member".')


class SupportReply(Response):
    id: int
    author: str | None = Field(description="Username; null when withheld (anonymous, deleted).")
    author_label: str
    anonymous: bool
    body: str
    helped: int
    created_at: str


class SupportThread(SupportReply):
    community: str
    kind: str
    title: str
    replies: int
    url: str


class SupportThreadDetail(SupportThread):
    posts: list[SupportReply]


class SupportThreadPage(Page):
    items: list[SupportThread]  # type: ignore[assignment]


def _post_json(post: SupportPost, helped: int, sees: bool) -> dict[str, Any]:
    viewer = policy.current()
    line = authors.byline(post, sees=sees, viewer_id=viewer.id if viewer else None)
    withheld = post.is_deleted or (post.hidden and not sees)
    return {
        "id": post.id,
        "author": None if withheld else line.username,
        "author_label": "" if withheld else line.name,
        "anonymous": post.anonymous,
        "body": "" if withheld else post.body,
        "helped": helped,
        "created_at": post.created_at.isoformat(),
    }


def _thread_json(
    community: Community, thread: SupportPost, helped: int, replies: int, sees: bool
) -> dict[str, Any]:
    return {
        **_post_json(thread, helped, sees),
        "community": community.slug,
        "kind": thread.kind or "",
        "title": "" if thread.is_deleted else thread.title or "",
        "replies": replies,
        "url": url_for(
            "community.support.show", slug=community.slug, thread_id=thread.id, _external=True
        ),
    }


@bp.get("/communities/<slug>/threads")
@operation(
    "List support threads",
    "support",
    query=SupportThreadQuery,
    responses={200: SupportThreadPage},
    errors=(404,),
    description="A community's visible support threads: members' stories, questions to "
    "peers and what helped them.",
)
def list_threads(slug: str, query: SupportThreadQuery) -> dict[str, Any]:
    session = db.session()
    community = find_community(slug)
    sees = authors.sees_authors(session, community.id, current_user)
    listed = support.listed(
        session,
        community,
        kind=query.kind,
        order=query.order,
        page=query.page,
        per_page=query.per_page,
    )
    past_end = query.page > listed.pages
    return {
        "items": []
        if past_end
        else [
            _thread_json(community, item.thread, item.helped, item.replies, sees)
            for item in listed.items
        ],
        "page": query.page,
        "per_page": query.per_page,
        "has_more": query.page < listed.pages,
    }


@bp.get("/communities/<slug>/threads/<int:thread_id>")
@operation(
    "Read a support thread",
    "support",
    responses={200: SupportThreadDetail},
    errors=(404,),
)
def get_thread(slug: str, thread_id: int) -> dict[str, Any]:
    session = db.session()
    community = find_community(slug)
    sees = authors.sees_authors(session, community.id, current_user)
    thread = support.get_thread(session, community, thread_id)
    if thread is None or (thread.hidden and not sees):
        raise NotFound(f"No support thread {thread_id} in {slug!r}.")
    replies = support.replies(session, thread)
    helped = support.helped_counts(session, [thread.id, *(r.id for r in replies)])
    visible = [r for r in replies if not r.is_deleted and not r.hidden]
    return {
        **_thread_json(community, thread, helped.get(thread.id, 0), len(visible), sees),
        "posts": [_post_json(r, helped.get(r.id, 0), sees) for r in replies],
    }


@bp.post("/communities/<slug>/threads")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@operation(
    "Start a support thread",
    "support",
    auth=True,
    scope="write",
    body=SupportThreadCreate,
    responses={201: SupportThread},
    errors=(403, 404, 409),
    description="Members of the community only. The body is Markdown; with anonymous, "
    'other members see "a member" as the author.',
    example={
        "kind": "helped",
        "title": "Walking every morning",
        "body": "Twenty minutes before breakfast made the fatigue easier for me.",
        "anonymous": True,
    },
)
def start_thread(slug: str, body: SupportThreadCreate) -> tuple[dict[str, Any], int]:
    session = db.session()
    community = find_community(slug)
    author = policy.require_account(current_user)
    thread = support.start_thread(
        session,
        community,
        author,
        kind=body.kind,
        title=body.title,
        body=body.body,
        anonymous=body.anonymous,
        limits=trust.policy_from_config(current_app.config),
    )
    session.commit()
    sees = authors.sees_authors(session, community.id, author)
    return _thread_json(community, thread, 0, 0, sees), 201
