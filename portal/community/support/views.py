"""Support threads of a community: the list, a thread, posting, replying, editing,
deleting, "this helped", following and flagging."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import db, policy
from portal.accounts.models import User
from portal.community.forms import ActionForm
from portal.community.models import Community
from portal.community.moderation import decisions
from portal.community.moderation import services as moderation
from portal.community.moderation.models import FlagReason
from portal.community.support import authors
from portal.community.support import services as support
from portal.community.support.forms import ReplyForm, ThreadForm
from portal.community.support.models import SupportPost, ThreadKind
from portal.community.web import (
    apply_and_return,
    attach,
    community_or_404,
    flag_content,
    form_page,
    me,
    refuse,
    require_author,
    require_valid,
    trust_policy,
)
from portal.errors import ServiceError
from portal.extensions import limiter, post_limit, user_or_address, vote_limit

bp = Blueprint("support", __name__, url_prefix="/<slug>/support")


def _thread_or_404(community: Community, thread_id: int) -> SupportPost:
    thread = support.get_thread(db.session(), community, thread_id)
    if thread is None:
        abort(404)
    return thread


def _post_or_404(community: Community, post_id: int) -> SupportPost:
    post = support.get_post(db.session(), community, post_id)
    if post is None:
        abort(404)
    return post


def _thread_url(post: SupportPost, slug: str) -> str:
    anchor = None if post.is_opening else f"post-{post.id}"
    return url_for(".show", slug=slug, thread_id=post.root_id, _anchor=anchor)


def _byline_for(community: Community):
    sees = authors.sees_authors(db.session(), community.id, current_user)
    viewer = policy.signed_in(current_user)
    viewer_id = viewer.id if viewer is not None else None
    return lambda post: authors.byline(post, sees=sees, viewer_id=viewer_id)


@bp.get("/")
def index(slug: str):
    community = community_or_404(slug)
    kinds = {k.value for k in ThreadKind}
    kind = request.args.get("kind") or None
    kind = kind if kind in kinds else None
    order = request.args.get("order", "newest")
    order = order if order in support.ORDERS else "newest"
    page = request.args.get("page", 1, type=int) or 1
    session = db.session()
    listed = support.listed(session, community, kind=kind, order=order, page=page)
    return render_template(
        "community/support/index.html",
        community=community,
        listed=listed,
        kind=kind,
        order=order,
        kinds=list(ThreadKind),
        orders=support.ORDERS,
        by=_byline_for(community),
        is_member=policy.is_member(session, community.id, current_user),
    )


def _new_page(community: Community, form: ThreadForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "community/support/new.html", community=community, form=form, kinds=list(ThreadKind)
    ), status


@bp.route("/new", methods=["GET", "POST"])
@limiter.shared_limit(post_limit, "post", key_func=user_or_address, methods=["POST"])
@login_required
def new(slug: str):
    community = community_or_404(slug)
    session = db.session()
    form = ThreadForm()
    if request.method == "GET":
        if not policy.is_member(session, community.id, current_user):
            flash(f"Join {community.name} to post in its support threads.", "info")
            return redirect(url_for("community.show", slug=slug), code=303)
        return _new_page(community, form)
    if not form.validate_on_submit():  # too long: the reason shows next to the field
        return _new_page(community, form, 400)
    return _post_thread(community, form)


def _post_thread(community: Community, form: ThreadForm):
    session = db.session()
    try:
        thread = support.start_thread(
            session,
            community,
            me(),
            kind=form.kind.data,
            title=form.title.data,
            body=form.body.data,
            anonymous=bool(form.anonymous.data),
            limits=trust_policy(),
        )
    except ServiceError as error:
        if error.field not in ("kind", "title", "body"):
            return refuse(error, url_for(".index", slug=community.slug))
        attach(error, form, "body")
        return _new_page(community, form, 400)
    session.commit()
    flash("Your post is up. You will be told when someone replies.", "success")
    return redirect(url_for(".show", slug=community.slug, thread_id=thread.id), code=303)


def _heading(thread: SupportPost, may_moderate: bool, viewer: User | None) -> str:
    if thread.is_deleted:
        return "A deleted post"
    # A hidden thread's title is withheld too: it can say as much as its body.
    mine = viewer is not None and viewer.id == thread.author_id
    if thread.hidden and not (may_moderate or mine):
        return "A hidden post"
    return thread.title or ""


def thread_page(
    community: Community, thread: SupportPost, reply_form: ReplyForm | None = None
) -> str:
    session = db.session()
    viewer = policy.signed_in(current_user)
    replies = support.replies(session, thread)
    ids = [thread.id, *(r.id for r in replies)]
    may_moderate = policy.can_moderate(session, community.id, current_user)
    return render_template(
        "community/support/show.html",
        community=community,
        thread=thread,
        replies=replies,
        helped=support.helped_counts(session, ids),
        helped_mine=support.helped_by(session, ids, viewer),
        following=support.is_following(session, thread, viewer),
        is_member=policy.is_member(session, community.id, current_user),
        may_moderate=may_moderate,
        heading=_heading(thread, may_moderate, viewer),
        awaiting_review=moderation.awaiting_posts(session, ids),
        outcomes=decisions.outcomes(session, "post", ids),
        by=_byline_for(community),
        reply_form=reply_form or ReplyForm(formdata=None),
        action_form=ActionForm(),
        flag_reasons=[(r.value, r.label) for r in FlagReason],
    )


@bp.get("/<int:thread_id>")
def show(slug: str, thread_id: int):
    community = community_or_404(slug)
    return thread_page(community, _thread_or_404(community, thread_id))


@bp.post("/<int:thread_id>/replies")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@login_required
def reply(slug: str, thread_id: int):
    session = db.session()
    community = community_or_404(slug)
    thread = _thread_or_404(community, thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return thread_page(community, thread, form), 400
    try:
        added = support.reply(
            session,
            thread,
            me(),
            form.body.data,
            anonymous=bool(form.anonymous.data),
            limits=trust_policy(),
        )
    except ServiceError as error:
        if error.field != "body":
            return refuse(error, _thread_url(thread, slug))
        attach(error, form, "body")
        return thread_page(community, thread, form), 400
    session.commit()
    flash("Reply posted.", "success")
    return redirect(_thread_url(added, slug), code=303)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, post_id: int):
    session = db.session()
    community = community_or_404(slug)
    post = _post_or_404(community, post_id)
    require_author(post)
    back = _thread_url(post, slug)
    if post.is_deleted or post.hidden:
        flash("This post cannot be edited now.", "error")
        return redirect(back, code=303)
    form: Any = ThreadForm(obj=post) if post.is_opening else ReplyForm(obj=post)
    return form_page(
        form,
        apply=lambda: support.edit(
            session,
            post,
            me(),
            body=form.body.data,
            title=form.title.data if post.is_opening else None,
            kind=form.kind.data if post.is_opening else None,
            anonymous=bool(form.anonymous.data),
        ),
        field="body",
        success="Post updated.",
        then=back,
        page=lambda: render_template(
            "community/support/edit.html", community=community, post=post, form=form
        ),
    )


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(slug: str, post_id: int):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    post = _post_or_404(community, post_id)
    return apply_and_return(
        _thread_url(post, slug),
        lambda: support.delete_post(session, post, me()),
        ("Post deleted. Replies to the thread stay in place.", "info"),
    )


@bp.post("/posts/<int:post_id>/helped")
@limiter.shared_limit(vote_limit, "vote", key_func=user_or_address)
@login_required
def helped(slug: str, post_id: int):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    post = _post_or_404(community, post_id)
    return apply_and_return(
        _thread_url(post, slug),
        lambda: support.toggle_helped(session, post, me()),
        lambda now_helped: (
            "Thank you: the author will see it helped someone."
            if now_helped
            else "You took back your “this helped”."
        ),
    )


@bp.post("/<int:thread_id>/<any(follow, unfollow):action>")
@login_required
def follow(slug: str, thread_id: int, action: str):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    thread = _thread_or_404(community, thread_id)
    if action == "follow":
        return apply_and_return(
            _thread_url(thread, slug),
            lambda: support.follow_as_member(session, thread, me()),
            ("You follow this thread: new replies will show in your notifications.", "info"),
        )
    return apply_and_return(
        _thread_url(thread, slug),
        lambda: support.unfollow(session, thread, me()),
        ("You no longer follow this thread.", "info"),
    )


@bp.post("/posts/<int:post_id>/flag")
@login_required
def flag(slug: str, post_id: int):
    community = community_or_404(slug)
    post = _post_or_404(community, post_id)
    return flag_content(post, _thread_url(post, slug), "post")
