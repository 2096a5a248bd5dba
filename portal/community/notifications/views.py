"""A member's on-site notifications about the questions and support threads they follow."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from portal import db
from portal.community.forms import ActionForm
from portal.community.models import Community
from portal.community.notifications import services as notifications
from portal.community.questions.models import Question
from portal.community.support.models import SupportPost
from portal.community.web import me, require_valid

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    session = db.session()
    notes = notifications.notifications_for(session, me())
    ids = {n.question_id for n in notes if n.question_id}
    slugs = (
        dict(
            session.execute(
                select(Question.id, Community.slug)
                .join(Community, Community.id == Question.community_id)
                .where(Question.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    post_ids = {n.post_id for n in notes if n.post_id}
    # A reply's notification opens the thread at that reply.
    threads = {
        post_id: url_for(
            "community.support.show", slug=slug, thread_id=thread_id, _anchor=f"post-{post_id}"
        )
        for post_id, thread_id, slug in (
            session.execute(
                select(SupportPost.id, SupportPost.thread_id, Community.slug)
                .join(Community, Community.id == SupportPost.community_id)
                .where(SupportPost.id.in_(post_ids))
            ).all()
            if post_ids
            else []
        )
    }
    return render_template(
        "community/notifications.html",
        notifications=notes,
        slugs=slugs,
        threads=threads,
        form=ActionForm(),
    )


@bp.post("/read")
@login_required
def mark_read():
    require_valid(ActionForm())
    session = db.session()
    notifications.mark_all_read(session, me())
    session.commit()
    flash("All notifications are marked read.", "info")
    return redirect(url_for(".index"), code=303)
