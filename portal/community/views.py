from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.community import services
from portal.community.forms import MembershipForm
from portal.community.models import Community, Membership

bp = Blueprint("community", __name__, url_prefix="/communities")


def _get_community(slug: str) -> Community:
    community = db.session().scalar(select(Community).where(Community.slug == slug))
    if community is None:
        abort(404)
    return community


@bp.get("/")
def index():
    session = db.session()
    counts = (
        select(Membership.community_id, func.count().label("members"))
        .group_by(Membership.community_id)
        .subquery()
    )
    rows = session.execute(
        select(Community, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.community_id == Community.id)
        .order_by(Community.name)
    ).all()
    return render_template("community/index.html", rows=rows)


@bp.get("/<slug>")
def show(slug: str):
    session = db.session()
    community = _get_community(slug)
    mine = None
    if current_user.is_authenticated:
        mine = services.membership(session, community, current_user)
    moderators = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.role == "moderator")
        .order_by(User.username)
    ).all()
    return render_template(
        "community/show.html",
        community=community,
        membership=mine,
        members=services.member_count(session, community),
        moderators=moderators,
        form=MembershipForm(),
    )


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    if not MembershipForm().validate_on_submit():
        abort(400)
    session = db.session()
    community = _get_community(slug)
    services.join(session, community, current_user)
    session.commit()
    flash(f"You joined {community.name}.", "success")
    return redirect(url_for("community.show", slug=slug)), 303


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    if not MembershipForm().validate_on_submit():
        abort(400)
    session = db.session()
    community = _get_community(slug)
    services.leave(session, community, current_user)
    session.commit()
    flash(f"You left {community.name}.", "info")
    return redirect(url_for("community.show", slug=slug)), 303
