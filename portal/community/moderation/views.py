"""A community's moderation queue: flagged content with its context, and the decisions on it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required

from portal import db, policy
from portal.accounts.mail import send_later
from portal.api.auth import forget_tokens
from portal.community.models import Community
from portal.community.moderation import decisions, notices, targets
from portal.community.moderation import services as moderation
from portal.community.moderation.forms import DecisionForm, ModerationForm
from portal.community.moderation.models import CATEGORIES, Decision
from portal.community.questions.models import Question
from portal.community.support.models import SupportPost
from portal.community.threads.models import Comment
from portal.community.web import community_or_404, me, question_or_404, refuse
from portal.errors import ServiceError

bp = Blueprint("moderation", __name__, url_prefix="/<slug>/moderation")


def _moderator_community(slug: str) -> Community:
    community = community_or_404(slug)
    if not policy.can_moderate(db.session(), community.id, me()):
        abort(403)
    return community


@bp.get("/")
@login_required
def queue(slug: str):
    session = db.session()
    community = _moderator_community(slug)
    hidden_questions, hidden_comments = moderation.hidden_content(session, community.id)
    return render_template(
        "community/moderation/queue.html",
        community=community,
        items=moderation.queue(session, community.id, me()),
        hidden_questions=hidden_questions,
        hidden_comments=hidden_comments,
        hidden_posts=moderation.hidden_posts(session, community.id),
        form=ModerationForm(),
        decision_choices=[(d.value, d.label) for d in Decision if d is not Decision.RESTORE],
        categories=CATEGORIES,
        may_sanction=policy.can_sanction_accounts(me()),
    )


@bp.post("/<kind>/<int:target_id>/decide")
@login_required
def decide(slug: str, kind: str, target_id: int):
    """Any decision on any kind of flagged content (targets.KINDS)."""
    session = db.session()
    community = _moderator_community(slug)
    back = url_for(".queue", slug=community.slug)
    if kind not in targets.KINDS:
        abort(404)
    target = targets.load(session, kind, target_id)
    if targets.kind_of(target).community_id(session, target) != community.id:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{form[name].label.text}: {', '.join(errs)}" for name, errs in form.errors.items()
        )
        flash(f"Nothing was changed. {problems}", "error")
        return redirect(back, code=303)
    try:
        record = decisions.decide(
            session,
            me(),
            target,
            form.decision.data,
            reason=form.reason.data,
            category=form.category.data,
            new_text=form.new_text.data or "",
            days=form.days.data,
        )
        line = decisions.notice_line(session, record, target)
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    if Decision(record.action) in (Decision.SUSPEND, Decision.BAN):
        # The account may no longer write: not even from this process's remembered token.
        forget_tokens()
    message = notices.decision_mail(record, line)
    if message is not None:
        send_later(message)
    flash(f"Done: {Decision(record.action).label.lower()}. The author is told why.", "success")
    return redirect(back, code=303)


def _decide(community: Community, target: Question | Comment | SupportPost, action: str):
    session = db.session()
    back = url_for(".queue", slug=community.slug)
    form = ModerationForm()
    if not form.validate_on_submit():
        flash("Nothing was changed: give a reason, it is kept in the audit log.", "error")
        return redirect(back, code=303)
    decide = moderation.hide if action == "hide" else moderation.restore
    try:
        record = decide(session, me(), target, reason=form.reason.data)
        line = decisions.notice_line(session, record, target)
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    message = notices.decision_mail(record, line)
    if message is not None:
        send_later(message)
    noun = targets.kind_of(target).name
    flash(
        f"The {noun} is {'hidden' if action == 'hide' else 'restored'}.",
        "success",
    )
    return redirect(back, code=303)


@bp.post("/questions/<int:question_id>/<any(hide, restore):action>")
@login_required
def decide_question(slug: str, question_id: int, action: str):
    community = _moderator_community(slug)
    return _decide(community, question_or_404(community, question_id), action)


@bp.post("/comments/<int:comment_id>/<any(hide, restore):action>")
@login_required
def decide_comment(slug: str, comment_id: int, action: str):
    community = _moderator_community(slug)
    comment = db.session().get(Comment, comment_id)
    if comment is None:
        abort(404)
    question_or_404(community, comment.question_id)  # the comment must be in this community
    return _decide(community, comment, action)


@bp.post("/posts/<int:post_id>/<any(hide, restore):action>")
@login_required
def decide_post(slug: str, post_id: int, action: str):
    community = _moderator_community(slug)
    post = db.session().get(SupportPost, post_id)
    if post is None or post.community_id != community.id:
        abort(404)
    return _decide(community, post, action)
