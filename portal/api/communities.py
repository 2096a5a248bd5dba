"""/api/v1/communities: list and read communities, join and leave them.

Every action goes through the community services, which hold the rules; this module
only translates between JSON and them.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.pagination import paged
from portal.api.spec import operation
from portal.community import services
from portal.community.models import Community, CommunityStatus
from portal.errors import NotFound


def find_community(slug: str) -> Community:
    community = db.session().scalar(select(Community).where(Community.slug == slug))
    if community is None or not policy.can_view_community(current_user, community):
        raise NotFound(f"No community {slug!r}.")
    return community


def community_json(community: Community) -> dict[str, Any]:
    session = db.session()
    user = policy.current()
    return {
        "slug": community.slug,
        "name": community.name,
        "condition": community.condition,
        "description": community.description,
        "members": services.member_count(session, community),
        "member": None if user is None else policy.is_member(session, community.id, user),
        "url": url_for("community.show", slug=community.slug, _external=True),
    }


@bp.get("/communities")
@operation(
    "List communities",
    "communities",
    query=schemas.PageQuery,
    responses={200: schemas.CommunityPage},
)
def list_communities(query: schemas.PageQuery) -> dict[str, Any]:
    listed = select(Community).where(Community.status == CommunityStatus.ACTIVE)
    return paged(listed.order_by(Community.name, Community.id), query, community_json)


@bp.get("/communities/<slug>")
@operation("Read a community", "communities", responses={200: schemas.Community}, errors=(404,))
def get_community(slug: str) -> dict[str, Any]:
    return community_json(find_community(slug))


def _membership(slug: str, joining: bool) -> dict[str, Any]:
    session = db.session()
    community = find_community(slug)
    (services.join if joining else services.leave)(
        session, community, policy.require_account(current_user)
    )
    session.commit()
    return {
        "community": community.slug,
        "member": joining,
        "members": services.member_count(session, community),
    }


@bp.post("/communities/<slug>/join")
@operation(
    "Join a community",
    "communities",
    auth=True,
    scope="write",
    responses={200: schemas.Membership},
    errors=(404,),
)
def join(slug: str) -> dict[str, Any]:
    return _membership(slug, True)


@bp.post("/communities/<slug>/leave")
@operation(
    "Leave a community",
    "communities",
    auth=True,
    scope="write",
    responses={200: schemas.Membership},
    errors=(404,),
)
def leave(slug: str) -> dict[str, Any]:
    return _membership(slug, False)
