"""The discussion under a question: comment, reply, edit, delete, flag."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required

from portal import db, policy
from portal.community.forms import ActionForm
from portal.community.questions.views import Draft, question_page
from portal.community.threads import services as threads
from portal.community.threads.forms import CommentForm
from portal.community.threads.models import Comment
from portal.community.web import (
    apply_and_return,
    community_or_404,
    edit_window,
    flag_content,
    form_page,
    me,
    question_or_404,
    refuse,
    require_author,
    require_valid,
    trust_policy,
)
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.extensions import limiter, post_limit, user_or_address

bp = Blueprint("comments", __name__, url_prefix="/<slug>/questions/<int:question_id>/comments")


def _question_url(slug: str, question_id: int, anchor: str | None = None) -> str:
    return url_for("community.questions.show", slug=slug, question_id=question_id, _anchor=anchor)


def _comment_or_404(question_id: int, comment_id: int) -> Comment:
    comment = db.session().get(Comment, comment_id)
    if comment is None or comment.question_id != question_id:
        abort(404)
    return comment


def _written_again(
    slug: str, question_id: int, form: CommentForm, parent: str | None, message: str
) -> tuple[str, int]:
    """The question's page again, with what the member wrote back in the box they wrote
    it in and the reason beside it: nothing they typed is lost."""
    if parent:
        draft = Draft(parent_id=int(parent), text=form.body.data or "", error=message)
        return question_page(slug, question_id, draft=draft), 400
    form.body.errors = [message]
    return question_page(slug, question_id, comment_form=form), 400


@bp.post("/")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@login_required
def add(slug: str, question_id: int):
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    form = CommentForm()
    back = _question_url(slug, question_id, "discussion")
    parent = form.parent_id.data
    if parent and not str(parent).isdigit():
        return refuse(Conflict("The comment you replied to is not in this discussion."), back)
    if not form.validate_on_submit():  # the CSRF token was checked before the view
        message = " ".join(form.body.errors or ["Write something first."])
        return _written_again(slug, question_id, form, parent, message)
    try:
        comment = threads.add(
            session,
            question,
            me(),
            form.body.data,
            parent_id=int(parent) if parent else None,
            limits=trust_policy(),
        )
    except ServiceError as error:
        if error.field != "body":
            return refuse(error, back)
        session.rollback()
        return _written_again(slug, question_id, form, parent, error.message)
    session.commit()
    flash("Comment posted.", "success")
    return redirect(_question_url(slug, question_id, f"comment-{comment.id}"), code=303)


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, question_id: int, comment_id: int):
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    comment = _comment_or_404(question.id, comment_id)
    require_author(comment)
    back = _question_url(slug, question_id, f"comment-{comment.id}")
    minutes = int(edit_window().total_seconds() // 60)
    if not policy.can_edit_comment(me(), comment, utcnow(), edit_window()):
        flash(f"Comments can be edited for {minutes} minutes after posting.", "error")
        return redirect(back, code=303)
    form = CommentForm(obj=comment)
    return form_page(
        form,
        apply=lambda: threads.edit(session, comment, me(), form.body.data, window=edit_window()),
        field="body",
        success="Comment updated.",
        then=back,
        page=lambda: render_template(
            "community/comments/edit.html",
            community=community,
            question=question,
            comment=comment,
            form=form,
            minutes=minutes,
        ),
    )


@bp.post("/<int:comment_id>/delete")
@login_required
def delete(slug: str, question_id: int, comment_id: int):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    comment = _comment_or_404(question.id, comment_id)
    return apply_and_return(
        _question_url(slug, question_id, f"comment-{comment.id}"),
        lambda: threads.delete(session, comment, me()),
        ("Comment deleted. Replies to it stay in place.", "info"),
    )


@bp.post("/<int:comment_id>/flag")
@login_required
def flag(slug: str, question_id: int, comment_id: int):
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    comment = _comment_or_404(question.id, comment_id)
    return flag_content(
        comment, _question_url(slug, question_id, f"comment-{comment.id}"), "comment"
    )
