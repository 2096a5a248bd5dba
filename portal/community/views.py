"""Community pages; questions, discussions, rounds and moderation are nested blueprints."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal import db, policy
from portal.community import services, template_helpers
from portal.community.forms import MembershipForm
from portal.community.governance import founding
from portal.community.governance.views import bp as governance_bp
from portal.community.links import datasets as dataset_links
from portal.community.links import runs as run_links
from portal.community.models import Community, CommunityStatus, Membership
from portal.community.moderation import services as moderation
from portal.community.moderation.views import bp as moderation_bp
from portal.community.questions import ranking
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.community.questions.views import bp as questions_bp
from portal.community.rounds import services as rounds
from portal.community.rounds.views import bp as rounds_bp
from portal.community.support.views import bp as support_bp
from portal.community.threads.views import bp as comments_bp
from portal.community.web import community_or_404, require_valid

bp = Blueprint("community", __name__, url_prefix="/communities")
bp.register_blueprint(questions_bp)
bp.register_blueprint(comments_bp)
bp.register_blueprint(rounds_bp)
bp.register_blueprint(moderation_bp)
bp.register_blueprint(governance_bp)
bp.register_blueprint(support_bp)
template_helpers.register(bp)

QUESTIONS_ON_COMMUNITY_PAGE = 5


@bp.get("/")
def index():
    session = db.session()
    members = (
        select(Membership.community_id, func.count().label("n"))
        .group_by(Membership.community_id)
        .subquery()
    )
    open_questions = (
        select(Question.community_id, func.count().label("n"))
        .where(Question.hidden.is_(False), Question.status.in_(questions.STATUS_FILTERS["open"]))
        .group_by(Question.community_id)
        .subquery()
    )
    rows = session.execute(
        select(Community, func.coalesce(members.c.n, 0), func.coalesce(open_questions.c.n, 0))
        .outerjoin(members, members.c.community_id == Community.id)
        .outerjoin(open_questions, open_questions.c.community_id == Community.id)
        .where(Community.status == CommunityStatus.ACTIVE)
        .order_by(Community.name)
    ).all()
    return render_template(
        "community/index.html",
        rows=rows,
        may_decide=policy.can_decide_proposals(current_user),
        waiting=len(founding.proposals(session)) if policy.is_admin(current_user) else 0,
    )


@bp.get("/<slug>")
def show(slug: str):
    session = db.session()
    community = community_or_404(slug)
    mine = None
    if current_user.is_authenticated:
        mine = services.membership(session, community, current_user)
    top = questions.listed(session, community=community, status="open", sort="top")
    may_moderate = policy.can_moderate(session, community.id, current_user)
    return render_template(
        "community/show.html",
        community=community,
        membership=mine,
        members=services.member_count(session, community),
        member_list=services.members(session, community, current_user),
        top_questions=top[:QUESTIONS_ON_COMMUNITY_PAGE],
        open_question_count=len(top),
        top_formula=ranking.FORMULAS["top"],
        rounds=[r for r in rounds.rounds_of(session, community) if r.is_open],
        may_moderate=may_moderate,
        queue_size=moderation.queue_size(session, community.id) if may_moderate else 0,
        form=MembershipForm(visible=community.membership_visible_default),
        merged_into=session.get(Community, community.merged_into_id)
        if community.merged_into_id
        else None,
        may_decide=policy.can_decide_proposals(current_user),
        datasets=dataset_links.for_community(session, community.id, current_user),
        analyses=run_links.for_community(session, community.id, current_user),
    )


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    form = MembershipForm()
    require_valid(form)
    session = db.session()
    community = community_or_404(slug)
    services.join(session, community, current_user, visible=bool(form.visible.data))
    session.commit()
    flash(f"You joined {community.name}.", "success")
    return redirect(url_for("community.show", slug=slug)), 303


@bp.route("/<slug>/leave", methods=["GET", "POST"])
@login_required
def leave(slug: str):
    """Leaving asks first: the button on the community page leads to this question."""
    session = db.session()
    community = community_or_404(slug)
    if services.membership(session, community, current_user) is None:
        flash(f"You are not a member of {community.name}.", "info")
        return redirect(url_for("community.show", slug=slug)), 303
    if request.method == "GET":
        return render_template("community/leave.html", community=community, form=MembershipForm())
    require_valid(MembershipForm())
    services.leave(session, community, current_user)
    session.commit()
    flash(f"You left {community.name}.", "info")
    return redirect(url_for("community.show", slug=slug)), 303
